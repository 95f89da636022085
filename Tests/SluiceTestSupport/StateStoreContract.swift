import Foundation
import SluiceCore
import SluiceStore
import Testing

/// Behaviour every `StateStore` must have, written against the protocols only: the SQLite
/// store runs it now (`SQLiteStoreContractTests`), a PostgreSQL store will run the same.
/// `open` gives a new, empty store each time; `reopen` a second handle on the same store (a
/// second process), which must see what the first one committed.
public struct StateStoreContract {
    public let open: @Sendable () async throws -> any StateStore
    public let reopen: @Sendable (any StateStore) async throws -> any StateStore

    public init(open: @escaping @Sendable () async throws -> any StateStore,
                reopen: @escaping @Sendable (any StateStore) async throws -> any StateStore) {
        self.open = open
        self.reopen = reopen
    }

    static func at(_ seconds: Double) -> Date { Date(timeIntervalSince1970: 1_800_000_000 + seconds) }

    static func record(_ environment: String, _ cluster: String, _ addon: String, _ commit: String, at seconds: Double) -> AppliedRecord {
        AppliedRecord(environment: environment, cluster: cluster, addon: addon, commit: commit, digest: "digest-\(commit)", appliedAt: at(seconds))
    }

    static func rollout(_ id: String, _ environment: String, commit: String, phase: RolloutPhase, at seconds: Double,
                        blueprint: String = "") -> RolloutRecord {
        RolloutRecord(id: id, environment: environment, commit: commit, phase: phase, format: 1, state: Array("{\"id\":\"\(id)\"}".utf8),
                      blueprint: Array(blueprint.utf8), startedAt: at(seconds), updatedAt: at(seconds))
    }

    /// The render secret: 32 bytes made on first request, the same for every later request and
    /// every handle on the store (that another store draws another is `ChartAddonTests`').
    public func renderSecret() async throws {
        let store = try await open()
        let secret = try await store.renderSecret()
        #expect(secret.count == 32)
        #expect(try await store.renderSecret() == secret)
        let again = try await reopen(store)
        #expect(try await again.renderSecret() == secret)
    }

    /// Records are upserted (clearing a pending mark), sorted, found by key, each with its
    /// `applied` history event; a removal forgets the pair with a `removed` event.
    public func appliedRecords() async throws {
        let store = try await open()
        try await store.recordApply(Self.record("production", "c1", "dns", "a1", at: 1))
        try await store.recordApply([Self.record("production", "c1", "dns", "a2", at: 2), Self.record("production", "c0", "cni", "a2", at: 3),
                                     Self.record("staging", "t1", "dns", "a3", at: 4)])
        #expect(try await store.applied(environment: "production", cluster: "c1", addon: "dns") == Self.record("production", "c1", "dns", "a2", at: 2))
        #expect(try await store.applied(environment: "production", cluster: "c9", addon: "dns") == nil)
        #expect(try await store.applied(environment: "production").map(\.cluster) == ["c0", "c1"])
        #expect(try await store.applied().map(\.environment) == ["production", "production", "staging"])
        #expect(try await store.applied(environment: "nowhere").isEmpty)

        var mark = StoreTransition()
        mark.pending = [PendingApply(environment: "production", cluster: "c1", addon: "dns", commit: "a3")]
        try await store.commit(mark)
        #expect(try await store.applied(environment: "production", cluster: "c1", addon: "dns")?.pending == "a3")
        #expect(try await store.pending(environment: "production") == mark.pending)
        try await store.recordApply(Self.record("production", "c1", "dns", "a3", at: 5))
        #expect(try await store.pending(environment: "production").isEmpty)

        // Recorded again as it is: nothing changes, no second event.
        try await store.recordApply(Self.record("production", "c1", "dns", "a3", at: 5))
        try await store.removeApplied(environment: "production", cluster: "c0", addon: "cni", commit: "a4", at: Self.at(6))
        #expect(try await store.applied(environment: "production").map(\.addon) == ["dns"])
        let events = try await store.history(HistoryFilter(environment: "production"))
        #expect(events.map(\.outcome) == [.removed, .applied, .applied, .applied, .applied])
        #expect(events.first?.commit == "a4" && events.first?.cluster == "c0")

        // A pair's revision is kept and read back every way (1 unless said).
        #expect(try await store.applied(environment: "production", cluster: "c1", addon: "dns")?.revision == 1)
        var revised = Self.record("staging", "t1", "dns", "a5", at: 7)
        revised.revision = 3
        try await store.recordApply(revised)
        #expect(try await store.applied(environment: "staging", cluster: "t1", addon: "dns")?.revision == 3)
        #expect(try await store.applied(environment: "staging").first?.revision == 3)
        #expect(try await store.appliedChanges(since: 0).records.first { $0.environment == "staging" }?.revision == 3)
    }

