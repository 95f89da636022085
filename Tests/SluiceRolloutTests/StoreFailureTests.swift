import Foundation
import Logging
import Synchronization
import SluiceModel
import SluiceRollout
import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing

/// Store reads and writes fail closed: a failure is retried (with backoff) or stops the
/// environment, never read as "no rollout", "not frozen" or "nothing to do".
@Suite(.timeLimit(.minutes(10))) struct StoreFailureTests {
    static let oldDNS = "k8s-dns-node-cache:1.23.1"
    static let newDNS = "k8s-dns-node-cache:1.23.2"

    @Test func aFreezeThatCannotBeReadHoldsTheBatch() async throws {
        let scenario = try FleetScenario()
        let store = CountingStore(scenario.store)
        store.failing.withLock { $0["freeze"] = (StoreError("disk I/O error (injected)"), 1) }
        let repository = try await scenario.plan().repository
        let checks = CheckRunner(store: store, connector: scenario.connector, clock: scenario.clock, gitPath: scenario.repo.path)
        let context = CheckRunner.Context(environment: "production", stage: "canary", commit: scenario.head, repository: repository)
        let gate = CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil)
        guard case .hold = await checks.run(gate, context) else { Issue.record("a failed freeze read did not hold"); return }
        // Once the store answers, the gate is judged on what it says.
        if case .hold(let why) = await checks.run(gate, context) { Issue.record("held without a freeze: \(why)") }
        #expect(store.calls("freeze") == 2)
    }

    /// Production waits for an approval mid-rollout; the controller restarts and its first
    /// reads of the rollout fail. It tries again, with growing pauses, and goes on with the
    /// same rollout: no fresh rollout from stage 1, no approval lost.
    @Test func aFailedReadOfTheRolloutUnderWayIsRetriedNeverAFreshRollout() async throws {
        let scenario = try FleetScenario()
        try await scenario.converge()
        try scenario.edit("releases/2026-11-1.yaml", replacing: Self.oldDNS, with: Self.newDNS)
        let bump = try scenario.repo.commit("node-local-dns 1.23.2")
        let first = try await scenario.runController()
        #expect(first["production"] == .waitingForOperator)
        let waiting = try await #require(try scenario.rolloutState("production"))
        #expect(waiting.phase == .awaitingApproval && waiting.commit == bump)

        let store = CountingStore(scenario.store)
        store.failing.withLock { $0["rollout"] = (StoreError("disk I/O error (injected)"), 6) }
        let before = await scenario.clock.now()
        let outcomes = try await scenario.runController(store: store)
        #expect(outcomes["production"] == .waitingForOperator)
        let after = try await #require(try scenario.rolloutState("production"))
        #expect(after.id == waiting.id)
        #expect(after.stage == waiting.stage && after.phase == .awaitingApproval)
        let started = try await scenario.history(environment: "production").filter { $0.outcome == .rolloutStarted && $0.at >= before }
        #expect(started.isEmpty)
        // Six failures shared by the two environments, retried with backoff: one of them
        // failed at least three times, which takes 1 + 2 + 4 s at least.
        #expect(store.calls("rollout") >= 7)
        #expect(await scenario.clock.now().timeIntervalSince(before) >= 7)
    }

    /// Writes that fail are retried with backoff, not at once: a disk that fails five times
    /// costs five writes over a minute of (virtual) time, and the rollout then converges.
    @Test func failedWritesBackOffAndTheRolloutGoesOn() async throws {
        let scenario = try FleetScenario()
        try await scenario.converge()
        let bump = try scenario.commitOnStaging("node-local-dns 1.24.1") {
            try scenario.edit("releases/2026-11-2.yaml", replacing: "k8s-dns-node-cache:1.24.0", with: "k8s-dns-node-cache:1.24.1")
        }
        let store = CountingStore(scenario.store)
        store.failing.withLock { $0["commit"] = (StoreError("disk I/O error (injected)"), 5) }
        let logged = LogCapture()
        let outcomes = try await scenario.runController(store: store, logger: Logger(label: "test", factory: { _ in logged }))
        // The failures count on while reads succeed in between: the backoff grows (it started
        // over at 1 s after every successful read, so a store that reads but cannot be written
        // was retried every second).
        // (The 5 failures are shared by the two environments: one of them failed 3 times at least.)
        #expect((logged.metadata("storeFailures").compactMap { Int($0) }.max() ?? 0) >= 3)
        #expect(outcomes["staging"] == .converged)
        #expect(try await scenario.store.applied(environment: "staging").allSatisfy { $0.commit == bump })
        // Every failed write was retried after a pause: 5 failures and the successful writes,
        // not hundreds of tries.
        #expect(store.calls("commit") < 400)
    }

    /// The records a new head's validation reads cannot be read: that says nothing about the
    /// commit. It is not rejected; it is validated again at the next poll and rolls out.
    @Test func aHeadWhoseValidationCannotReadTheStoreIsNotRejected() async throws {
        let scenario = try FleetScenario()
        try await scenario.converge()
        let bump = try scenario.commitOnStaging("node-local-dns 1.24.1") {
            try scenario.edit("releases/2026-11-2.yaml", replacing: "k8s-dns-node-cache:1.24.0", with: "k8s-dns-node-cache:1.24.1")
        }
        let store = CountingStore(scenario.store)
        store.failing.withLock { $0["applied"] = (StoreError("database is locked (injected)", kind: .busy), 2) }
        let outcomes = try await scenario.runController(store: store)
        #expect(store.calls("applied") > 2)
        #expect(outcomes["staging"] == .converged)
        #expect(try await scenario.history(environment: "staging").allSatisfy { $0.outcome != .rejected })
        #expect(try await scenario.store.applied(environment: "staging").allSatisfy { $0.commit == bump })
    }

    /// A store SQLite finds damaged stops the environment: nothing more is applied there, and
    /// `--until-idle` returns `storeDamaged` (exit 6).
    @Test func aDamagedStoreStopsTheEnvironment() async throws {
        let scenario = try FleetScenario()
        try await scenario.converge()
        try scenario.edit("releases/2026-11-1.yaml", replacing: Self.oldDNS, with: Self.newDNS)
        let bump = try scenario.repo.commit("node-local-dns 1.23.2")
        let store = CountingStore(scenario.store)
        store.failing.withLock { $0["commit"] = (StoreError("state store is damaged (injected)", kind: .damaged), Int.max) }
        let outcomes = try await scenario.runController(store: store)
        #expect(outcomes["production"] == .storeDamaged)
        #expect(outcomes["staging"] == .storeDamaged)
        #expect(Controller.exitCode(outcomes) == 6)
        // Nothing of the bump reached a cluster: no step is performed that was not written.
        #expect(try await scenario.calls(commit: bump).isEmpty)
        #expect(store.calls("commit") <= 2)
    }

    @Test func theRollbackBaseIsTheNewestConvergedRolloutHoweverOld() async throws {
        let scenario = try FleetScenario()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        func record(_ n: Int, _ position: RolloutState.Position) throws -> RolloutRecord {
            var state = RolloutState(id: "r\(n)", environment: "production", commit: "c\(n)", baseCommit: nil,
                                     blueprint: RolloutBlueprint(stages: []), now: t0.addingTimeInterval(Double(n)))
            state.position = position
            return try state.record()
        }
        try await scenario.store.commit(StoreTransition(rollout: try record(0, .done)))
        for n in 1...80 { try await scenario.store.commit(StoreTransition(rollout: try record(n, n % 2 == 0 ? .rejected : .superseded(by: "c\(n + 1)", halt: nil)))) }
        #expect(try await scenario.store.lastRollout(environment: "production", phase: .done)?.commit == "c0")
        #expect(try await scenario.store.rollouts(environment: "production", limit: 50).allSatisfy { $0.phase != .done })
    }

    @Test func aStateThatCannotBeEncodedIsAnError() {
        var state = RolloutState(id: "r", environment: "production", commit: "c", baseCommit: nil,
                                 blueprint: RolloutBlueprint(stages: []), now: Date(timeIntervalSince1970: 1_800_000_000))
        state.updatedAt = Date(timeIntervalSince1970: .nan)
        #expect(throws: RolloutStateError.self) { _ = try state.record() }
    }
}

