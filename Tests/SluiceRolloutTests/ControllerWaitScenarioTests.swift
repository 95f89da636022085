import Foundation
import Synchronization
import SluiceCore
import SluiceDrivers
import SluiceModel
import SluiceRollout
import SluiceStore
import SluiceTestSupport
import Testing

/// Controller scenarios about time and the world outside: a newer commit mid-rollout, a
/// freeze and a weekend window, clusters that cannot be reached.
@Suite(.timeLimit(.minutes(10))) struct ControllerWaitScenarioTests {
    static let oldDNS = "k8s-dns-node-cache:1.23.1"

    /// Scenario 6: a newer commit during the second stage lets running applies finish, then
    /// the newest commit starts from the first stage.
    @Test func aNewerCommitDuringTheSecondStageSupersedes() async throws {
        let scenario = try FleetScenario()
        try await scenario.converge()
        try scenario.edit("releases/2026-11-1.yaml", replacing: Self.oldDNS, with: "k8s-dns-node-cache:1.23.2")
        let first = try scenario.repo.commit("node-local-dns 1.23.2")
        let second = Mutex<String?>(nil)
        var options = FleetScenario.controllerOptions
        let repo = scenario.repo
        options.observer = { state, _ in
            // In the runner's loop: time stands still while the commit is made.
            guard state.environment == "production", state.commit == first, state.stage == 1,
                  second.withLock({ $0 == nil }) else { return }
            let text = (try? repo.read("releases/2026-11-1.yaml")) ?? ""
            try? repo.write("releases/2026-11-1.yaml", text.replacingOccurrences(of: "k8s-dns-node-cache:1.23.2", with: "k8s-dns-node-cache:1.23.3"))
            let commit = try? repo.commit("node-local-dns 1.23.3")
            second.withLock { $0 = commit }
        }
        let outcomes = try await scenario.runApproving(options: options)
        #expect(outcomes["production"] == .converged)
        let newest = try #require(second.withLock { $0 })
        let events = try await scenario.history(environment: "production")
        let superseded = try #require(events.firstIndex { $0.commit == first && $0.outcome == .superseded })
        // The newest commit starts from the first stage once the old rollout stopped.
        let restart = try #require(events.firstIndex { $0.commit == newest && $0.outcome == .batchStarted })
        #expect(restart > superseded)
        let old = try await #require(try scenario.store.rollouts(environment: "production", limit: 10).first { $0.commit == first })
        #expect(old.phase == .superseded)
        // The old commit never reached the third stage.
        let production = Set(try scenario.blueprint("production").stages[2].batches.flatMap { $0 })
        #expect(try await scenario.calls(commit: first).allSatisfy { !production.contains($0.cluster) })
        #expect(try await scenario.store.applied(environment: "production").allSatisfy { $0.commit == newest && $0.pending == nil })
    }

    /// Scenario 7: a freeze and a weekend window hold a rollout without failing it;
    /// unfreezing resumes it, in the next window.
    @Test func aFreezeAndAWeekendWindowHoldWithoutFailing() async throws {
        let scenario = try FleetScenario()
        try await scenario.converge()
        let now = await scenario.clock.now()
        try await scenario.store.setFreeze(environment: "production", to: FreezeRecord(environment: "production", user: "ops", reason: "holidays", at: now),
                                     event: HistoryEvent(at: now, kind: .operatorAction, environment: "production", detail: "frozen"))
        try scenario.edit("releases/2026-11-1.yaml", replacing: Self.oldDNS, with: "k8s-dns-node-cache:1.23.2")
        let bump = try scenario.repo.commit("node-local-dns 1.23.2")
        let held = try await scenario.runController()
        #expect(held["production"] == .waitingForOperator)
        #expect(Controller.exitCode(held) == 5)
        #expect(try await scenario.rolloutState("production")?.isHeld == true)
        #expect(try await scenario.calls(commit: bump).isEmpty)

        let unfrozen = await scenario.clock.now()
        try await scenario.store.setFreeze(environment: "production", to: nil,
                                     event: HistoryEvent(at: unfrozen, kind: .operatorAction, environment: "production", detail: "unfrozen"))
        let outcomes = try await scenario.runApproving()
        #expect(outcomes["production"] == .converged)
        let events = try await scenario.history(environment: "production").filter { $0.commit == bump }
        #expect(!events.contains { [.pairFailed, .clusterFailed, .checkFailed, .halted].contains($0.outcome) })
        #expect(events.contains { $0.outcome == .checkHolds })
        #expect(events.contains { $0.outcome == .checkWaits })
        // Every cluster was applied inside the window: Monday to Thursday, 09:00-16:00 Berlin.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "Europe/Berlin"))
        let starts = events.filter { $0.outcome == .clusterApplying }
        #expect(starts.count == 14)
        for start in starts {
            let parts = calendar.dateComponents([.weekday, .hour], from: start.at)
            #expect([2, 3, 4, 5].contains(parts.weekday ?? 0), "applied on weekday \(parts.weekday ?? 0)")
            #expect((9..<16).contains(parts.hour ?? 0), "applied at \(parts.hour ?? 0):00")
        }
        // The clock was on a Friday: nothing started before Monday.
        #expect(calendar.component(.weekday, from: unfrozen) == 6)
        #expect(starts.allSatisfy { $0.at.timeIntervalSince(unfrozen) > 2 * 86_400 })
    }

    /// Scenario 8a: under `unreachable: wait` (the default) the batch waits for the cluster,
    /// status says which and since when, and the rollout goes on once it is back.
    @Test func anUnreachableClusterHoldsItsBatchUnderWait() async throws {
        let scenario = try FleetScenario()
        try await scenario.converge()
        let bump = try scenario.commitOnStaging("node-local-dns 1.24.1") {
            try scenario.edit("releases/2026-11-2.yaml", replacing: "k8s-dns-node-cache:1.24.0", with: "k8s-dns-node-cache:1.24.1")
        }
        await scenario.network.cut("test-2")
        // --until-idle returns when the batch waits only for the unreachable cluster (it does
        // not spin on retries), and status says which and since when.
        let waiting = try await scenario.runApproving()
        #expect(waiting["staging"] == .waitingForClusters)
        #expect(Controller.exitCode(waiting) == 7)
        let state = try await #require(try scenario.rolloutState("staging"))
        #expect(state.waitingFor?.contains("test-2 since") == true)
        let healed = await scenario.clock.now()
        await scenario.network.heal("test-2")
        let outcomes = try await scenario.runApproving()
        #expect(outcomes["staging"] == .converged)
        let events = try await scenario.history(environment: "staging").filter { $0.commit == bump }
        #expect(events.contains { $0.cluster == "test-2" && $0.outcome == .unreachableWaits })
        #expect(!events.contains { [.pairFailed, .clusterFailed, .halted].contains($0.outcome) })
        // The next stage started only after test-2 was back and done.
        let next = try #require(events.first { $0.outcome == .batchStarted && $0.detail.hasPrefix("stage staging, batch 1") })
        #expect(next.at > healed)
        #expect(try await scenario.store.applied(environment: "staging").allSatisfy { $0.commit == bump })
    }

    /// Scenario 8b: under `unreachable: skip` the batch goes on without the cluster, which
    /// gets the commit when it is back, recorded in the history.
    @Test func anUnreachableClusterIsSkippedAndCaughtUpUnderSkip() async throws {
        let scenario = try FleetScenario()
        try await scenario.converge()
        try scenario.repo.git("checkout", "-q", "staging")
        try scenario.edit("pipelines/staging.yaml", replacing: "      batches: [1, \"100%\"]\n      bake: 10m", with: "      batches: [1, \"100%\"]\n      bake: 10m\n      unreachable: skip")
        try scenario.edit("releases/2026-11-2.yaml", replacing: "k8s-dns-node-cache:1.24.0", with: "k8s-dns-node-cache:1.24.1")
        let bump = try scenario.repo.commit("node-local-dns 1.24.1, skip unreachable test clusters")
        try scenario.repo.git("checkout", "-q", "main")
        await scenario.network.cut("test-1")
        let outcomes = try await scenario.runApproving()
        #expect(outcomes["staging"] == .converged)
        let state = try await #require(try scenario.rolloutState("staging"))
        #expect(state.skipped.map(\.name) == ["test-1"])
        let records = try await scenario.store.applied(environment: "staging")
        #expect(records.filter { $0.cluster == "test-1" }.allSatisfy { $0.commit != bump })
        #expect(records.filter { $0.cluster != "test-1" }.allSatisfy { $0.commit == bump })

        await scenario.network.heal("test-1")
        let after = try await scenario.runApproving()
        #expect(after["staging"] == .converged)
        #expect(try await scenario.store.applied(environment: "staging").allSatisfy { $0.commit == bump })
        #expect(try await scenario.rolloutState("staging")?.phase == .done)
        #expect(try await scenario.history(environment: "staging").contains { $0.cluster == "test-1" && $0.outcome == .clusterReachableAgain })
    }
}