    /// The change feed: what was written or removed since a version, as of a newer one; a
    /// version the store never gave reads everything.
    public func appliedChangeFeed() async throws {
        let store = try await open()
        let a = Self.record("production", "c1", "dns", "a1", at: 1), b = Self.record("production", "c2", "dns", "a1", at: 1)
        try await store.recordApply([a, b])
        let all = try await store.appliedChanges(since: 0)
        #expect(all.complete && all.records == [a, b] && all.removed.isEmpty)
        let quiet = try await store.appliedChanges(since: all.version)
        #expect(quiet == AppliedChanges(version: all.version, complete: false))
        // History and rollouts do not move it.
        try await store.append(HistoryEvent(at: Self.at(2), kind: .operatorAction, environment: "production", detail: "x"))
        #expect(try await store.appliedChanges(since: all.version).records.isEmpty)

        let a2 = Self.record("production", "c1", "dns", "a2", at: 3)
        try await store.recordApply(a2)
        let recorded = try await store.appliedChanges(since: all.version)
        #expect(recorded.version > all.version && !recorded.complete && recorded.records == [a2] && recorded.removed.isEmpty)
        var mark = StoreTransition()
        mark.pending = [PendingApply(environment: "production", cluster: "c2", addon: "dns", commit: "a2")]
        try await store.commit(mark)
        let marked = try await store.appliedChanges(since: recorded.version)
        #expect(marked.records.map(\.pending) == ["a2"] && marked.records.map(\.cluster) == ["c2"])

        try await store.removeApplied(environment: "production", cluster: "c1", addon: "dns", commit: "a3", at: Self.at(4))
        let removed = try await store.appliedChanges(since: marked.version)
        #expect(removed.records.isEmpty && removed.removed == [PairKey(environment: "production", cluster: "c1", addon: "dns")])
        // Recorded again after its removal: a reader that missed both sees the record.
        try await store.recordApply(a2)
        let back = try await store.appliedChanges(since: marked.version)
        #expect(back.records == [a2] && back.removed.isEmpty)
        // A version from elsewhere (a newer store's, a restored file's) reads everything.
        let foreign = try await store.appliedChanges(since: back.version + 1_000)
        #expect(foreign.complete && foreign.records.map(\.cluster) == ["c1", "c2"])
    }

    /// Newest first, filtered by environment, cluster, add-on and time, limited.
    public func history() async throws {
        let store = try await open()
        for index in 0..<6 {
            try await store.append(HistoryEvent(at: Self.at(Double(index)), kind: .check, environment: index % 2 == 0 ? "production" : "staging",
                                                cluster: "c\(index % 3)", addon: index < 3 ? "dns" : "cni", detail: "event \(index)",
                                                outcome: .checkPassed))
        }
        #expect(try await store.history(HistoryFilter()).map(\.detail) == (0..<6).reversed().map { "event \($0)" })
        #expect(try await store.history(HistoryFilter(environment: "staging")).map(\.detail) == ["event 5", "event 3", "event 1"])
        #expect(try await store.history(HistoryFilter(cluster: "c0", addon: "dns")).map(\.detail) == ["event 0"])
        #expect(try await store.history(HistoryFilter(since: Self.at(4))).map(\.detail) == ["event 5", "event 4"])
        #expect(try await store.history(HistoryFilter(limit: 2)).map(\.detail) == ["event 5", "event 4"])
        #expect(try await store.history(cluster: "c1", addon: nil, limit: 10).map(\.detail) == ["event 4", "event 1"])
        #expect(try await store.history(HistoryFilter()).first?.outcome == .checkPassed)
    }

