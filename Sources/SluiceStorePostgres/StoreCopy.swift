import Foundation
import Synchronization
import SluiceCore
import SluiceSQLite
import SluiceStore

/// `sluice state migrate`: copies a SQLite store into an empty PostgreSQL one, table by
/// table in chunks, in one PostgreSQL transaction (all or nothing), then reads both back
/// through the store protocols and compares them environment by environment. Simulated
/// clusters' objects are not copied: they are the simulation's clusters, not records.
public struct StoreCopy: Sendable {
    public let source: SQLiteStateStore
    public let target: PostgresStateStore

    public init(from source: SQLiteStateStore, to target: PostgresStateStore) {
        self.source = source
        self.target = target
    }

    /// Rows copied per table.
    public struct Copied: Sendable, CustomStringConvertible {
        public var rows: [(table: String, count: Int)] = []
        public var description: String { rows.map { "\($0.count) \($0.table)" }.joined(separator: ", ") }
    }

    /// (SQLite's columns, PostgreSQL's table and columns, order) of each table copied. Ids
    /// and the rollouts' order (`rowid` into `seq`) are kept, so that what was newest stays newest.
    static let tables: [(from: String, into: String, columns: [String], order: String)] = [
        ("SELECT environment, cluster, addon, commit_sha, digest, applied_at, pending_commit, changed, revision FROM applied",
         "applied", ["environment", "cluster", "addon", "commit_sha", "digest", "applied_at", "pending_commit", "changed", "revision"], "environment, cluster, addon"),
        ("SELECT environment, cluster, addon, changed FROM applied_removed", "applied_removed", ["environment", "cluster", "addon", "changed"],
         "environment, cluster, addon"),
        ("SELECT id, at, kind, environment, cluster, addon, commit_sha, detail, outcome FROM history", "history",
         ["id", "at", "kind", "environment", "cluster", "addon", "commit_sha", "detail", "outcome"], "id"),
        ("SELECT id, rowid, environment, commit_sha, phase, format, state, blueprint, started_at, updated_at FROM rollouts", "rollouts",
         ["id", "seq", "environment", "commit_sha", "phase", "format", "state", "blueprint", "started_at", "updated_at"], "rowid"),
        ("SELECT rollout_id, position, cluster, state FROM rollout_clusters", "rollout_clusters", ["rollout_id", "position", "cluster", "state"],
         "rollout_id, position"),
        ("SELECT id, environment, verb, user, reason, at, commit_sha, stage, consumed FROM commands", "commands",
         ["id", "environment", "verb", "requested_by", "reason", "at", "commit_sha", "stage", "consumed"], "id"),
        ("SELECT environment, user, reason, at FROM freezes", "freezes", ["environment", "frozen_by", "reason", "at"], "environment"),
        ("SELECT environment, cluster, addon, commit_sha, detail, at, corrected FROM drift", "drift",
         ["environment", "cluster", "addon", "commit_sha", "detail", "at", "corrected"], "environment, cluster, addon"),
    ]

    static let chunk = 1_000

    public func run() async throws(StoreError) -> Copied {
        let path = source.path
        let failure = Mutex<StoreError?>(nil)
        let copied: Copied
        do {
            copied = try await target.writer.run { db throws(PostgresError) -> Copied in
                try db.transaction { () throws(PostgresError) -> Copied in
                    let filled = try db.query("""
                        SELECT (SELECT count(*) FROM applied) + (SELECT count(*) FROM history) + (SELECT count(*) FROM rollouts)
                             + (SELECT count(*) FROM commands) + (SELECT count(*) FROM freezes) + (SELECT count(*) FROM drift)
                        """).first?.first.flatMap { $0 }
                    guard filled == "0" else {
                        failure.withLock { $0 = StoreError("\(target.name) already holds records: copy only into an empty store", kind: .other) }
                        throw PostgresError(.refused, "not empty")
                    }
                    // The source is read on this thread too, so that the copy is one transaction.
                    func source<T>(_ read: () throws(StoreError) -> T) throws(PostgresError) -> T {
                        do { return try read() } catch {
                            failure.withLock { $0 = StoreError("\(path): \(error.description)", kind: error.kind) }
                            throw PostgresError(.refused, "the source failed")
                        }
                    }
                    let sqlite = try source { () throws(StoreError) in try SQLiteConnection(path: path) }
                    return try Self.copy(into: db) { sql throws(PostgresError) in try source { () throws(StoreError) in try sqlite.query(sql) } }
                }
            }
        } catch {
            throw failure.withLock { $0 } ?? error
        }
        try await check()
        return copied
    }

