import Foundation
import SluiceCore
import SluiceModel
import SluicePlan
import SluiceRollout
import SluiceSimulation
import SluiceTestSupport
import SluiceYAML
import Testing

/// A chart's `helm.sh/hook` objects run around its apply as Helm runs them: pre-hooks in
/// weight order before the objects, each Job waited for until it completes; post-hooks once
/// the objects are healthy; delete policies honoured; never diffed, pruned or applied as
/// objects; a failed hook fails the pair. Scenarios on simulated clusters, virtual time.
@Suite(.timeLimit(.minutes(10))) struct ChartHookTests {
    static func job(_ name: String, hook: String, weight: Int = 0, policy: String? = nil, image: String = "{{ .Values.hookImage | default \"busybox:1.36\" }}") -> String {
        """
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: \(name)
          annotations:
            helm.sh/hook: \(hook)
            helm.sh/hook-weight: "\(weight)"
        \(policy.map { "    helm.sh/hook-delete-policy: \($0)\n" } ?? "")spec:
          backoffLimit: 0
          template:
            spec:
              restartPolicy: Never
              serviceAccountName: hook-runner
              containers:
                - name: run
                  image: \(image)
                  resources: {limits: {cpu: 100m, memory: 64Mi}}
        """
    }

    /// The upstream metrics-server chart with hooks of every sort added.
    static func fleet() throws -> TestRepository {
        try ChartFleet.make(extra: [
            "addons/metrics-server/templates/hook-account.yaml": """
                apiVersion: v1
                kind: ServiceAccount
                metadata:
                  name: hook-runner
                  annotations:
                    helm.sh/hook: pre-install,pre-upgrade,post-install,post-upgrade
                    helm.sh/hook-weight: "-5"
                    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
                """,
            "addons/metrics-server/templates/hook-migrate.yaml": job("migrate", hook: "pre-install, PRE-UPGRADE"),
            "addons/metrics-server/templates/hook-announce.yaml": job("announce", hook: "post-install,post-upgrade", weight: 3, policy: "hook-succeeded"),
            "addons/metrics-server/templates/hook-test.yaml": job("smoke-test", hook: "test"),
            "addons/metrics-server/templates/hook-unknown.yaml": """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: never-rendered
                  annotations: {helm.sh/hook: pre-frobnicate}
                """,
        ])
    }

    /// The mutating calls on `cluster` since `from`, as `verb Kind/name`.
    static func calls(_ scenario: FleetScenario, _ cluster: String, from: Int = 0) async throws -> [String] {
        try await scenario.objects.calls(cluster: cluster).dropFirst(from).filter { $0.addon == "metrics-server" }
            .map { "\($0.verb.rawValue) \($0.key.kind)/\($0.key.name)" }
    }

    @Test func hooksRunAroundTheApplyInHelmsOrderAndAreNeverObjects() async throws {
        let repo = try Self.fleet()
        let scenario = try FleetScenario(copying: repo.path)
        let plan = try await scenario.plan(env: "staging", cluster: "test-1", keepSteps: true)
        let pair = try #require(plan.pairs.first { $0.addon == "metrics-server" })
        // Hooks are not steps and not waited for as objects; the test hook and the unknown event never run.
        #expect(pair.hooks.map(\.key.name) == ["hook-runner", "migrate", "hook-runner", "announce"])
        #expect(pair.hooks.map(\.moment) == [.pre, .pre, .post, .post])
        #expect(!pair.steps.contains { ["migrate", "announce", "hook-runner", "smoke-test", "never-rendered"].contains($0.key.name) })
        #expect(!pair.objects.contains { $0.kind == "Job" || $0.name == "never-rendered" })
        let shown = plan.plan.environments.flatMap { $0.stages.flatMap { $0.batches.flatMap(\.clusters) } }.flatMap(\.addons).first { $0.name == "metrics-server" }
        #expect(shown?.hooks == ["pre-install ServiceAccount kube-system/hook-runner", "pre-install Job kube-system/migrate",
                                 "post-install ServiceAccount kube-system/hook-runner", "post-install Job kube-system/announce"])
        // Reviewers see them in the text plan and in the pull request's comment.
        #expect(PlanTextFormatter(color: false).format(plan.plan).contains("> runs hook pre-install Job kube-system/migrate"))
        #expect(PlanMarkdownFormatter().format(plan.plan).contains("# runs hook post-install Job kube-system/announce"))

        let report = try await scenario.apply(env: "staging", cluster: "test-1")
        #expect(report.failures.isEmpty, "\(report.failures)")
        let calls = try await Self.calls(scenario, "test-1")
        let deployment = try #require(calls.firstIndex(of: "create Deployment/metrics-server"))
        // pre: the account, the Job waited for, then the account deleted (hook-succeeded, after every pre hook).
        #expect(Array(calls[..<3]) == ["create ServiceAccount/hook-runner", "create Job/migrate", "delete ServiceAccount/hook-runner"])
        #expect(deployment > 2)
        #expect(Array(calls.suffix(4)) == ["create ServiceAccount/hook-runner", "create Job/announce",
                                           "delete Job/announce", "delete ServiceAccount/hook-runner"])
        #expect(!calls.contains { $0.hasSuffix("smoke-test") || $0.hasSuffix("never-rendered") })
        // The migrate Job ran to completion and stays (it has no hook-succeeded policy).
        let driver = try await scenario.connector.driver(for: try #require(scenario.plan(env: "staging").repository.clusters["test-1"]))
        let migrate = try #require(try await driver.get(ObjectKey(group: "batch", kind: "Job", namespace: "kube-system", name: "migrate")))
        #expect(HookObjectStatus.of(migrate, key: ObjectKey(group: "batch", kind: "Job", namespace: "kube-system", name: "migrate")) == .done)

        // Recorded and settled: the next plan runs no hook and prunes none (migrate stays, as in Helm).
        let again = try await scenario.plan(env: "staging", cluster: "test-1", keepSteps: true)
        let settled = try #require(again.pairs.first { $0.addon == "metrics-server" })
        #expect(settled.isSettled && settled.hooks.isEmpty)
        #expect(again.plan.summary.delete == 0)

        // An upgrade runs the upgrade hooks: the old migrate Job is deleted before the new one (before-hook-creation).
        let before = try await scenario.objects.calls(cluster: "test-1").count
        try scenario.edit("clusters/test-1.yaml", replacing: "      kubeletInsecureTLS: true", with: "      kubeletInsecureTLS: true\n      hookImage: busybox:1.37")
        try scenario.repo.commit("a new hook image")
        let upgrade = try await scenario.plan(env: "staging", cluster: "test-1", keepSteps: true)
        #expect(upgrade.pairs.first { $0.addon == "metrics-server" }?.hooks.map(\.key.name) == ["hook-runner", "migrate", "hook-runner", "announce"])
        #expect(upgrade.plan.summary.delete == 0 && upgrade.plan.summary.update == 0)
        let upgraded = try await scenario.apply(env: "staging", cluster: "test-1")
        #expect(upgraded.failures.isEmpty, "\(upgraded.failures)")
        #expect(try await Self.calls(scenario, "test-1", from: before) == [
            "create ServiceAccount/hook-runner", "delete Job/migrate", "create Job/migrate", "delete ServiceAccount/hook-runner",
            "create ServiceAccount/hook-runner", "create Job/announce", "delete Job/announce", "delete ServiceAccount/hook-runner",
        ])
    }

    /// A pre-hook Job that fails fails the pair before any of its objects is applied, and
    /// nothing after it runs.
    @Test func aFailedPreHookFailsThePairBeforeItsObjects() async throws {
        let repo = try Self.fleet()
        let cluster = try repo.read("clusters/test-1.yaml")
        try repo.write("clusters/test-1.yaml", cluster.replacingOccurrences(of: "      kubeletInsecureTLS: true", with: "      kubeletInsecureTLS: true\n      hookImage: busybox:1.36-broken"))
        try repo.commit("a hook that fails")
        let scenario = try FleetScenario(copying: repo.path)
        let report = try await scenario.apply(env: "staging", cluster: "test-1")
        let failure = try #require(report.failures.first { $0.addon == "metrics-server" })
        #expect(failure.message.contains("Job kube-system/migrate failed") && failure.message.contains("BackoffLimitExceeded"))
        let calls = try await Self.calls(scenario, "test-1")
        #expect(calls == ["create ServiceAccount/hook-runner", "create Job/migrate"])
        let records = try await scenario.store.applied(environment: "staging")
        #expect(!records.contains { $0.cluster == "test-1" && $0.addon == "metrics-server" })
    }

    /// `hook-failed` deletes a failed hook, and the controller's rollout (not only `apply`)
    /// runs hooks: the cluster fails at the hook and its record stays where it was.
    @Test func theControllerRunsHooksAndAFailedOneFailsTheCluster() async throws {
        let repo = try Self.fleet()
        try repo.write("addons/metrics-server/templates/hook-migrate.yaml", Self.job("migrate", hook: "pre-install,pre-upgrade", policy: "before-hook-creation,hook-failed"))
        try repo.commit("migrate is deleted when it fails")
        let scenario = try FleetScenario(copying: repo.path)
        try await scenario.runController()
        let staging = try await scenario.store.applied(environment: "staging").filter { $0.addon == "metrics-server" }
        #expect(staging.count == 4 && staging.allSatisfy { $0.commit == scenario.head })
        for cluster in ["test-1", "test-2", "stg-eu-1", "stg-us-1"] {
            let calls = try await Self.calls(scenario, cluster)
            #expect(Array(calls.prefix(3)) == ["create ServiceAccount/hook-runner", "create Job/migrate", "delete ServiceAccount/hook-runner"], "\(cluster)")
            #expect(Array(calls.suffix(2)) == ["delete Job/announce", "delete ServiceAccount/hook-runner"], "\(cluster)")
        }

        // A bump whose migrate Job fails on staging: the cluster fails at the hook, the Job is deleted (hook-failed).
        try scenario.edit("releases/2026-11-2.yaml", replacing: "image: {tag: v0.8.1}", with: "image: {tag: v0.8.1}\n        hookImage: busybox:1.36-broken")
        try scenario.repo.commit("a release whose hook fails")
        try scenario.repo.git("push", ".", "HEAD:staging")
        let before = try await scenario.objects.calls(cluster: "test-1").count
        try await scenario.runController()
        let history = try await scenario.history(environment: "staging")
        #expect(history.contains { $0.cluster == "test-1" && $0.addon == "metrics-server" && $0.detail.contains("Job kube-system/migrate failed") })
        let calls = try await Self.calls(scenario, "test-1", from: before)
        #expect(calls.starts(with: ["create ServiceAccount/hook-runner", "delete Job/migrate", "create Job/migrate", "delete Job/migrate"]), "\(calls)")
        #expect(!calls.contains { $0.hasPrefix("patch") })
        let record = try await scenario.store.applied(environment: "staging").first { $0.cluster == "test-1" && $0.addon == "metrics-server" }
        #expect(record?.commit != scenario.head)
    }

    /// As in Helm: a hook whose policies do not delete it before a new run (here only
    /// `hook-succeeded`, and it failed, so it stayed) makes the next run fail at its create.
    @Test func aHookLeftInPlaceWithoutBeforeHookCreationFailsTheNextRun() async throws {
        let repo = try Self.fleet()
        try repo.write("addons/metrics-server/templates/hook-migrate.yaml", Self.job("migrate", hook: "pre-install,pre-upgrade", policy: "hook-succeeded"))
        let cluster = try repo.read("clusters/test-1.yaml")
        try repo.write("clusters/test-1.yaml", cluster.replacingOccurrences(of: "      kubeletInsecureTLS: true", with: "      kubeletInsecureTLS: true\n      hookImage: busybox:1.36-broken"))
        try repo.commit("a hook that fails and stays")
        let scenario = try FleetScenario(copying: repo.path)
        #expect(try await scenario.apply(env: "staging", cluster: "test-1").failures.contains { $0.addon == "metrics-server" })
        try scenario.edit("clusters/test-1.yaml", replacing: "hookImage: busybox:1.36-broken", with: "hookImage: busybox:1.37")
        try scenario.repo.commit("a fixed hook")
        let report = try await scenario.apply(env: "staging", cluster: "test-1")
        let failure = try #require(report.failures.first { $0.addon == "metrics-server" })
        #expect(failure.message.contains("already exists"))
    }
}
