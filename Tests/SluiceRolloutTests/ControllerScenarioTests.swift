import Foundation
import SluiceCore
import SluiceDrivers
import SluiceModel
import SluiceQueries
import SluiceRollout
import SluiceStore
import SluiceTestSupport
import Testing

/// `sluice run` on Git copies of example-repo with virtual time: what each scenario of a
/// fleet operator's life leaves in the history, the records and the rollout state.
@Suite(.timeLimit(.minutes(10))) struct ControllerScenarioTests {
    static let oldDNS = "k8s-dns-node-cache:1.23.1"
    static let newDNS = "k8s-dns-node-cache:1.23.2"

    @Test func aFreshFleetWaitsForTheProductionApprovalThenConverges() async throws {
        let scenario = try FleetScenario()
        let first = try await scenario.runController()
        #expect(first == ["staging": .converged, "production": .waitingForOperator])
        #expect(try await scenario.store.rollout(environment: "production")?.phase == .awaitingApproval)
        let outcomes = try await scenario.runApproving()
        #expect(outcomes == ["staging": .converged, "production": .converged])
        let head = scenario.head
        let records = try await scenario.store.applied()
        let repository = try await scenario.plan().repository
        #expect(records.count == repository.clusters.values.reduce(0) { $0 + repository.installedAddons(of: $1).count })
        #expect(records.allSatisfy { $0.commit == head && $0.pending == nil })
    }

    /// Scenario 1: a release bump walks stages and batches exactly, bakes between batches,
    /// never runs more clusters at once than maxConcurrency, and steps the Advanced
    /// DaemonSet's partitions in order with their bakes.
    @Test func aReleaseBumpFollowsStagesBatchesBakesAndPartitions() async throws {
        let scenario = try FleetScenario()
        try await scenario.converge()
        try scenario.edit("releases/2026-11-1.yaml", replacing: Self.oldDNS, with: Self.newDNS)
        let bump = try scenario.repo.commit("node-local-dns 1.23.2")
        let outcomes = try await scenario.runApproving()
        #expect(outcomes["production"] == .converged)

        let events = try await scenario.history(environment: "production").filter { $0.commit == bump }
        let blueprint = try scenario.blueprint("production")
        let order = blueprint.stages.flatMap { $0.batches.flatMap { $0 } }
        let applied = events.filter { $0.outcome == .applied && $0.addon == "node-local-dns" }
        #expect(applied.map { $0.cluster ?? "" } .count == order.count)
        // Batch by batch in pipeline order (clusters of one batch may finish in any order).
        var position = 0
        for stage in blueprint.stages {
            for batch in stage.batches {
                let got = Set(applied[position..<min(applied.count, position + batch.count)].compactMap(\.cluster))
                #expect(got == Set(batch), "stage \(stage.name): expected \(batch), got \(got)")
                position += batch.count
            }
        }
        // No batch starts before the previous batch's bake has passed.
        var previousEnd: Date?
        var previousBake = 0.0
        for stage in blueprint.stages {
            for batch in stage.batches {
                let starts = events.filter { $0.outcome == .clusterApplying && batch.contains($0.cluster ?? "") }.map(\.at)
                let ends = applied.filter { batch.contains($0.cluster ?? "") }.map(\.at)
                guard let start = starts.min(), let end = ends.max() else {
                    Issue.record("batch \(batch) has no applies")
                    continue
                }
                if let previousEnd { #expect(start >= previousEnd.addingTimeInterval(previousBake)) }
                previousEnd = end
                previousBake = stage.bakeSeconds ?? 0
            }
        }
        // maxConcurrency is a hard cap.
        for stage in blueprint.stages {
            let members = Set(stage.batches.flatMap { $0 })
            var running = 0, most = 0
            for event in events where members.contains(event.cluster ?? "") {
                if event.outcome == .clusterApplying { running += 1 }
                if event.outcome == .clusterDone || event.outcome == .clusterFailed { running -= 1 }
                most = max(most, running)
            }
            #expect(most <= stage.maxConcurrency ?? Int.max, "stage \(stage.name) ran \(most) clusters at once")
            if stage.name == "production" { #expect(most == 3) }
        }
        // The Advanced DaemonSet steps its partitions in order, baking 10m between steps.
        for cluster in order {
            let steps = events.filter { $0.cluster == cluster && $0.addon == "node-local-dns" && $0.outcome == .partitionStep }
            #expect(steps.count == 5)
            for (a, b) in zip(steps, steps.dropFirst()) { #expect(b.at.timeIntervalSince(a.at) >= 600) }
        }
        let records = try await scenario.store.applied(environment: "production").filter { $0.addon == "node-local-dns" }
        #expect(records.allSatisfy { $0.commit == bump })
    }

    /// Scenarios 2 and 3: a broken image halts in the first batch of the first production
    /// stage, nothing later is touched; a `git revert` brings the touched cluster back and
    /// records every other cluster without an apply.
    @Test func aBrokenImageHaltsAndARevertWalksItBack() async throws {
        let scenario = try FleetScenario()
        try await scenario.converge()
        try scenario.edit("releases/2026-11-1.yaml", replacing: "coredns:v1.11.3", with: "coredns:v1.11.3-broken")
        let broken = try scenario.repo.commit("coredns broken")
        let outcomes = try await scenario.runApproving()
        #expect(outcomes["production"] == .halted)
        #expect(Controller.exitCode(outcomes) == 3)
        let blueprint = try scenario.blueprint("production")
        let first = try #require(blueprint.stages.first?.batches.first?.first)
        let state = try #require(try await scenario.rolloutState("production"))
        #expect(state.phase == .halted)
        #expect(state.stage == 0 && state.batch == 0)
        #expect(state.haltReason?.contains(first) == true)
        let failed = state.clusters.first { $0.name == first }
        if case .failed? = failed?.phase {} else { Issue.record("the first canary cluster is not failed: \(String(describing: failed?.phase))") }
        // Only the first cluster of the canary stage was touched by the broken commit.
        #expect(try await Set(scenario.calls(commit: broken).map(\.cluster)) == [first])
        let status = try await StatusReport.make(store: scenario.store, repository: scenario.repo.path, environment: "production", now: await scenario.clock.now())
        #expect(status.environments.first?.rollout?.phase == .halted)
        #expect(status.environments.first?.rollout?.haltReason != nil)

        try scenario.repo.git("revert", "--no-edit", "HEAD")
        let revert = scenario.head
        let after = try await scenario.runApproving()
        #expect(after["production"] == .converged)
        // The touched cluster got the old image back; every other cluster only a record.
        let revertCalls = try await scenario.calls(commit: revert)
        #expect(Set(revertCalls.map(\.cluster)) == [first])
        #expect(revertCalls.allSatisfy { $0.addon == "coredns" || $0.addon == "fluent-bit" || $0.addon == "metrics-server"
            || $0.addon == "ingress-nginx" || $0.addon == "node-local-dns" || $0.addon == "monitoring-agent" })
        let records = try await scenario.store.applied(environment: "production")
        #expect(records.allSatisfy { $0.commit == revert && $0.pending == nil })
        let cluster = try #require(try await scenario.plan().repository.clusters[first])
        let coredns = try await scenario.connector.driver(for: cluster)
            .get(ObjectKey(group: "apps", kind: "Deployment", namespace: "kube-system", name: "coredns"))
        let image = coredns?.at(["spec", "template", "spec", "containers"])?.listValue?.first?.at("image")?.stringValue
        #expect(image == "registry.k8s.io/coredns/coredns:v1.11.3")
    }

    /// A custom workload an add-on describes in `spec.workloads` (KubeNode's
    /// MachineComponentSet) steps through its named partition on simulated clusters, like an
    /// Advanced DaemonSet: the description reaches the drivers from addon.yaml.
    @Test func aCustomWorkloadDescribedByItsAddonStepsThroughItsPartition() async throws {
        let scenario = try FleetScenario()
        let folder = scenario.repo.path + "/addons/akubelet"
        try FileManager.default.createDirectory(atPath: folder + "/templates", withIntermediateDirectories: true)
        try """
            apiVersion: sluice.dev/v1
            kind: Addon
            metadata: {name: akubelet}
            spec:
              namespace: kube-system
              rollout: {partitions: [1, "50%", "100%"], bake: 5m}
              workloads:
                - apiVersion: kubenode.alibabacloud.com/v1
                  kind: MachineComponentSet
                  partition: spec.updateStrategy.partition
                  maxUnavailable: spec.updateStrategy.maxUnavailable
                  replicas: perNode
                  status: {desired: status.desiredNumber, updated: status.updatedNumber, ready: status.readyNumber, updatedReady: status.updatedReadyNumber}
            """.write(toFile: folder + "/addon.yaml", atomically: true, encoding: .utf8)
        try """
            apiVersion: kubenode.alibabacloud.com/v1
            kind: MachineComponentSet
            metadata: {name: akubelet}
            spec:
              componentName: akubelet
              selector: {}
              template: {spec: {containers: [{name: akubelet, image: "{{ .Images.main }}"}]}}
              updateStrategy: {maxUnavailable: 20%, partition: 0}
            """.write(toFile: folder + "/templates/set.yaml", atomically: true, encoding: .utf8)
        try scenario.edit("releases/2026-11-2.yaml", replacing: "  addons:\n", with: "  addons:\n    akubelet: {version: \"1.18.6\", images: {main: \"registry.example.com/akubelet:1.18.6\"}}\n")
        try scenario.repo.commit("akubelet")
        try scenario.repo.git("branch", "-f", "staging", "HEAD")
        try await scenario.converge()
        try scenario.edit("releases/2026-11-2.yaml", replacing: "akubelet:1.18.6", with: "akubelet:1.18.7")
        let bump = try scenario.repo.commit("akubelet 1.18.7")
        try scenario.repo.git("branch", "-f", "staging", "HEAD")
        let outcomes = try await scenario.runApproving()
        #expect(outcomes["staging"] == .converged)
        let steps = try await scenario.history(environment: "staging")
            .filter { $0.commit == bump && $0.cluster == "test-1" && $0.addon == "akubelet" && $0.outcome == .partitionStep }
        #expect(steps.count == 3)
        let cluster = try #require(try await scenario.plan().repository.clusters["test-1"])
        let key = try #require(try await scenario.connector.driver(for: cluster).list(labels: [SluiceLabels.addon: "akubelet"]).keys.first)
        let kinds = try await scenario.plan().repository.customWorkloads
        let status = try #require(try await scenario.connector.driver(for: cluster).workloadStatus(key, kinds: kinds))
        #expect(status.isHealthy && status.updated == status.desired && status.desired == 3)
    }

    /// Scenario 4: a change on `staging` rolls through staging only; merging `staging` into
    /// `main` rolls it through production.
    @Test func promotionIsAMergeFromStagingIntoMain() async throws {
        let scenario = try FleetScenario()
        try await scenario.converge()
        let before = scenario.head
        try scenario.repo.git("checkout", "-q", "staging")
        try scenario.edit("addons/coredns/values.yaml", replacing: "replicas: 2", with: "replicas: 3")
        let change = try scenario.repo.commit("coredns: 3 replicas by default")
        try scenario.repo.git("checkout", "-q", "main")
        try await scenario.runApproving()
        #expect(try await scenario.store.applied(environment: "staging").allSatisfy { $0.commit == change })
        #expect(try await scenario.store.applied(environment: "production").allSatisfy { $0.commit == before })
        #expect(try await scenario.calls(commit: change).allSatisfy { ["test-1", "test-2", "stg-us-1", "stg-eu-1"].contains($0.cluster) })
        #expect(try await !(scenario.calls(commit: change)).isEmpty)

        try scenario.repo.git("merge", "-q", "--no-ff", "--no-edit", "staging")
        let merged = scenario.head
        let outcomes = try await scenario.runApproving()
        #expect(outcomes["production"] == .converged)
        #expect(try await scenario.store.applied(environment: "production").allSatisfy { $0.commit == merged })
        let production = Set(try scenario.blueprint("production").stages.flatMap { $0.batches.flatMap { $0 } })
        #expect(try await Set(scenario.calls(commit: merged).map(\.cluster)).isSubset(of: production))
        #expect(try await !(scenario.calls(commit: merged)).isEmpty)
    }

    /// Scenario 5: an invalid commit is rejected as a whole; nothing applied, the last good
    /// commit stays, status and history say why.
    @Test(arguments: ["cycle", "template"])
    func anInvalidCommitIsRejectedAsAWhole(_ breakage: String) async throws {
        let scenario = try FleetScenario()
        try await scenario.converge()
        let good = scenario.head
        if breakage == "cycle" {
            try scenario.edit("addons/kube-proxy/addon.yaml", replacing: "dependsOn: []", with: "dependsOn: [coredns]")
        } else {
            try scenario.edit("addons/coredns/templates/deployment.yaml", replacing: "{{ .Values.replicas }}", with: "{{ .Values.nope.replicas }}")
        }
        try scenario.edit("releases/2026-11-1.yaml", replacing: Self.oldDNS, with: Self.newDNS)
        let bad = try scenario.repo.commit("broken \(breakage)")
        let outcomes = try await scenario.runApproving()
        #expect(outcomes["production"] == .rejected)
        #expect(Controller.exitCode(outcomes) == 3)
        #expect(try await scenario.calls(commit: bad).isEmpty)
        #expect(try await scenario.store.applied(environment: "production").allSatisfy { $0.commit == good })
        let rejections = try await scenario.history(environment: "production").filter { $0.kind == .rejection }
        #expect(rejections.map(\.commit) == [bad])
        let status = try await StatusReport.make(store: scenario.store, repository: scenario.repo.path, environment: "production", now: await scenario.clock.now())
        #expect(status.environments.first?.rejected?.commit == bad)
        #expect(status.environments.first?.applied == good)
    }
}

extension ControllerScenarioTests {
    /// The example fleet with `onFailure: rollback` on the canary stage, converged; and the
    /// commit it converged on.
    func canaryThatRollsBack() async throws -> (FleetScenario, String) {
        let scenario = try FleetScenario()
        try scenario.edit("pipelines/production.yaml", replacing: "      bake: 1h\n      checks:\n        pre: [business-hours, no-freeze]\n        post: [healthy, apiserver-errors]\n    - name: small-flow",
                          with: "      bake: 1h\n      onFailure: rollback\n      checks:\n        pre: [business-hours, no-freeze]\n        post: [healthy, apiserver-errors]\n    - name: small-flow")
        try scenario.repo.commit("canary rolls back")
        let good = scenario.head
        try await scenario.converge()
        return (scenario, good)
    }

    /// `onFailure: rollback`: the failed batch's touched clusters get the last converged
    /// commit again, then the rollout halts.
    @Test func aStageThatRollsBackReappliesTheLastConvergedCommit() async throws {
        let (scenario, good) = try await canaryThatRollsBack()
        try scenario.edit("releases/2026-11-1.yaml", replacing: "coredns:v1.11.3", with: "coredns:v1.11.3-broken")
        let broken = try scenario.repo.commit("coredns broken")
        let outcomes = try await scenario.runApproving()
        #expect(outcomes["production"] == .halted)
        let first = try #require(try scenario.blueprint("production").stages.first?.batches.first?.first)
        let state = try await #require(try scenario.rolloutState("production"))
        #expect(state.clusters.first { $0.name == first }?.phase == .rolledBack)
        #expect(try await scenario.history(environment: "production").contains { $0.cluster == first && $0.outcome == .rolledBack })
        // The cluster runs the good image again and records the last converged commit.
        let cluster = try #require(try await scenario.plan().repository.clusters[first])
        let coredns = try await scenario.connector.driver(for: cluster)
            .get(ObjectKey(group: "apps", kind: "Deployment", namespace: "kube-system", name: "coredns"))
        #expect(coredns?.at(["spec", "template", "spec", "containers"])?.listValue?.first?.at("image")?.stringValue == "registry.k8s.io/coredns/coredns:v1.11.3")
        let record = try await scenario.store.applied(environment: "production", cluster: first, addon: "coredns")
        #expect(record?.commit == good && record?.pending == nil)
        #expect(broken != good)
    }

    /// A DaemonSet that fails in its first partition step is rolled back too: the rollback
    /// releases the partition it had set (a partition left in place holds the status short of
    /// healthy, and the rollback was reported failed after its health timeout).
    @Test func aRollbackOfAPartitionedAddonReleasesItsPartition() async throws {
        let (scenario, good) = try await canaryThatRollsBack()
        try scenario.edit("releases/2026-11-1.yaml", replacing: "k8s-dns-node-cache:1.23.1\"", with: "k8s-dns-node-cache:1.23.2-broken\"")
        _ = try scenario.repo.commit("node-local-dns broken")
        let outcomes = try await scenario.runApproving()
        #expect(outcomes["production"] == .halted)
        let first = try #require(try scenario.blueprint("production").stages.first?.batches.first?.first)
        let history = try await scenario.history(environment: "production")
        #expect(history.contains { $0.cluster == first && $0.outcome == .partitionStep })
        #expect(history.contains { $0.cluster == first && $0.outcome == .rolledBack })
        #expect(!history.contains { $0.outcome == .rollbackFailed })
        let cluster = try #require(try await scenario.plan().repository.clusters[first])
        let daemonSet = try await scenario.connector.driver(for: cluster)
            .get(ObjectKey(group: "apps.kruise.io", kind: "DaemonSet", namespace: "kube-system", name: "node-local-dns"))
        #expect(daemonSet?.at(["spec", "template", "spec", "containers"])?.listValue?.first?.at("image")?.stringValue
                == "registry.k8s.io/dns/k8s-dns-node-cache:1.23.1")
        #expect(daemonSet?.at(["spec", "updateStrategy", "rollingUpdate", "partition"]) == .int(0))
        #expect(try await scenario.store.applied(environment: "production", cluster: first, addon: "node-local-dns")?.commit == good)
    }
}
