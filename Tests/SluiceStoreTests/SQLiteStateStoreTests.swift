import CSQLite
import Foundation
import SluiceModel
import SluiceYAML
import SluiceCore
@testable import SluiceSQLite
import SluiceSimulation
@testable import SluiceStore
import Testing

/// The SQLite state store: schema and migrations, applied records with their history,
/// rollouts, simulated objects, and two connections on one file.
@Suite(.timeLimit(.minutes(10))) struct SQLiteStateStoreTests {
    let directory: String
    var path: String { directory + "/state.db" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func at(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

    @Test func aNewStoreIsInWALModeAtTheLatestSchema() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStateStore(path: path)
        #expect(try await store.journalMode() == "wal")
        #expect(try await store.schemaVersion() >= 1)
        // Reopening migrates nothing and loses nothing.
        try await store.recordApply(AppliedRecord(environment: "production", cluster: "c1", addon: "dns", commit: "abc", digest: "d1", appliedAt: at(10)))
        let again = try SQLiteStateStore(path: path)
        #expect(try await again.schemaVersion() == store.schemaVersion())
        #expect(try await again.applied(environment: "production", cluster: "c1", addon: "dns")?.commit == "abc")
    }

    @Test func aStoreFromANewerSluiceIsRefused() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try SQLiteStateStore(path: path)
        var db: OpaquePointer?
        #expect(sqlite3_open(path, &db) == SQLITE_OK)
        #expect(sqlite3_exec(db, "PRAGMA user_version = 999", nil, nil, nil) == SQLITE_OK)
        sqlite3_close(db)
        #expect {
            try SQLiteStateStore(path: path)
        } throws: { error in
            (error as? StoreError)?.kind == .newerSchema(999)
        }
    }

    @Test func anApplyReplacesTheRecordAndAppendsHistory() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStateStore(path: path)
        try await store.recordApply(AppliedRecord(environment: "production", cluster: "c1", addon: "dns", commit: "a1", digest: "d1", appliedAt: at(1)))
        try await store.recordApply(AppliedRecord(environment: "production", cluster: "c1", addon: "dns", commit: "a2", digest: "d2", appliedAt: at(2)))
        try await store.recordApply(AppliedRecord(environment: "production", cluster: "c0", addon: "cni", commit: "a2", digest: "d3", appliedAt: at(3)))
        try await store.recordApply(AppliedRecord(environment: "staging", cluster: "t1", addon: "dns", commit: "a3", digest: "d4", appliedAt: at(4)))
        let record = try #require(try await store.applied(environment: "production", cluster: "c1", addon: "dns"))
        #expect(record == AppliedRecord(environment: "production", cluster: "c1", addon: "dns", commit: "a2", digest: "d2", appliedAt: at(2)))
        #expect(try await store.applied(environment: "production").map(\.cluster) == ["c0", "c1"])
        #expect(try await store.applied(environment: "production", cluster: "c9", addon: "dns") == nil)
        let history = try await store.history(cluster: "c1", addon: "dns", limit: 10)
        #expect(history.map(\.commit) == ["a2", "a1"])
        #expect(history.allSatisfy { $0.kind == .apply })
        #expect(try await store.history(cluster: nil, addon: "dns", limit: 10).count == 3)
        #expect(try await store.history(cluster: nil, addon: nil, limit: 2).count == 2)
    }

    @Test func historyKeepsRejectionsChecksAndOperatorActions() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStateStore(path: path)
        try await store.append(HistoryEvent(at: at(1), kind: .rejection, environment: "production", commit: "bad", detail: "clusters/x.yaml:3:1: ..."))
        try await store.append(HistoryEvent(at: at(2), kind: .check, environment: "production", cluster: "c1", commit: "good", detail: "dns-probe ok"))
        try await store.append(HistoryEvent(at: at(3), kind: .operatorAction, environment: "production", detail: "paused by alice: incident 42"))
        let all = try await store.history(cluster: nil, addon: nil, limit: 10)
        #expect(all.map(\.kind) == [.operatorAction, .check, .rejection])
        #expect(all.last?.cluster == nil && all.last?.detail.hasPrefix("clusters/x.yaml") == true)
    }

    @Test func aTransitionWritesStateRecordsMarksHistoryAndCommandsTogether() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStateStore(path: path)
        try await store.recordApply(AppliedRecord(environment: "production", cluster: "c1", addon: "dns", commit: "old", digest: "d0", appliedAt: at(1)))
        let command = try await store.enqueue(OperatorCommand(environment: "production", verb: .pause, user: "alice", reason: "incident", at: at(2)))
        #expect(try await store.commands(environment: "production").map(\.verb) == [.pause])
        var rollout = RolloutRecord(id: "r1", environment: "production", commit: "new", phase: .running, format: 1,
                                    state: Array("{\"stage\":0}".utf8), startedAt: at(5), updatedAt: at(5))
        var transition = StoreTransition(rollout: rollout)
        transition.pending = [PendingApply(environment: "production", cluster: "c1", addon: "dns", commit: "new")]
        transition.consumedCommands = [command]
        transition.history = [HistoryEvent(at: at(5), kind: .rollout, environment: "production", commit: "new", detail: "started")]
        try await store.commit(transition)
        #expect(try await store.rollout(environment: "production") == rollout)
        #expect(try await store.pending(environment: "production") == [PendingApply(environment: "production", cluster: "c1", addon: "dns", commit: "new")])
        #expect(try await store.applied(environment: "production", cluster: "c1", addon: "dns")?.pending == "new")
        #expect(try await store.commands(environment: "production").isEmpty)

        rollout.phase = .done
        rollout.updatedAt = at(9)
        var done = StoreTransition(rollout: rollout)
        done.records = [AppliedRecord(environment: "production", cluster: "c1", addon: "dns", commit: "new", digest: "d1", appliedAt: at(9))]
        try await store.commit(done)
        #expect(try await store.rollout(environment: "production")?.phase == .done)
        // Recording clears the mark.
        #expect(try await store.pending(environment: "production").isEmpty)
        #expect(try await store.rollout(environment: "staging") == nil)
        let events = try await store.history(HistoryFilter(environment: "production"))
        #expect(events.map(\.kind) == [.apply, .rollout, .apply])
        #expect(try await store.history(HistoryFilter(environment: "production", since: at(6))).count == 1)
    }

    @Test func aFailingTransitionWritesNothing() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStateStore(path: path)
        let rollout = RolloutRecord(id: "r1", environment: "production", commit: "new", phase: .running, format: 1,
                                    state: [], startedAt: at(5), updatedAt: at(5))
        var transition = StoreTransition(rollout: rollout)
        transition.history = [HistoryEvent(at: at(5), kind: .rollout, environment: "production", detail: "started")]
        try await store.commit(transition)
        // Break the next write half-way: a trigger that fails on the record insert.
        var db: OpaquePointer?
        #expect(sqlite3_open(path, &db) == SQLITE_OK)
        #expect(sqlite3_exec(db, "CREATE TRIGGER no_records BEFORE INSERT ON applied BEGIN SELECT RAISE(ABORT, 'refused'); END", nil, nil, nil) == SQLITE_OK)
        sqlite3_close(db)
        var next = StoreTransition(rollout: RolloutRecord(id: "r1", environment: "production", commit: "new", phase: .done, format: 1,
                                                          state: [], startedAt: at(5), updatedAt: at(6)))
        next.records = [AppliedRecord(environment: "production", cluster: "c1", addon: "dns", commit: "new", digest: "d", appliedAt: at(6))]
        await #expect(throws: StoreError.self) { try await store.commit(next) }
        #expect(try await store.rollout(environment: "production")?.phase == .running)
        #expect(try await store.history(HistoryFilter()).count == 1)
    }

    @Test func freezesAndTheSimulatedAuditLog() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStateStore(path: path)
        let freeze = FreezeRecord(environment: "production", user: "bob", reason: "holidays", at: at(1))
        try await store.setFreeze(environment: "production", to: freeze, event: HistoryEvent(at: at(1), kind: .operatorAction, environment: "production", detail: "frozen"))
        #expect(try await store.freeze(environment: "production") == freeze)
        try await store.setFreeze(environment: "production", to: nil, event: HistoryEvent(at: at(2), kind: .operatorAction, environment: "production", detail: "unfrozen"))
        #expect(try await store.freeze(environment: "production") == nil)
        let key = ObjectKey(group: "apps", kind: "Deployment", namespace: "kube-system", name: "coredns")
        let patched: Value = .map(["metadata": .map(["name": .string("coredns")])])
        try await SQLiteSimulatedObjects(store).put(StoredObject(cluster: "c1", id: key, body: patched),
                      logging: SimulatedCall(cluster: "c1", verb: .patch, key: key, addon: "coredns", commit: "abc"))
        #expect(try await SQLiteSimulatedObjects(store).calls(cluster: "c1") == [SimulatedCall(cluster: "c1", verb: .patch, key: key, addon: "coredns", commit: "abc", historyMark: 2)])
        #expect(try await SQLiteSimulatedObjects(store).object(cluster: "c1", id: key)?.body == patched)
        #expect(try await SQLiteSimulatedObjects(store).calls(cluster: "c2").isEmpty)
        // A write without a call is not in the log; a logged delete is.
        try await SQLiteSimulatedObjects(store).put(StoredObject(cluster: "c1", id: key, body: patched))
        try await SQLiteSimulatedObjects(store).deleteObject(cluster: "c1", id: key, logging: SimulatedCall(cluster: "c1", verb: .delete, key: key, addon: "coredns", commit: "abc"))
        #expect(try await SQLiteSimulatedObjects(store).calls(cluster: "c1").map(\.verb) == [.patch, .delete])
        #expect(try await SQLiteSimulatedObjects(store).object(cluster: "c1", id: key) == nil)
    }

    @Test func simulatedObjectsRoundTrip() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStateStore(path: path)
        let id = ObjectKey(group: "apps", kind: "Deployment", namespace: "kube-system", name: "coredns")
        let body: Value = .map(["spec": .map(["replicas": .int(2), "paused": .bool(false), "ratio": .double(0.5),
                                              "note": .string("on \"yes\" 0777 é"), "gone": .null,
                                              "args": .list([.string("--a"), .int(1)])])])
        try await SQLiteSimulatedObjects(store).put(StoredObject(cluster: "c1", id: id, body: body))
        try await SQLiteSimulatedObjects(store).put(StoredObject(cluster: "c2", id: id, body: .map([:])))
        #expect(try await SQLiteSimulatedObjects(store).objects(cluster: "c1") == [StoredObject(cluster: "c1", id: id, body: body)])
        try await SQLiteSimulatedObjects(store).deleteObject(cluster: "c1", id: id)
        #expect(try await SQLiteSimulatedObjects(store).objects(cluster: "c1").isEmpty)
        #expect(try await SQLiteSimulatedObjects(store).objects(cluster: "c2").count == 1)
    }

    @Test func aSecondConnectionReadsWhatTheFirstWrites() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = try SQLiteStateStore(path: path)
        let reader = try SQLiteStateStore(path: path)
        #expect(try await reader.applied(environment: "production").isEmpty)
        try await writer.recordApply(AppliedRecord(environment: "production", cluster: "c1", addon: "dns", commit: "a1", digest: "d1", appliedAt: at(1)))
        #expect(try await reader.applied(environment: "production").count == 1)
        // A reader in the middle of a read transaction does not block the writer (WAL).
        var db: OpaquePointer?
        #expect(sqlite3_open(path, &db) == SQLITE_OK)
        defer { sqlite3_close(db) }
        #expect(sqlite3_exec(db, "BEGIN; SELECT count(*) FROM applied;", nil, nil, nil) == SQLITE_OK)
        try await writer.recordApply(AppliedRecord(environment: "production", cluster: "c2", addon: "dns", commit: "a1", digest: "d1", appliedAt: at(2)))
        #expect(sqlite3_exec(db, "COMMIT", nil, nil, nil) == SQLITE_OK)
        #expect(try await reader.applied(environment: "production").count == 2)
    }

    @Test func severalAppliesAreRecordedTogetherAndARemovedAddonIsForgotten() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStateStore(path: path)
        let records = ["calico", "dns", "proxy"].map {
            AppliedRecord(environment: "staging", cluster: "c1", addon: $0, commit: "abc", digest: "d-\($0)", appliedAt: at(5))
        }
        try await store.recordApply(records)
        #expect(try await store.applied(environment: "staging") == records)
        #expect(try await store.history(cluster: "c1", addon: nil, limit: 10).count == 3)

        try await store.removeApplied(environment: "staging", cluster: "c1", addon: "dns", commit: "def", at: at(6))
        #expect(try await store.applied(environment: "staging").map(\.addon) == ["calico", "proxy"])
        let last = try await store.history(cluster: "c1", addon: "dns", limit: 1).first
        #expect(last?.commit == "def" && last?.detail.hasPrefix("removed") == true)
    }

    @Test func objectsOfAnOlderStoreAreFoundByAddonAfterMigrating() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A store at schema 1, written before objects had an add-on column.
        var db: OpaquePointer?
        #expect(sqlite3_open(path, &db) == SQLITE_OK)
        #expect(sqlite3_exec(db, StoreSchema.migrations[0] + "; PRAGMA user_version = 1;", nil, nil, nil) == SQLITE_OK)
        let body = #"{"kind":"ConfigMap","metadata":{"name":"dns","labels":{"sluice.dev/addon":"coredns"}}}"#
        #expect(sqlite3_exec(db, "INSERT INTO objects VALUES ('c1', '', 'ConfigMap', 'kube-system', 'dns', '\(body)')", nil, nil, nil) == SQLITE_OK)
        sqlite3_close(db)

        let store = try SQLiteStateStore(path: path)
        #expect(try await store.schemaVersion() == StoreSchema.version)
        let key = ObjectKey(group: "", kind: "ConfigMap", namespace: "kube-system", name: "dns")
        #expect(try await SQLiteSimulatedObjects(store).objects(cluster: "c1", addon: "coredns").map(\.id) == [key])
        #expect(try await SQLiteSimulatedObjects(store).objects(cluster: "c1", addon: "calico").isEmpty)
        #expect(try await SQLiteSimulatedObjects(store).object(cluster: "c1", id: key)?.body.at("kind") == .string("ConfigMap"))
        #expect(try await SQLiteSimulatedObjects(store).object(cluster: "c2", id: key) == nil)
    }

    @Test func recordsOfAnOlderStoreAreInTheChangeFeedAfterMigrating() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A store at schema 5, written before the records had versions.
        var db: OpaquePointer?
        #expect(sqlite3_open(path, &db) == SQLITE_OK)
        #expect(sqlite3_exec(db, StoreSchema.migrations[0..<5].joined(separator: ";\n") + "; PRAGMA user_version = 5;", nil, nil, nil) == SQLITE_OK)
        #expect(sqlite3_exec(db, "INSERT INTO applied (environment, cluster, addon, commit_sha, digest, applied_at) VALUES ('staging', 'c1', 'dns', 'abc', 'd', 0)",
                             nil, nil, nil) == SQLITE_OK)
        sqlite3_close(db)

        let store = try SQLiteStateStore(path: path)
        let all = try await store.appliedChanges(since: 0)
        #expect(all.complete && all.records.map(\.commit) == ["abc"])
        try await store.recordApply(AppliedRecord(environment: "staging", cluster: "c2", addon: "dns", commit: "def", digest: "d", appliedAt: at(1)))
        let next = try await store.appliedChanges(since: all.version)
        #expect(!next.complete && next.records.map(\.cluster) == ["c2"])
    }
}
