import Foundation
import SluiceCore
import SluiceDrivers
import SluiceGit
import SluiceModel
import SluicePlan
import SluiceRollout
import SluiceStore
import SluiceTestSupport
import Testing

/// The one-shot apply: objects reach the simulated clusters with Sluice's labels, each pair is
/// recorded only once it is healthy, and a failing add-on stops its dependents.
@Suite(.timeLimit(.minutes(10))) struct PlanApplierTests {
    static let coredns = ObjectKey(group: "apps", kind: "Deployment", namespace: "kube-system", name: "coredns")

    @Test func applyRecordsEveryPairAndLabelsTheObjects() async throws {
        let scenario = try FleetScenario()
        let planned = try await scenario.plan(env: "staging")
        let report = try await scenario.apply(env: "staging")
        #expect(report.failures.isEmpty)
        #expect(report.operations == planned.plan.summary.create)
        let records = try await scenario.store.applied(environment: "staging")
        #expect(records.count == planned.pairs.count && report.recorded == records.count)
        #expect(records.allSatisfy { $0.commit == scenario.head && $0.digest.count == 64 })
        let cluster = try #require(planned.repository.clusters["test-1"])
        let live = try #require(try await scenario.connector.driver(for: cluster).get(Self.coredns))
        #expect(live.at(["metadata", "labels", "app.kubernetes.io/managed-by"]) == .string("sluice"))
        #expect(live.at(["metadata", "labels", "sluice.dev/addon"]) == .string("coredns"))
        #expect(live.at(["metadata", "annotations", "sluice.dev/commit"]) == .string(scenario.head))
        // Recorded only once healthy: every workload is rolled out.
        #expect(try await scenario.connector.driver(for: cluster).workloadStatus(Self.coredns, kinds: .none)?.isHealthy == true)
        let history = try await scenario.store.history(cluster: "test-1", addon: "coredns", limit: 10)
        #expect(history.first?.kind == .apply && history.first?.commit == scenario.head)
    }

    @Test func aBrokenImageTimesOutAndItsDependentsWait() async throws {
        let scenario = try FleetScenario()
        try await scenario.applyAll()
        let good = scenario.head
        // calico never becomes ready; coredns, which depends on it, is bumped in the same commit.
        try scenario.edit("releases/2026-11-2.yaml", replacing: "node: quay.io/calico/node:v3.29.0",
                          with: "node: quay.io/calico/node:v3.29.1-broken")
        try scenario.edit("releases/2026-11-2.yaml", replacing: "coredns/coredns:v1.11.4", with: "coredns/coredns:v1.11.5")
        try scenario.repo.commit("a broken calico")
        let report = try await scenario.apply(env: "staging", cluster: "test-1")
        #expect(report.failures.map(\.addon) == ["calico"])
        #expect(report.failures.first?.outcome == .healthNoProgress)
        #expect(try await scenario.store.applied(environment: "staging", cluster: "test-1", addon: "calico")?.commit == good)
        #expect(try await scenario.store.applied(environment: "staging", cluster: "test-1", addon: "coredns")?.commit == good)
        let cluster = try #require(try await scenario.plan().repository.clusters["test-1"])
        let live = try await scenario.connector.driver(for: cluster).get(Self.coredns)
        #expect(live?.at(["spec", "template", "spec", "containers"])?.listValue?.first?.at("image")
                == .string("registry.k8s.io/coredns/coredns:v1.11.4"))
        let failed = try await scenario.store.history(cluster: "test-1", addon: "calico", limit: 1).first
        #expect(failed?.outcome == .healthNoProgress && failed?.commit == scenario.head)
    }

    @Test func aPlanFromAPlainDirectoryIsNotApplied() async throws {
        let scenario = try FleetScenario()
        let tree = try SluiceGit.DirectoryTree(root: scenario.repo.path)
        let result = try await FleetPlanner(store: scenario.store, connector: scenario.connector)
            .plan(tree, gitPath: nil, selection: PlanSelection(environment: "staging"), detail: .apply)
        await #expect(throws: ApplyRefusal.self) {
            try await PlanApplier(store: scenario.store, connector: scenario.connector, clock: scenario.clock).apply(result)
        }
        #expect(try await scenario.store.applied(environment: "staging").isEmpty)
    }

    /// Each step is written before what it guards is performed: a store that cannot be
    /// written applies nothing, and says so for every pair.
    @Test func aStoreThatCannotBeWrittenAppliesNothing() async throws {
        let scenario = try FleetScenario()
        let planned = try await scenario.plan(env: "staging", cluster: "test-1", keepSteps: true)
        let failing = CountingStore(scenario.store)
        failing.failing.withLock { $0["commit"] = (StoreError("disk I/O error (injected)"), 1_000) }
        let report = try await PlanApplier(store: failing, connector: scenario.connector, clock: scenario.clock).apply(planned)
        #expect(report.operations == 0 && report.recorded == 0)
        #expect(Set(report.failures.map(\.addon)) == Set(planned.pairs.map(\.addon)))
        let cluster = try #require(planned.repository.clusters["test-1"])
        #expect(try await scenario.connector.driver(for: cluster).get(Self.coredns) == nil)
        #expect(try await scenario.store.applied(environment: "staging").isEmpty)
    }
}
