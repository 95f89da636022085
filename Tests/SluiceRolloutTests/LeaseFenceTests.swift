import Foundation
import SluiceCore
import SluiceModel
import SluiceRollout
import SluiceSimulation
import SluiceStore
import SluiceTestSupport
import Testing

/// A runner whose lease is lost sends its clusters nothing more: every change (an apply, a
/// partition step, a drift correction) confirms the lease first, so a replica that wakes up
/// after another took its environment over does not act on it while its writes are refused.
@Suite(.timeLimit(.minutes(10))) struct LeaseFenceTests {
    @Test func aRunnerThatLostItsLeaseAppliesNothingMore() async throws {
        let scenario = try FleetScenario()
        try await scenario.converge()
        let bump = try scenario.commitOnStaging("node-local-dns 1.24.1") {
            try scenario.edit("releases/2026-11-2.yaml", replacing: "k8s-dns-node-cache:1.24.0", with: "k8s-dns-node-cache:1.24.1")
        }
        let store = CountingStore(scenario.store)
        var options = FleetScenario.controllerOptions
        // The lease is taken away once the rollout of the bump is written, before its first
        // action is performed (the observer runs between the two).
        options.observer = { state, _ in
            if state.environment == "staging", state.commit == bump { store.revokedLeases.withLock { _ = $0.insert("staging") } }
        }
        let outcomes = try await scenario.runController(options: options, store: store)
        #expect(outcomes["staging"] == .leaseLost)
        #expect(try await scenario.objects.calls(cluster: nil).filter { $0.commit == bump }.isEmpty)
        // The rollout was written (it started); the bumped add-on was recorded nowhere at it.
        #expect(try await scenario.rolloutState("staging")?.commit == bump)
        let bumped = try await scenario.store.applied(environment: "staging").filter { $0.addon == "node-local-dns" }
        #expect(!bumped.isEmpty && bumped.allSatisfy { $0.commit != bump })
    }

    @Test func aRunnerThatLostItsLeaseCorrectsNoDrift() async throws {
        let scenario = try await FleetScenario.correctingDriftInStaging()
        let coredns = ObjectKey(group: "apps", kind: "Deployment", namespace: "kube-system", name: "coredns")
        let cluster = try #require(try await scenario.plan().repository.clusters["stg-us-1"])
        let driver = try await scenario.connector.driver(for: cluster)
        _ = try await driver.patch(coredns, mergePatch: .map(["spec": .map(["replicas": .int(9)])]))
        let calls = try await scenario.objects.calls(cluster: "stg-us-1").count

        let store = CountingStore(scenario.store)
        store.revokedLeases.withLock { _ = $0.insert("staging") }
        var options = FleetScenario.controllerOptions
        options.resyncSeconds = 600
        let outcomes = try await scenario.runController(options: options, store: store)
        #expect(outcomes["staging"] == .leaseLost)
        #expect(try await driver.get(coredns)?.at(["spec", "replicas"]) == .int(9))
        #expect(try await scenario.objects.calls(cluster: "stg-us-1").count == calls)
    }
}