    /// A step is written whole: state, cluster rows, records, marks, history and consumed
    /// commands; a new batch replaces the rows, a step upserts them; an empty blueprint keeps
    /// the stored one; the current rollout skips rejected ones, the list does not.
    public func rollouts() async throws {
        let store = try await open()
        let command = try await store.enqueue(OperatorCommand(environment: "production", verb: .resume, user: "ops", reason: "go", at: Self.at(0)))
        var first = StoreTransition(rollout: Self.rollout("r1", "production", commit: "c1", phase: .running, at: 1, blueprint: "{\"stages\":[]}"))
        first.clusterRows = [ClusterRow(position: 0, cluster: "a", state: Array("a0".utf8)), ClusterRow(position: 1, cluster: "b", state: Array("b0".utf8))]
        first.replacesClusters = true
        first.records = [Self.record("production", "a", "dns", "c1", at: 1)]
        first.history = [HistoryEvent(at: Self.at(1), kind: .rollout, environment: "production", commit: "c1", detail: "started", outcome: .rolloutStarted)]
        first.consumedCommands = [command]
        try await store.commit(first)
        var current = try #require(try await store.rollout(environment: "production"))
        #expect(current.clusters == [Array("a0".utf8), Array("b0".utf8)])
        #expect(current.blueprint == Array("{\"stages\":[]}".utf8))
        #expect(try await store.commands(environment: "production").isEmpty)
        #expect(try await store.applied(environment: "production").map(\.commit) == ["c1"])
        #expect(try await store.history(HistoryFilter(environment: "production")).contains { $0.outcome == .rolloutStarted })

        var step = StoreTransition(rollout: Self.rollout("r1", "production", commit: "c1", phase: .paused, at: 1))
        step.clusterRows = [ClusterRow(position: 1, cluster: "b", state: Array("b1".utf8))]
        try await store.commit(step)
        current = try #require(try await store.rollout(environment: "production"))
        #expect(current.phase == .paused && current.clusters == [Array("a0".utf8), Array("b1".utf8)])
        #expect(current.blueprint == Array("{\"stages\":[]}".utf8))

        var batch = StoreTransition(rollout: Self.rollout("r1", "production", commit: "c1", phase: .running, at: 1))
        batch.clusterRows = [ClusterRow(position: 0, cluster: "c", state: Array("c0".utf8))]
        batch.replacesClusters = true
        try await store.commit(batch)
        #expect(try await store.rollout(environment: "production")?.clusters == [Array("c0".utf8)])

        try await store.commit(StoreTransition(rollout: Self.rollout("r1", "production", commit: "c1", phase: .done, at: 1)))
        try await store.commit(StoreTransition(rollout: Self.rollout("r2", "production", commit: "c2", phase: .running, at: 2)))
        try await store.commit(StoreTransition(rollout: Self.rollout("r3", "production", commit: "c3", phase: .rejected, at: 3)))
        #expect(try await store.rollout(environment: "production")?.id == "r2")
        #expect(try await store.rollouts(environment: "production", limit: 10).map(\.id) == ["r3", "r2", "r1"])
        #expect(try await store.rollouts(environment: "production", limit: 1).map(\.id) == ["r3"])
        #expect(try await store.lastRollout(environment: "production", phase: .done)?.commit == "c1")
        #expect(try await store.lastRollout(environment: "production", phase: .halted) == nil)
        #expect(try await store.rollout(environment: "staging") == nil)
    }

