import SluiceDrivers
import SluiceCore
import SluiceModel
import SluiceSQLite
import SluiceYAML

/// Simulated clusters' objects and audit log in the SQLite state store's file (its `objects`
/// and `simulated_calls` tables, written through its connection): one file to keep, and a
/// simulated cluster's writes are as durable as the store's. Only this module writes them.
public struct SQLiteSimulatedObjects: SimulatedObjectStore {
    public typealias HistoryMark = @Sendable () async throws(StoreError) -> Int64
    public let store: SQLiteStateStore
    /// Where the history is in another store (PostgreSQL): its newest event, read before each
    /// logged call. Nil: this file's own history.
    let historyMark: HistoryMark?

    public init(_ store: SQLiteStateStore, historyMark: HistoryMark? = nil) {
        self.store = store
        self.historyMark = historyMark
    }

    public func objects(cluster: String) async throws(StoreError) -> [StoredObject] {
        try await storedObjects(cluster: cluster, where: "", [])
    }

    public func objects(cluster: String, addon: String) async throws(StoreError) -> [StoredObject] {
        try await storedObjects(cluster: cluster, where: " AND addon = ?", [.text(addon)])
    }

    public func object(cluster: String, id: ObjectKey) async throws(StoreError) -> StoredObject? {
        try await storedObjects(cluster: cluster, where: " AND api_group = ? AND kind = ? AND namespace = ? AND name = ?",
                          [.text(id.group), .text(id.kind), .text(id.namespace), .text(id.name)]).first
    }

    private func storedObjects(cluster: String, where condition: String, _ parameters: [SQLiteConnection.Cell]) async throws(StoreError) -> [StoredObject] {
        try await store.reading { db throws(StoreError) in
            try db.query("SELECT api_group, kind, namespace, name, body FROM objects WHERE cluster = ?\(condition) ORDER BY api_group, kind, namespace, name",
                         [.text(cluster)] + parameters).map { row throws(StoreError) in
                StoredObject(cluster: cluster, id: ObjectKey(group: row[0].text ?? "", kind: row[1].text ?? "", namespace: row[2].text ?? "",
                                                         name: row[3].text ?? ""), body: try SQLiteStateStore.value(row[4].text ?? "null"))
            }
        }
    }

    public func write(_ changes: [ObjectChange]) async throws(StoreError) {
        guard !changes.isEmpty else { return }
        // Encoded before the lock is taken: the controller's writes wait for none of it.
        let bodies = changes.map { change -> (addon: String, json: String)? in
            guard case .put(let object) = change.operation else { return nil }
            return (object.body.at(["metadata", "labels", SluiceLabels.addon])?.stringValue ?? "", JSONEmitter.emit(object.body))
        }
        // Read before the call is written: a call marked at or past a pair's record came after it.
        let mark: Int64? = if let historyMark, changes.contains(where: { $0.call != nil }) { try await historyMark() } else { nil }
        try await store.writing { db throws(StoreError) in
            try db.inTransaction(if: changes.count > 1 || changes[0].call != nil) { () throws(StoreError) in
                for (change, body) in zip(changes, bodies) {
                    switch change.operation {
                    case .put(let object):
                        try db.query("INSERT OR REPLACE INTO objects (cluster, api_group, kind, namespace, name, addon, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                     [.text(object.cluster), .text(object.id.group), .text(object.id.kind), .text(object.id.namespace),
                                      .text(object.id.name), .text(body?.addon ?? ""), .text(body?.json ?? "null")])
                    case .delete(let cluster, let id):
                        try db.query("DELETE FROM objects WHERE cluster = ? AND api_group = ? AND kind = ? AND namespace = ? AND name = ?",
                                     [.text(cluster), .text(id.group), .text(id.kind), .text(id.namespace), .text(id.name)])
                    }
                    if let call = change.call { try Self.insert(call, mark: mark, into: db) }
                }
            }
        }
    }

    /// One row of the simulated clusters' audit log, marked with the newest history event.
    private static func insert(_ call: SimulatedCall, mark: Int64?, into db: SQLiteConnection) throws(StoreError) {
        try db.query("""
            INSERT INTO simulated_calls (cluster, verb, api_group, kind, namespace, name, addon, commit_sha, history_mark)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, (SELECT coalesce(max(id), 0) FROM history)))
            """, [.text(call.cluster), .text(call.verb.rawValue), .text(call.key.group), .text(call.key.kind),
                  .text(call.key.namespace), .text(call.key.name), .text(call.addon), .text(call.commit), mark.map { .integer($0) } ?? .null])
    }

    public func calls(cluster: String?) async throws(StoreError) -> [SimulatedCall] {
        try await store.reading { db throws(StoreError) in
            try db.query("""
                SELECT cluster, verb, api_group, kind, namespace, name, addon, commit_sha, history_mark FROM simulated_calls
                WHERE (?1 IS NULL OR cluster = ?1) ORDER BY id
                """, [cluster.map { .text($0) } ?? .null]).compactMap { row in
                guard let verb = SimulatedCall.Verb(rawValue: row[1].text ?? "") else { return nil }
                return SimulatedCall(cluster: row[0].text ?? "", verb: verb,
                                     key: ObjectKey(group: row[2].text ?? "", kind: row[3].text ?? "", namespace: row[4].text ?? "",
                                                    name: row[5].text ?? ""),
                                     addon: row[6].text ?? "", commit: row[7].text ?? "", historyMark: row[8].integer ?? 0)
            }
        }
    }

}
