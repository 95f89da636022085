import Foundation
import Synchronization
import SluiceCore
import SluiceDrivers
@testable import SluiceKubernetes
import SluiceModel
import SluiceYAML
import SluicePlan
import SluiceRollout
import SluiceTestSupport
import Testing

/// Plan, apply and the controller on a cluster whose file names a kubeconfig context, against
/// the API test server (issue 10): the same scenarios as on simulated clusters.
@Suite(.timeLimit(.minutes(10))) struct KubernetesScenarioTests {
    /// example-repo with test-1 connected to the server.
    func scenario(_ server: KubeAPITestServer) throws -> FleetScenario {
        let scenario = try FleetScenario(kubernetes: { server.connections(clock: $0) })
        try scenario.edit("clusters/test-1.yaml", replacing: "    simulated:\n      nodes: 3\n", with: "    kubernetes:\n      context: test-1\n")
        try scenario.repo.commit("test-1 is a real cluster")
        try scenario.repo.git("branch", "-f", "staging")
        return scenario
    }

    @Test func planApplyAndPlanAgainOnARealCluster() async throws {
        let server = try KubeAPITestServer()
        let scenario = try scenario(server)
        let first = try await scenario.plan(env: "staging", cluster: "test-1")
        let cluster = try #require(first.plan.environments.flatMap(\.stages).flatMap(\.batches).flatMap(\.clusters).first)
        #expect(cluster.unreachable == nil)
        let blocked = cluster.addons.flatMap(\.blocked)
        #expect(blocked.isEmpty, "\(blocked)")
        #expect(cluster.summary.create > 0)
        let report = try await scenario.apply(env: "staging", cluster: "test-1")
        #expect(report.failures.isEmpty, "\(report.failures)")
        let again = try await scenario.plan(env: "staging", cluster: "test-1")
        #expect(!again.plan.hasChanges, "\(again.plan.environments.flatMap(\.stages).flatMap(\.batches).flatMap(\.clusters).flatMap(\.addons).map(\.objects))")
    }

    static let nodeLocalDNS = ObjectKey(group: "apps.kruise.io", kind: "DaemonSet", namespace: "kube-system", name: "node-local-dns")
    static let coreDNS = ObjectKey(group: "apps", kind: "Deployment", namespace: "kube-system", name: "coredns")

    /// example-repo on test-1's real cluster, applied and recorded everywhere.
    func converged(_ server: KubeAPITestServer) async throws -> (FleetScenario, KubernetesCluster) {
        let scenario = try scenario(server)
        try await scenario.converge()
        return (scenario, try await server.driver(name: "test-1"))
    }

    /// Commits on main and moves staging (which test-1 follows) to it.
    func commit(_ scenario: FleetScenario, _ message: String) throws -> String {
        let commit = try scenario.repo.commit(message)
        try scenario.repo.git("branch", "-f", "staging", "HEAD")
        return commit
    }

    static func image(_ object: Value?) -> String? {
        object?.at(["spec", "template", "spec", "containers"])?.listValue?.first?.at("image")?.stringValue
    }

    /// A release bump reaches the real cluster through the controller, the Advanced
    /// DaemonSet stepping its partition on the server.
    @Test func aBumpRollsThroughTheRealClusterInPartitionSteps() async throws {
        let server = try KubeAPITestServer()
        let (scenario, driver) = try await converged(server)
        try scenario.edit("releases/2026-11-2.yaml", replacing: "k8s-dns-node-cache:1.24.0", with: "k8s-dns-node-cache:1.24.1")
        let bump = try commit(scenario, "node-local-dns 1.24.1")
        let outcomes = try await scenario.runApproving()
        #expect(outcomes["staging"] == .converged)
        let live = try await driver.get(Self.nodeLocalDNS)
        #expect(Self.image(live) == "registry.k8s.io/dns/k8s-dns-node-cache:1.24.1")
        #expect(live?.at(["spec", "updateStrategy", "rollingUpdate", "partition"]) == .int(0))
        let steps = try await scenario.history(environment: "staging")
            .filter { $0.commit == bump && $0.cluster == "test-1" && $0.addon == "node-local-dns" && $0.outcome == .partitionStep }
        #expect(steps.count >= 2, "\(steps.map(\.detail))")
        let partitions = try await server.requests().filter {
            $0.method == "PATCH" && $0.path.hasSuffix("/daemonsets/node-local-dns") && $0.body.contains("partition")
        }
        #expect(partitions.count >= steps.count)
        #expect(try await scenario.store.applied(environment: "staging").filter { $0.cluster == "test-1" }.allSatisfy { $0.commit == bump })
    }

    /// One retry layer: an API server that answers 503 to an apply gets the driver's 5 tries
    /// (with backoff), and then the cluster counts as unreachable; the rollout does not retry
    /// the driver's retries (it sent 25 requests before).
    @Test func aServerThatAlwaysAnswers503GetsOneLayerOfRetries() async throws {
        let server = try KubeAPITestServer()
        let (scenario, _) = try await converged(server)
        try scenario.edit("releases/2026-11-2.yaml", replacing: "coredns:v1.11.4", with: "coredns:v1.11.5")
        _ = try commit(scenario, "coredns 1.11.5")
        let injected = Mutex(false)
        var options = FleetScenario.controllerOptions
        // After the plan (which dry-runs the same PATCH), before the apply is sent.
        options.observer = { state, _ in
            guard state.environment == "staging",
                  state.clusters.first(where: { $0.name == "test-1" })?.pairs.contains(where: { $0.addon == "coredns" && $0.phase == .applying }) == true,
                  !injected.withLock({ $0 }) else { return }
            injected.withLock { $0 = true }
            try? await server.inject("PATCH", path: "/deployments/coredns", status: 503, count: 1000)
        }
        let before = try await server.requests().count
        let outcomes = try await scenario.runApproving(options: options)
        #expect(injected.withLock { $0 })
        #expect(outcomes["staging"] == .waitingForClusters)
        let patches = try await server.requests().dropFirst(before).filter { $0.method == "PATCH" && $0.path.hasSuffix("/deployments/coredns") && $0.query["dryRun"] == nil }
        #expect(patches.count == RetryPolicy().attempts, "\(patches.map { "\($0.query) \($0.body.prefix(80))" })")
        let state = try #require(try await scenario.rolloutState("staging"))
        guard case .unreachable? = state.clusters.first(where: { $0.name == "test-1" })?.phase else {
            Issue.record("test-1 is not unreachable")
            return
        }
    }

    /// A cluster whose kubeconfig context is missing refuses Sluice: the rollout fails it at
    /// once (it counts against maxFailures and halts the stage), never waits for it as
    /// unreachable (which waited forever).
    @Test func aMissingContextFailsTheClusterAtOnce() async throws {
        var config = Kubeconfig()
        config.clusters["test"] = Kubeconfig.ClusterEntry(server: "https://127.0.0.1:1")
        config.users["test"] = Kubeconfig.UserEntry()
        config.contexts["another"] = Kubeconfig.ContextEntry(cluster: "test", user: "test")
        let scenario = try FleetScenario(kubernetes: { KubeconfigConnections(kubeconfig: config, clock: $0) })
        try scenario.edit("clusters/test-1.yaml", replacing: "    simulated:\n      nodes: 3\n", with: "    kubernetes:\n      context: test-1\n")
        try scenario.repo.commit("test-1 is a real cluster")
        try scenario.repo.git("branch", "-f", "staging")
        let outcomes = try await scenario.runController()
        #expect(outcomes["staging"] == .halted)
        let failed = try await scenario.history(environment: "staging").filter { $0.cluster == "test-1" && $0.outcome == .clusterFailed }
        #expect(failed.count == 1)
        #expect(try await !(scenario.history(environment: "staging")).contains { $0.outcome == .unreachableWaits })
    }

    /// A broken image halts on the real cluster; `git revert` brings the old image back.
    @Test func aBrokenImageHaltsOnTheRealClusterAndARevertWalksItBack() async throws {
        let server = try KubeAPITestServer()
        let (scenario, driver) = try await converged(server)
        try scenario.edit("releases/2026-11-2.yaml", replacing: "coredns:v1.11.4", with: "coredns:v1.11.4-broken")
        _ = try commit(scenario, "coredns broken")
        let outcomes = try await scenario.runApproving()
        #expect(outcomes["staging"] == .halted)
        let state = try #require(try await scenario.rolloutState("staging"))
        #expect(state.phase == .halted && state.haltReason?.contains("test-1") == true)
        #expect(Self.image(try await driver.get(Self.coreDNS)) == "registry.k8s.io/coredns/coredns:v1.11.4-broken")

        try scenario.repo.git("revert", "--no-edit", "HEAD")
        try scenario.repo.git("branch", "-f", "staging", "HEAD")
        let revert = scenario.head
        let after = try await scenario.runApproving()
        #expect(after["staging"] == .converged)
        #expect(Self.image(try await driver.get(Self.coreDNS)) == "registry.k8s.io/coredns/coredns:v1.11.4")
        #expect(try await driver.workloadStatus(Self.coreDNS, kinds: .none)?.isHealthy == true)
        #expect(try await scenario.store.applied(environment: "staging").allSatisfy { $0.commit == revert && $0.pending == nil })
    }

    /// An add-on disabled for the cluster is pruned from it: its objects deleted in the
    /// background, nothing else touched.
    @Test func anAddonThatLeavesTheClusterIsPrunedFromIt() async throws {
        let server = try KubeAPITestServer()
        let (scenario, driver) = try await converged(server)
        let owned = [SluiceLabels.managedBy: "sluice", SluiceLabels.addon: "node-problem-detector"]
        let before = try await driver.list(labels: owned)
        #expect(!before.isEmpty)
        try scenario.edit("clusters/test-1.yaml", replacing: "  addons:\n", with: "  disabledAddons: [node-problem-detector]\n  addons:\n")
        _ = try commit(scenario, "no node-problem-detector on test-1")
        let outcomes = try await scenario.runApproving()
        #expect(outcomes["staging"] == .converged)
        let fresh = try await server.driver(name: "test-1")
        #expect(try await fresh.list(labels: owned).isEmpty)
        // (event-exporter's hooks are deleted after they ran: not these.)
        let names = Set(before.keys.map(\.name))
        let deletes = try await server.requests().filter { $0.method == "DELETE" && names.contains(String($0.path.split(separator: "/").last ?? "")) }
        #expect(deletes.count == before.count)
        #expect(deletes.allSatisfy { $0.body.contains("\"Background\"") })
        #expect(try await fresh.get(Self.coreDNS) != nil)
    }

    /// What the API server refuses in a dry run blocks the pair in the plan, by template
    /// file and object, in the JSON too; apply refuses the commit and changes nothing.
    @Test func whatTheServerRefusesInADryRunBlocksThePlanAndTheApply() async throws {
        let server = try KubeAPITestServer()
        let (scenario, driver) = try await converged(server)
        try scenario.edit("clusters/test-1.yaml", replacing: "      replicas: 1\n", with: "      replicas: six\n")
        _ = try commit(scenario, "coredns replicas six")
        let result = try await scenario.plan(env: "staging", cluster: "test-1")
        let cluster = try #require(result.plan.environments.flatMap(\.stages).flatMap(\.batches).flatMap(\.clusters).first)
        let coredns = try #require(cluster.addons.first { $0.name == "coredns" })
        let rejected = try #require(coredns.rejected?.first)
        #expect(rejected.kind == "Deployment" && rejected.name == "coredns" && rejected.template.hasPrefix("addons/coredns/templates/"))
        #expect(!coredns.blocked.isEmpty && cluster.summary.blocked == 1)
        let json = String(decoding: try JSONEncoder().encode(result.plan), as: UTF8.self)
        #expect(json.contains("\"rejected\""))
        let requests = try await server.requests().count
        await #expect(throws: ApplyRefusal.self) { try await scenario.apply(env: "staging", cluster: "test-1") }
        let mutating = try await server.requests().dropFirst(requests).filter { $0.method != "GET" && $0.query["dryRun"] == nil }
        #expect(mutating.isEmpty)
        #expect(try await driver.get(Self.coreDNS)?.at(["spec", "replicas"]) == .int(1))
    }

    /// A 409 Conflict on an update: the object is read again and diffed again, and what the
    /// other writer changed meanwhile survives.
    @Test func aConflictOnUpdateRereadsAndRediffs() async throws {
        let server = try KubeAPITestServer()
        let (scenario, driver) = try await converged(server)
        try scenario.edit("releases/2026-11-2.yaml", replacing: "coredns:v1.11.4", with: "coredns:v1.11.5")
        _ = try commit(scenario, "coredns 1.11.5")
        let result = try await scenario.plan(env: "staging", cluster: "test-1", keepSteps: true)
        // Someone else labels the Deployment after the plan read it, and the server answers
        // the first patch with a conflict.
        _ = try await driver.patch(Self.coreDNS, mergePatch: .map(["metadata": .map(["labels": .map(["team": .string("dns")])])]))
        try await server.inject("PATCH", path: "/deployments/coredns", status: 409)
        let report = try await PlanApplier(store: scenario.store, connector: scenario.connector, clock: scenario.clock).apply(result)
        #expect(report.failures.isEmpty, "\(report.failures)")
        let live = try await driver.get(Self.coreDNS)
        #expect(Self.image(live) == "registry.k8s.io/coredns/coredns:v1.11.5")
        #expect(live?.at(["metadata", "labels", "team"]) == .string("dns"))
        let calls = try await server.requests().filter { $0.path.hasSuffix("/deployments/coredns") && $0.query["dryRun"] == nil }.map(\.method)
        let last = try #require(calls.lastIndex(of: "PATCH"))
        #expect(Array(calls[..<(last + 1)].suffix(3)) == ["PATCH", "GET", "PATCH"])
    }

    /// `apply: serverSide`: objects are applied as field manager sluice; a field another
    /// manager owns fails the pair naming the owner, unless `forceConflicts: true`.
    @Test func serverSideApplyReportsConflictsWithTheOwnerAndForcesOnlyWhenConfigured() async throws {
        let server = try KubeAPITestServer()
        let scenario = try scenario(server)
        try scenario.edit("addons/coredns/addon.yaml", replacing: "spec:\n", with: "spec:\n  apply: serverSide\n")
        _ = try commit(scenario, "coredns by server-side apply")
        try await scenario.converge()
        let driver = try await server.driver(name: "test-1")
        let applies = try await server.requests().filter { $0.path.hasSuffix("/deployments/coredns") && $0.method == "PATCH" && $0.query["dryRun"] == nil }
        #expect(!applies.isEmpty && applies.allSatisfy { $0.contentType == "application/apply-patch+yaml" && $0.query["fieldManager"] == "sluice" })
        #expect(applies.allSatisfy { $0.query["force"] == nil })

        // An autoscaler takes over replicas as its own field manager.
        let status = try await server.apply(as: "autoscaler", path: "/apis/apps/v1/namespaces/kube-system/deployments/coredns",
                                            ["apiVersion": "apps/v1", "kind": "Deployment",
                                             "metadata": ["name": "coredns", "namespace": "kube-system"], "spec": ["replicas": 4]])
        #expect(status == 409)  // sluice owns replicas: the autoscaler is told so too
        #expect(try await server.apply(as: "autoscaler", path: "/apis/apps/v1/namespaces/kube-system/deployments/coredns", force: true,
                                   ["apiVersion": "apps/v1", "kind": "Deployment",
                                    "metadata": ["name": "coredns", "namespace": "kube-system"], "spec": ["replicas": 4]]) == 200)
        try scenario.edit("clusters/test-1.yaml", replacing: "      replicas: 1\n", with: "      replicas: 2\n")
        _ = try commit(scenario, "coredns replicas 2")
        let result = try await scenario.plan(env: "staging", cluster: "test-1", keepSteps: true)
        let rejected = result.plan.environments.flatMap(\.stages).flatMap(\.batches).flatMap(\.clusters).flatMap(\.addons).compactMap(\.rejected).flatMap { $0 }
        #expect(rejected.contains { $0.name == "coredns" && $0.message.contains("autoscaler") }, "\(rejected)")

        try scenario.edit("addons/coredns/addon.yaml", replacing: "  apply: serverSide\n", with: "  apply: serverSide\n  forceConflicts: true\n")
        _ = try commit(scenario, "coredns takes its fields back")
        let report = try await scenario.apply(env: "staging", cluster: "test-1")
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(try await driver.get(Self.coreDNS)?.at(["spec", "replicas"]) == .int(2))
        let forced = try await server.requests().filter { $0.path.hasSuffix("/deployments/coredns") && $0.method == "PATCH" && $0.query["dryRun"] == nil }.last
        #expect(forced?.query["force"] == "true")
    }

    /// A chart add-on on a Kubernetes cluster sees the cluster's own `/version` and discovery
    /// as `.Capabilities` (as Helm's install does), plus the CRDs of the cluster's add-ons; a
    /// meta-config's `spec.kubernetesVersion` wins over `/version`.
    @Test func aChartSeesTheClustersOwnCapabilities() async throws {
        let server = try KubeAPITestServer()
        let scenario = try scenario(server)
        try scenario.repo.write("addons/probe/Chart.yaml", "apiVersion: v2\nname: probe\nversion: 1.0.0\n")
        try scenario.repo.write("addons/probe/addon.yaml", """
            apiVersion: sluice.dev/v1
            kind: Addon
            metadata:
              name: probe
            spec:
              namespace: kube-system
            """)
        try scenario.repo.write("addons/probe/templates/probe.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: probe
            data:
              version: {{ .Capabilities.KubeVersion.Version | quote }}
              minor: {{ .Capabilities.KubeVersion.Minor | quote }}
              deployments: {{ .Capabilities.APIVersions.Has "apps/v1/Deployment" | quote }}
              flowcontrol: {{ .Capabilities.APIVersions.Has "flowcontrol.apiserver.k8s.io/v1beta3" | quote }}
              kruise: {{ .Capabilities.APIVersions.Has "apps.kruise.io/v1alpha1/DaemonSet" | quote }}
              nothing: {{ .Capabilities.APIVersions.Has "nothing.example.com/v1" | quote }}
            """)
        try scenario.edit("releases/2026-11-2.yaml", replacing: "  addons:\n", with: "  addons:\n    probe: {version: \"1.0.0\"}\n")
        _ = try commit(scenario, "a chart that reads its capabilities")
        func probe() async throws -> [String: Value] {
            let result = try await scenario.plan(env: "staging", cluster: "test-1", keepSteps: true)
            let pair = try #require(result.pairs.first { $0.cluster == "test-1" && $0.addon == "probe" })
            for step in pair.steps { if case .create(let object) = step.action { return object["data"]?.mapValue ?? [:] } }
            throw TestFailure("no create of the probe: \(pair.steps)")
        }
        let told = try await probe()
        #expect(told["version"] == .string("v1.28.7") && told["minor"] == .string("28"))
        #expect(told["deployments"] == .string("true") && told["nothing"] == .string("false"))
        // Served by this API server (v1.28), not in Helm's default list of v4.2.
        #expect(told["flowcontrol"] == .string("true"))
        // openkruise's CRDs are the cluster's add-ons': in before they are installed.
        #expect(told["kruise"] == .string("true"))
        try scenario.edit("clusters/test-1.yaml", replacing: "spec:\n", with: "spec:\n  kubernetesVersion: \"1.30.2\"\n")
        _ = try commit(scenario, "test-1 says its version")
        #expect(try await probe()["version"] == .string("v1.30.2"))
    }

    /// The API server stops between doing a create and answering it: the client's retry meets
    /// 409 AlreadyExists, and the apply goes on as an update of what is there (diffed three
    /// ways, as a 409 on an update), not as a failure.
    @Test func aCreateWhoseAnswerWasLostGoesOnAsAnUpdate() async throws {
        let server = try KubeAPITestServer()
        let scenario = try scenario(server)
        try await server.inject("POST", path: "/namespaces/kube-system/configmaps", status: 0, count: 1, processed: true, writesOnly: true)
        let report = try await scenario.apply(env: "staging", cluster: "test-1")
        #expect(report.failures.isEmpty, "\(report.failures)")
        let posts = try await server.requests().filter { $0.method == "POST" && $0.path.hasSuffix("/namespaces/kube-system/configmaps") && $0.query["dryRun"] == nil }
        // The first create was done and its answer lost; its retry met AlreadyExists.
        #expect(posts.count >= 2 && posts.count > Set(posts.map(\.body)).count, "\(posts.map { $0.body.prefix(120) })")
        let again = try await scenario.plan(env: "staging", cluster: "test-1")
        #expect(!again.plan.hasChanges)
    }

    /// The API server defaults fields into a StatefulSet's volumeClaimTemplates (apiVersion,
    /// kind, volumeMode, a status) that no manifest says: an image bump of monitoring-agent is
    /// not taken for a change of the templates (which a shipped rule blocks), and a converged
    /// cluster plans no change. Dangerous-field rules judge what Sluice changes.
    @Test func serverDefaultsInAStatefulSetAreNotAChange() async throws {
        let server = try KubeAPITestServer()
        let (scenario, driver) = try await converged(server)
        let key = ObjectKey(group: "apps", kind: "StatefulSet", namespace: "monitoring", name: "prometheus-agent")
        let live = try #require(try await driver.get(key))
        #expect(live.at(["spec", "volumeClaimTemplates"])?.listValue?.first?.at(["spec", "volumeMode"]) == .string("Filesystem"))
        #expect(!(try await scenario.plan(env: "staging", cluster: "test-1").plan.hasChanges))
        try scenario.edit("releases/2026-11-2.yaml", replacing: "agent: quay.io/prometheus/prometheus:v2.55.0", with: "agent: quay.io/prometheus/prometheus:v2.55.1")
        _ = try commit(scenario, "prometheus agent v2.55.1")
        let plan = try await scenario.plan(env: "staging", cluster: "test-1")
        let addon = plan.plan.environments.flatMap(\.stages).flatMap(\.batches).flatMap(\.clusters).flatMap(\.addons).first { $0.name == "monitoring-agent" }
        #expect(addon?.blocked.isEmpty == true && addon?.objects.contains { $0.kind == "StatefulSet" && $0.action == .update } == true, "\(String(describing: addon))")
        let report = try await scenario.apply(env: "staging", cluster: "test-1")
        #expect(report.failures.isEmpty, "\(report.failures)")
    }

    /// A Job's template gets the job controller's labels and a selector from the API server:
    /// that is not a change of the template (which the shipped rule recreates the Job for);
    /// a new image is, and the Job is recreated with it.
    @Test func serverDefaultsInAJobAreNotAChangeButANewImageRecreatesIt() async throws {
        let server = try KubeAPITestServer()
        let scenario = try scenario(server)
        try scenario.repo.write("addons/batch-probe/addon.yaml", "apiVersion: sluice.dev/v1\nkind: Addon\nmetadata:\n  name: batch-probe\nspec:\n  namespace: kube-system\n")
        try scenario.repo.write("addons/batch-probe/templates/job.yaml", """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: batch-probe
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: run, image: {{ .Images.main }}}]
            """)
        try scenario.edit("releases/2026-11-2.yaml", replacing: "  addons:\n", with: "  addons:\n    batch-probe: {version: \"1.0.0\", images: {main: \"busybox:1.36\"}}\n")
        _ = try commit(scenario, "a Job")
        #expect(try await scenario.apply(env: "staging", cluster: "test-1").failures.isEmpty)
        let key = ObjectKey(group: "batch", kind: "Job", namespace: "kube-system", name: "batch-probe")
        let driver = try await server.driver(name: "fresh")
        let live = try #require(try await driver.get(key))
        #expect(live.at(["spec", "template", "metadata", "labels", "batch.kubernetes.io/job-name"]) == .string("batch-probe"))
        func jobChange() async throws -> FleetPlan.ObjectChange? {
            let plan = try await scenario.plan(env: "staging", cluster: "test-1")
            return plan.plan.environments.flatMap(\.stages).flatMap(\.batches).flatMap(\.clusters).flatMap(\.addons)
                .first { $0.name == "batch-probe" }?.objects.first { $0.kind == "Job" }
        }
        #expect(try await jobChange() == nil)
        try scenario.edit("releases/2026-11-2.yaml", replacing: "busybox:1.36", with: "busybox:1.37")
        _ = try commit(scenario, "a new image for the Job")
        #expect(try await jobChange()?.action == .recreate)
        #expect(try await scenario.apply(env: "staging", cluster: "test-1").failures.isEmpty)
        #expect(Self.image(try await driver.get(key)) == "busybox:1.37")
    }

    /// An object the API server refuses at apply (its dry run passed: an admission webhook that
    /// changed its mind) is named at its template, as the plan names a dry run's refusal.
    @Test func applyNamesTheTemplateOfWhatTheServerRefused() async throws {
        let server = try KubeAPITestServer()
        let scenario = try scenario(server)
        try await server.inject("POST", path: "/namespaces/kube-system/configmaps", status: 422, count: 1, writesOnly: true)
        let report = try await scenario.apply(env: "staging", cluster: "test-1")
        let failure = try #require(report.failures.first)
        #expect(failure.message.hasPrefix("addons/\(failure.addon)/templates/") && failure.message.contains("ConfigMap"), "\(failure.message)")
    }

    /// An outage in the middle of a cluster's writes, longer than the client's retries: the
    /// rollout waits and tries the pair again; the creates sent before the outage meet 409
    /// AlreadyExists on the replay and go on as updates. The cluster converges, never failed.
    @Test func anOutageMidApplyIsWaitedOutNotAFailure() async throws {
        let server = try KubeAPITestServer()
        let scenario = try scenario(server)
        // The first ConfigMap create is done but never answered, five times: as many as the client tries, so the pair is tried again with its planned steps.
        try await server.inject("POST", path: "/namespaces/kube-system/configmaps", status: 0, count: 5, processed: true, writesOnly: true)
        let outcomes = try await scenario.runApproving()
        #expect(outcomes["staging"] == .converged)
        let history = try await scenario.history(environment: "staging")
        #expect(!history.contains { $0.cluster == "test-1" && $0.outcome == .pairFailed }, "\(history.filter { $0.cluster == "test-1" }.map(\.detail))")
        // The replay sent the creates of before the outage again: the same body twice.
        let creates = try await server.requests().filter { $0.method == "POST" && $0.query["dryRun"] == nil }.map(\.body)
        #expect(creates.count > Set(creates).count)
        let records = try await scenario.store.applied(environment: "staging").filter { $0.cluster == "test-1" }
        #expect(!records.isEmpty && records.allSatisfy { $0.commit == scenario.head })
    }

    /// A chart's hooks on a real-shaped API server: the pre-install Job is created and read
    /// until the job controller marks it Complete before any object of the add-on is sent;
    /// a Job whose pod fails (reason BackoffLimitExceeded) fails the pair, nothing else sent.
    @Test func aChartsHookJobIsWaitedForOnTheAPIServer() async throws {
        let server = try KubeAPITestServer()
        let scenario = try scenario(server)
        try scenario.repo.write("addons/probe/Chart.yaml", "apiVersion: v2\nname: probe\nversion: 1.0.0\n")
        try scenario.repo.write("addons/probe/addon.yaml", "apiVersion: sluice.dev/v1\nkind: Addon\nmetadata:\n  name: probe\nspec:\n  namespace: kube-system\n")
        try scenario.repo.write("addons/probe/templates/probe.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\n")
        try scenario.repo.write("addons/probe/templates/migrate.yaml", """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: probe-migrate
              annotations: {helm.sh/hook: "pre-install,pre-upgrade", helm.sh/hook-delete-policy: "before-hook-creation,hook-succeeded"}
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: run, image: {{ .Values.image | default "busybox:1.36" | quote }}, resources: {limits: {cpu: 100m, memory: 64Mi}}}]
            """)
        try scenario.edit("releases/2026-11-2.yaml", replacing: "  addons:\n", with: "  addons:\n    probe: {version: \"1.0.0\"}\n")
        _ = try commit(scenario, "a chart with a hook")
        let before = try await server.requests().count
        let report = try await scenario.apply(env: "staging", cluster: "test-1")
        #expect(!report.failures.contains { $0.addon == "probe" }, "\(report.failures)")
        // A create names its object in the body only.
        let calls = try await server.requests().dropFirst(before).filter { $0.query["dryRun"] == nil && ($0.path.contains("probe") || $0.body.contains("\"probe")) }
            .map { "\($0.method) \($0.path.split(separator: "/").suffix(2).joined(separator: "/"))" }
        let created = try #require(calls.firstIndex(of: "POST kube-system/jobs"))
        let configMap = try #require(calls.firstIndex(of: "POST kube-system/configmaps"))
        let read = try #require(calls[created...].firstIndex(of: "GET jobs/probe-migrate"))
        let deleted = try #require(calls.firstIndex(of: "DELETE jobs/probe-migrate"))
        #expect(created < read && read < deleted && deleted < configMap, "\(calls)")

        try scenario.edit("clusters/test-1.yaml", replacing: "  addons:\n", with: "  addons:\n    probe: {image: busybox:1.36-broken}\n")
        _ = try commit(scenario, "a hook that fails")
        let failing = try await scenario.apply(env: "staging", cluster: "test-1")
        let failure = try #require(failing.failures.first { $0.addon == "probe" })
        #expect(failure.message.contains("Job kube-system/probe-migrate failed: BackoffLimitExceeded"))

        // A hook the API server would refuse is caught by the plan's dry run, at its template.
        try scenario.edit("addons/probe/templates/migrate.yaml", replacing: "spec:\n  template:", with: "spec:\n  bogus: 1\n  template:")
        try scenario.edit("clusters/test-1.yaml", replacing: "busybox:1.36-broken", with: "busybox:1.37")
        _ = try commit(scenario, "a hook with a field the API does not know")
        let planned = try await scenario.plan(env: "staging", cluster: "test-1")
        let blocked = planned.plan.environments.flatMap(\.stages).flatMap(\.batches).flatMap(\.clusters).flatMap(\.addons).first { $0.name == "probe" }
        #expect(blocked?.rejected?.contains { $0.kind == "Job" && $0.template == "addons/probe/templates/migrate.yaml" } == true, "\(String(describing: blocked))")
    }

    /// A cluster whose `/version` cannot be read is not planned (its chart add-ons would
    /// otherwise render with Helm's defaults, not the cluster's own capabilities): it is
    /// unreachable, with why.
    @Test func aClusterThatCannotTellItsCapabilitiesIsNotPlanned() async throws {
        let server = try KubeAPITestServer()
        let scenario = try scenario(server)
        try scenario.repo.write("addons/probe/Chart.yaml", "apiVersion: v2\nname: probe\nversion: 1.0.0\n")
        try scenario.repo.write("addons/probe/addon.yaml", "apiVersion: sluice.dev/v1\nkind: Addon\nmetadata:\n  name: probe\nspec:\n  namespace: kube-system\n")
        try scenario.repo.write("addons/probe/templates/probe.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\n")
        try scenario.edit("releases/2026-11-2.yaml", replacing: "  addons:\n", with: "  addons:\n    probe: {version: \"1.0.0\"}\n")
        _ = try commit(scenario, "a chart add-on")
        try await server.inject("GET", path: "/version", status: 500, count: 100)
        let result = try await scenario.plan(env: "staging", cluster: "test-1", keepSteps: true)
        let cluster = try #require(result.plan.environments.flatMap(\.stages).flatMap(\.batches).flatMap(\.clusters).first { $0.name == "test-1" })
        #expect(cluster.unreachable != nil)
        #expect(!result.pairs.contains { $0.cluster == "test-1" && !$0.steps.isEmpty })
    }
}