    /// A step of thousands of rows (a batch of hundreds of clusters recorded at once) is
    /// written whole, as if row by row: records, marks, cluster rows and history in order, a
    /// pair or position written twice keeping its last row, every consumed command consumed.
    public func aLargeStepIsWrittenAsRowByRow() async throws {
        let store = try await open()
        let clusters = (0..<2_500).map { String(format: "c%04d", $0) }
        var commands: [Int64] = []
        for n in 0..<3 {
            commands.append(try await store.enqueue(OperatorCommand(environment: "production", verb: .resume, user: "ops", reason: "\(n)", at: Self.at(0))))
        }
        try await store.recordApply(clusters.map { Self.record("production", $0, "dns", "a1", at: 1) })
        var marks = StoreTransition()
        marks.pending = clusters.prefix(1_500).map { PendingApply(environment: "production", cluster: $0, addon: "dns", commit: "a2") }
        try await store.commit(marks)
        #expect(try await store.pending(environment: "production").count == 1_500)

        var step = StoreTransition(rollout: Self.rollout("r1", "production", commit: "a2", phase: .running, at: 2))
        step.replacesClusters = true
        step.clusterRows = clusters.enumerated().map { ClusterRow(position: $0.offset, cluster: $0.element, state: Array("s0".utf8)) }
            + [ClusterRow(position: 7, cluster: clusters[7], state: Array("s1".utf8))]
        step.records = clusters.prefix(1_200).map { Self.record("production", $0, "dns", "a2", at: 2) }
            + [Self.record("production", clusters[3], "dns", "a3", at: 3)]
        step.history = (0..<1_100).map { HistoryEvent(at: Self.at(4), kind: .rollout, environment: "production", commit: "a2", detail: "event \($0)") }
        step.consumedCommands = Array(commands.prefix(2))
        try await store.commit(step)

        let records = try await store.applied(environment: "production")
        #expect(records.count == 2_500)
        #expect(records.filter { $0.commit == "a2" }.count == 1_199)
        #expect(records.first { $0.cluster == clusters[3] }?.commit == "a3")
        #expect(try await store.pending(environment: "production").map(\.cluster) == Array(clusters[1_200..<1_500]))
        let rollout = try #require(try await store.rollout(environment: "production"))
        #expect(rollout.clusters.count == 2_500 && rollout.clusters[7] == Array("s1".utf8) && rollout.clusters[8] == Array("s0".utf8))
        let events = try await store.history(HistoryFilter(environment: "production", limit: 10_000))
        #expect(events.count == 2_500 + 1_201 + 1_100)
        // Newest first: the step's own events last written, in order; the records' before them.
        #expect(events.prefix(1_100).map(\.detail) == (0..<1_100).reversed().map { "event \($0)" })
        #expect(events[1_100].commit == "a3" && events[1_101].cluster == clusters[1_199])
        #expect(try await store.commands(environment: "production").map(\.reason) == ["2"])

        // Twice in a small step too: the last row stands.
        var twice = StoreTransition(rollout: Self.rollout("r1", "production", commit: "a2", phase: .running, at: 5))
        twice.clusterRows = [ClusterRow(position: 9, cluster: clusters[9], state: Array("x".utf8)), ClusterRow(position: 9, cluster: clusters[9], state: Array("y".utf8))]
        twice.records = [Self.record("production", clusters[5], "dns", "a4", at: 5), Self.record("production", clusters[5], "dns", "a5", at: 6)]
        try await store.commit(twice)
        #expect(try await store.rollout(environment: "production")?.clusters[9] == Array("y".utf8))
        #expect(try await store.applied(environment: "production", cluster: clusters[5], addon: "dns")?.commit == "a5")
        #expect(try await store.history(HistoryFilter(environment: "production", limit: 2)).map(\.commit) == ["a5", "a4"])
    }

    /// The newest rollout is the one started last, whatever its clock said: a store written
    /// under virtual or scaled time holds start times ahead of the wall clock.
    public func newestRolloutIsTheLastStartedWhateverItsClock() async throws {
        let store = try await open()
        try await store.commit(StoreTransition(rollout: Self.rollout("ahead", "production", commit: "c1", phase: .done, at: 86_400 * 30)))
        try await store.commit(StoreTransition(rollout: Self.rollout("now", "production", commit: "c2", phase: .done, at: 0)))
        #expect(try await store.rollout(environment: "production")?.id == "now")
        #expect(try await store.rollouts(environment: "production", limit: 10).map(\.id) == ["now", "ahead"])
        #expect(try await store.lastRollout(environment: "production", phase: .done)?.commit == "c2")
        // A step of the older rollout written again does not make it the newest.
        try await store.commit(StoreTransition(rollout: Self.rollout("ahead", "production", commit: "c1", phase: .superseded, at: 86_400 * 30)))
        #expect(try await store.rollout(environment: "production")?.id == "now")
    }