/// The store file itself damaged while the controller runs (pages overwritten with garbage,
/// or zeroed): the environments stop acting on it, with `storeDamaged`; nothing is applied
/// in a loop and no history is written into the damaged file.
@Suite(.timeLimit(.minutes(10))) struct DamagedStoreFileTests {
    @Test(arguments: ["zeroed", "garbage", "truncated"])
    func aStoreDamagedWhileRunningStopsTheEnvironments(damage: String) async throws {
        let scenario = try FleetScenario()
        try await scenario.converge()
        try scenario.edit("releases/2026-11-2.yaml", replacing: "coredns:v1.11.4", with: "coredns:v1.11.5")
        let bump = try scenario.repo.commit("coredns 1.11.5")
        try scenario.repo.git("branch", "-f", "staging", "HEAD")
        let path = scenario.stateFolder + "/state.db"
        let damaged = Mutex(false)
        let writtenAfter = Mutex(0)
        var options = FleetScenario.controllerOptions
        options.observer = { state, _ in
            // Told every state written: after the damage, a state was written only if a write got through.
            if damaged.withLock({ $0 }) { writtenAfter.withLock { $0 += 1 } }
            guard state.environment == "staging", state.clusters.contains(where: { $0.phase == .applying }),
                  !damaged.withLock({ $0 }) else { return }
            damaged.withLock { $0 = true }
            // Every page but the first (the header), as a disk that lost them would.
            guard let handle = FileHandle(forUpdatingAtPath: path) else { return }
            let size = (try? handle.seekToEnd()) ?? 0
            if damage == "truncated" {
                try? handle.truncate(atOffset: max(4096, size / 3))
            } else {
                try? handle.seek(toOffset: 4096)
                handle.write(Data(repeating: damage == "zeroed" ? 0 : 0x5A, count: Int(max(0, size - 4096))))
            }
            try? handle.close()
        }
        let outcomes = try await scenario.runController(options: options)
        #expect(damaged.withLock { $0 })
        #expect(outcomes["staging"] == .storeDamaged, "\(outcomes)")
        #expect(Controller.exitCode(outcomes) == 6)
        // Nothing went on being written into the damaged file (it wrote ~16 steps a second
        // before). A truncated file is refused at the next call (the store watches its size);
        // damaged pages are found when a read reaches one, on reading connections beside the
        // writer (issue 18), so a few steps more can go through first (6 seen once in seven
        // full runs). Before the size check, a truncated file once took 47 steps under CI's load.
        #expect(writtenAfter.withLock { $0 } <= (damage == "truncated" ? 1 : 8))
        // And the damage stays refused, never read as an empty store.
        await #expect(throws: StoreError.self) { try await scenario.store.applied(environment: "staging") }
        _ = bump
    }
}

/// A log handler that keeps every line's metadata, for tests that read what was logged.
final class LogCapture: LogHandler, @unchecked Sendable {
    private let lines = Mutex<[Logger.Metadata]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        lines.withLock { $0.append(self.metadata.merging(metadata ?? [:]) { _, new in new }) }
    }

    /// The values of `key` in the lines that have it, in order.
    func metadata(_ key: String) -> [String] {
        lines.withLock { $0.compactMap { $0[key].map { "\($0)" } } }
    }
}
