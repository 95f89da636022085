import Foundation
import SluiceCore
import SluiceQueries
import SluiceRollout
import SluiceSQLite
import SluiceStore
import SluiceTestSupport
import Testing

/// Operator requests as the CLI and the API make them: checked against the rollout under way,
/// refused with a typed reason, queued with the commit they are for.
@Suite final class OperatorRequestsTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-requests-\(UUID().uuidString)").path

    init() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: folder)
    }

    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let commit = "0123456789abcdef0123456789abcdef01234567"

    /// A store in the test's folder (removed when the test ends).
    func store(waiting: Bool) async throws -> SQLiteStateStore {
        let store = try SQLiteStateStore(path: folder + "/state-\(UUID().uuidString).db")
        var state = RolloutState(id: "r", environment: "production", commit: commit, baseCommit: nil,
                                 blueprint: RolloutBlueprint(stages: [RolloutBlueprint.Stage(name: "canary", batches: [["c1"]], approval: true),
                                                                      RolloutBlueprint.Stage(name: "main", batches: [["c2"]], approval: true)]),
                                 now: t0)
        if waiting { state.position = .awaitingApproval }
        try await store.commit(StoreTransition(rollout: try state.record()))
        return store
    }

    @Test func anApprovalIsForTheCommitAndStageThatWait() async throws {
        let store = try await store(waiting: true)
        let requests = OperatorRequests(store: store)
        let approval = try await requests.approve(environment: "production", commit: nil, stage: nil, user: "alice", reason: "ok", at: t0)
        #expect(approval == OperatorRequests.Approval(commit: commit, stage: "canary"))
        let queued = try await store.commands(environment: "production")
        #expect(queued.map(\.verb) == [.approve] && queued.first?.commit == commit && queued.first?.stage == "canary" && queued.first?.user == "alice")
    }

    @Test func approvalsThatCannotBeRightAreRefusedAndNothingIsQueued() async throws {
        let running = OperatorRequests(store: try await store(waiting: false))
        await #expect(throws: OperatorRequests.Refusal.nothingWaits(environment: "production", underWay: commit)) {
            _ = try await running.approve(environment: "production", commit: nil, stage: nil, user: "a", reason: "", at: t0)
        }
        await #expect(throws: OperatorRequests.Refusal.otherCommitUnderWay(environment: "production", underWay: commit, waits: false, asked: "fedcba9")) {
            _ = try await running.approve(environment: "production", commit: "fedcba9", stage: nil, user: "a", reason: "", at: t0)
        }
        await #expect(throws: OperatorRequests.Refusal.unknownStage(environment: "production", stage: "nope")) {
            _ = try await running.approve(environment: "production", commit: "0123456", stage: "nope", user: "a", reason: "", at: t0)
        }
        await #expect(throws: OperatorRequests.Refusal.noRolloutUnderWay(environment: "staging")) {
            _ = try await running.approve(environment: "staging", commit: nil, stage: nil, user: "a", reason: "", at: t0)
        }
        #expect(try await running.store.commands(environment: "production").isEmpty)
        // Ahead, with the commit named: queued for that commit and stage.
        let ahead = try await running.approve(environment: "production", commit: "0123456", stage: "main", user: "a", reason: "", at: t0)
        #expect(ahead == OperatorRequests.Approval(commit: commit, stage: "main"))
    }

    @Test func aFreezeTakesEffectAtOnceWithItsHistory() async throws {
        let store = try await store(waiting: false)
        let requests = OperatorRequests(store: store)
        try await requests.setFreeze(true, environment: "production", user: "bob", reason: "incident 42", at: t0)
        #expect(try await store.freeze(environment: "production")?.user == "bob")
        try await requests.setFreeze(false, environment: "production", user: "bob", reason: "", at: t0.addingTimeInterval(60))
        #expect(try await store.freeze(environment: "production") == nil)
        let history = try await HistoryQuery.events(store, HistoryFilter(environment: "production", limit: 10))
        #expect(history.map(\.detail) == ["frozen by bob: incident 42", "unfrozen by bob"])
    }

    @Test func sinceIsATimeOrADurationAgo() {
        #expect(HistoryQuery.time("1h", now: t0) == t0.addingTimeInterval(-3600))
        #expect(HistoryQuery.time("2027-01-15T10:00:00Z", now: t0) != nil)
        #expect(HistoryQuery.time("yesterday", now: t0) == nil)
    }
}