    /// Commands queue oldest first with growing ids and keep what an approval approves.
    public func operatorCommands() async throws {
        let store = try await open()
        let pause = try await store.enqueue(OperatorCommand(environment: "production", verb: .pause, user: "ada", reason: "look", at: Self.at(1)))
        let approve = try await store.enqueue(OperatorCommand(environment: "production", verb: .approve, user: "bob", reason: "", at: Self.at(2),
                                                              commit: "0123456789abcdef0123456789abcdef01234567", stage: "canary"))
        try await store.enqueue(OperatorCommand(environment: "staging", verb: .resume, user: "cy", reason: "", at: Self.at(3)))
        #expect(approve > pause)
        let queued = try await store.commands(environment: "production")
        #expect(queued.map(\.id) == [pause, approve])
        #expect(queued.last == OperatorCommand(id: approve, environment: "production", verb: .approve, user: "bob", reason: "", at: Self.at(2),
                                               commit: "0123456789abcdef0123456789abcdef01234567", stage: "canary"))
        var consumed = StoreTransition()
        consumed.consumedCommands = [pause]
        try await store.commit(consumed)
        #expect(try await store.commands(environment: "production").map(\.id) == [approve])
    }

    /// A freeze is set, read and lifted, each with its history event; drift is replaced whole.
    public func freezesAndDrift() async throws {
        let store = try await open()
        #expect(try await store.freeze(environment: "production") == nil)
        let freeze = FreezeRecord(environment: "production", user: "ada", reason: "incident", at: Self.at(1))
        try await store.setFreeze(environment: "production", to: freeze,
                                  event: HistoryEvent(at: Self.at(1), kind: .operatorAction, environment: "production", detail: "frozen", outcome: .operatorCommand))
        #expect(try await store.freeze(environment: "production") == freeze)
        #expect(try await store.freeze(environment: "staging") == nil)
        try await store.setFreeze(environment: "production", to: nil,
                                  event: HistoryEvent(at: Self.at(2), kind: .operatorAction, environment: "production", detail: "unfrozen", outcome: .operatorCommand))
        #expect(try await store.freeze(environment: "production") == nil)
        #expect(try await store.history(HistoryFilter(environment: "production")).map(\.at) == [Self.at(2), Self.at(1)])

        let b = DriftFinding(cluster: "b", addon: "dns", commit: "c1", detail: "ConfigMap changed", at: Self.at(3), corrected: false)
        let a = DriftFinding(cluster: "a", addon: "dns", commit: "c1", detail: "Deployment changed", at: Self.at(3), corrected: true)
        var found = StoreTransition()
        found.drift = DriftReplacement(environment: "production", findings: [b, a])
        try await store.commit(found)
        #expect(try await store.drift(environment: "production") == [a, b])
        found.drift = DriftReplacement(environment: "production", findings: [b])
        try await store.commit(found)
        #expect(try await store.drift(environment: "production") == [b])
        #expect(try await store.drift(environment: "staging").isEmpty)
        // A step's transaction replaces them too, with what else it writes.
        var step = StoreTransition()
        step.drift = DriftReplacement(environment: "production", findings: [a])
        step.history = [HistoryEvent(at: Self.at(4), kind: .drift, environment: "production", cluster: "a", addon: "dns", commit: "c1",
                                     detail: "drift corrected", outcome: .driftCorrected)]
        try await store.commit(step)
        #expect(try await store.drift(environment: "production") == [a])
        #expect(try await store.history(HistoryFilter(environment: "production", cluster: "a")).map(\.outcome) == [.driftCorrected])
        step.drift = DriftReplacement(environment: "production", findings: [])
        step.history = []
        try await store.commit(step)
        #expect(try await store.drift(environment: "production").isEmpty)
    }

    /// One writer per environment across handles: the second is refused naming the first;
    /// other environments are free; a released lease can be taken again, and says it is lost.
    public func writerLeases() async throws {
        let store = try await open()
        let other = try await reopen(store)
        let held = try await store.lockEnvironment("production", holder: "sluice run")
        try await held.confirm()
        do {
            _ = try await other.lockEnvironment("production", holder: "sluice apply")
            Issue.record("a second writer of production was let in")
        } catch {
            guard case .environmentLocked(let holder) = error.kind else { Issue.record("refused as \(error.kind)"); return }
            #expect(holder.contains("sluice run"))
        }
        let staging = try await other.lockEnvironment("staging", holder: "sluice apply")
        await held.release()
        do {
            try await held.confirm()
            Issue.record("a released lease was still held")
        } catch {
            #expect(error.kind == .leaseLost(environment: "production"))
        }
        let again = try await other.lockEnvironment("production", holder: "sluice apply")
        await again.release()
        await staging.release()
    }

    /// A second handle sees what the first committed, and many readers and writers at once
    /// lose nothing.
    public func concurrentReadersAndWriters() async throws {
        let store = try await open()
        let other = try await reopen(store)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for index in 0..<25 {
                        try await store.recordApply(Self.record("production", "c\(writer)", "addon-\(index)", "x", at: Double(index)))
                    }
                }
            }
            for _ in 0..<4 {
                group.addTask {
                    var seen = 0
                    for _ in 0..<25 {
                        let count = try await other.applied(environment: "production").count
                        // Committed writes never disappear from a later read.
                        #expect(count >= seen)
                        seen = count
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await other.applied(environment: "production").count == 100)
        #expect(try await store.history(HistoryFilter(environment: "production", limit: 1_000)).count == 100)
    }
}