    private static func copy(into db: PostgresConnection,
                             reading read: (String) throws(PostgresError) -> [[SQLiteConnection.Cell]]) throws(PostgresError) -> Copied {
        var copied = Copied()
        for table in tables {
            var offset = 0
            while true {
                let rows = try read("\(table.from) ORDER BY \(table.order) LIMIT \(chunk) OFFSET \(offset)").map { $0.map(text) }
                if rows.isEmpty { break }
                try PostgresRows.insert(rows, into: table.into, columns: table.columns, db)
                offset += rows.count
                if rows.count < chunk { break }
            }
            copied.rows.append((table.into, offset))
        }
        // The settings (the render secret: chart add-ons' random values stay what they were),
        // over any the target made already.
        for row in try read("SELECT name, value FROM settings ORDER BY name") {
            try db.query("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value", row.map(text))
        }
        let version = try read("SELECT version FROM applied_version WHERE id = 1").first?.first?.integer ?? 1
        try db.query("UPDATE applied_version SET version = $1::bigint", [String(version)])
        // The sequences go on after the ids copied.
        for (table, column) in [("history", "id"), ("rollouts", "seq"), ("commands", "id")] {
            try db.query("SELECT setval(pg_get_serial_sequence('\(table)', '\(column)'), greatest(1, (SELECT coalesce(max(\(column)), 0) FROM \(table))))")
        }
        return copied
    }

    private static func text(_ cell: SQLiteConnection.Cell) -> String? {
        switch cell {
        case .null: return nil
        case .integer(let value): return String(value)
        case .real(let value): return "\(value)"
        case .text(let value): return value
        }
    }

    /// Both stores read back through the protocols, environment by environment, must agree.
    private func check() async throws(StoreError) {
        let environments = try await source.reading { db throws(StoreError) in
            try db.query("""
                SELECT environment FROM applied UNION SELECT environment FROM history UNION SELECT environment FROM rollouts
                UNION SELECT environment FROM commands UNION SELECT environment FROM freezes UNION SELECT environment FROM drift
                """).compactMap { $0.first?.text }
        }
        func differ(_ what: String) -> StoreError {
            StoreError("the copy in \(target.name) differs from \(source.path) in \(what); nothing else was changed, drop the copy's tables and try again")
        }
        if try await source.applied() != target.applied() { throw differ("the applied records") }
        let total = try await source.reading { db throws(StoreError) in Int(try db.query("SELECT count(*) FROM history").first?.first?.integer ?? 0) }
        if try await source.history(HistoryFilter(limit: total)) != target.history(HistoryFilter(limit: total)) { throw differ("the history") }
        for environment in environments {
            if try await source.rollouts(environment: environment, limit: .max) != target.rollouts(environment: environment, limit: .max) {
                throw differ("the rollouts of \(environment)")
            }
            if try await source.rollout(environment: environment) != target.rollout(environment: environment) {
                throw differ("the current rollout of \(environment)")
            }
            if try await source.commands(environment: environment) != target.commands(environment: environment) { throw differ("the commands of \(environment)") }
            if try await source.freeze(environment: environment) != target.freeze(environment: environment) { throw differ("the freeze of \(environment)") }
            if try await source.drift(environment: environment) != target.drift(environment: environment) { throw differ("the drift of \(environment)") }
            if try await source.pending(environment: environment) != target.pending(environment: environment) { throw differ("the pending applies of \(environment)") }
        }
        if try await source.appliedChanges(since: 0).version != target.appliedChanges(since: 0).version { throw differ("the records' version") }
    }
}
