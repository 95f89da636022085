import CSQLite
import Foundation
import SluiceCore
import SluiceStore

/// The applied records: read (whole, by environment, by pair, or what changed since a
/// version), recorded with their history events, forgotten when an add-on leaves a cluster.
extension SQLiteStateStore {
    public func applied(environment: String, cluster: String, addon: String) async throws(StoreError) -> AppliedRecord? {
        try await reading { db throws(StoreError) in
            try db.query("SELECT environment, cluster, addon, commit_sha, digest, applied_at, pending_commit, revision FROM applied WHERE environment = ? AND cluster = ? AND addon = ?",
                         [.text(environment), .text(cluster), .text(addon)]).first.map(Self.appliedRecord)
        }
    }

    public func applied(environment: String) async throws(StoreError) -> [AppliedRecord] {
        try await appliedRecords(where: "WHERE environment = ?", [.text(environment)])
    }

    public func applied() async throws(StoreError) -> [AppliedRecord] {
        try await appliedRecords(where: "", [])
    }

    private func appliedRecords(where condition: String, _ parameters: [SQLiteConnection.Cell]) async throws(StoreError) -> [AppliedRecord] {
        try await reading { db throws(StoreError) in try Self.appliedRows(db, where: condition, parameters) }
    }

    /// A fleet's worth of rows (400,000 for 1,000 clusters x 400 add-ons): read straight from
    /// the statement, reusing the strings that repeat row to row (environment, cluster, commit).
    private static func appliedRows(_ db: SQLiteConnection, where condition: String,
                                    _ parameters: [SQLiteConnection.Cell]) throws(StoreError) -> [AppliedRecord] {
        var records: [AppliedRecord] = []
        var environment = "", cluster = "", commit = ""
        try db.forEachRow("SELECT environment, cluster, addon, commit_sha, digest, applied_at, pending_commit, revision FROM applied \(condition) ORDER BY environment, cluster, addon",
                          parameters) { row in
            environment = SQLiteConnection.text(row, 0, reusing: environment)
            cluster = SQLiteConnection.text(row, 1, reusing: cluster)
            commit = SQLiteConnection.text(row, 3, reusing: commit)
            records.append(AppliedRecord(environment: environment, cluster: cluster, addon: SQLiteConnection.text(row, 2),
                                         commit: commit, digest: SQLiteConnection.text(row, 4),
                                         appliedAt: Date(timeIntervalSince1970: sqlite3_column_double(row, 5)),
                                         pending: sqlite3_column_type(row, 6) == SQLITE_NULL ? nil : SQLiteConnection.text(row, 6),
                                         revision: Int(sqlite3_column_int64(row, 7))))
        }
        return records
    }

    public func appliedChanges(since version: Int64) async throws(StoreError) -> AppliedChanges {
        // One snapshot: the version and the rows it stamps.
        try await reading { db throws(StoreError) in
            try db.readTransaction { () throws(StoreError) -> AppliedChanges in
                let now = try db.query("SELECT version FROM applied_version WHERE id = 1").first?.first?.integer ?? 0
                guard now != version else { return AppliedChanges(version: now, complete: false) }
                // A version the store never gave (another store's, or one from before a restore) reads everything.
                let complete = version <= 0 || version > now
                let records = try Self.appliedRows(db, where: complete ? "" : "WHERE changed > ?", complete ? [] : [.integer(version)])
                let removed = complete ? [] : try db.query("SELECT environment, cluster, addon FROM applied_removed WHERE changed > ?", [.integer(version)])
                    .map { PairKey(environment: $0[0].text ?? "", cluster: $0[1].text ?? "", addon: $0[2].text ?? "") }
                return AppliedChanges(version: now, complete: complete, records: records, removed: removed)
            }
        }
    }

    public func recordApply(_ records: [AppliedRecord]) async throws(StoreError) {
        guard !records.isEmpty else { return }
        try await writing { db throws(StoreError) in
            try db.transaction { () throws(StoreError) in
                try Self.nextAppliedVersion(db)
                for record in records { try Self.record(record, into: db) }
            }
        }
    }

    /// Every transaction that writes `applied` calls this first: the rows it writes are
    /// stamped with the new version, which a reader of the change feed asks for later.
    static func nextAppliedVersion(_ db: SQLiteConnection) throws(StoreError) {
        try db.query("UPDATE applied_version SET version = version + 1 WHERE id = 1")
    }

    /// Upserts a record (clearing its pending mark) and appends its history event.
    static func record(_ record: AppliedRecord, into db: SQLiteConnection) throws(StoreError) {
        // Recording what is recorded already (this commit and digest, no apply pending) changes
        // nothing and says nothing: a pair is applied once, whoever asks twice.
        let same = try db.query("""
            SELECT 1 FROM applied WHERE environment = ? AND cluster = ? AND addon = ? AND commit_sha = ? AND digest = ? AND pending_commit IS NULL
            """, [.text(record.environment), .text(record.cluster), .text(record.addon), .text(record.commit), .text(record.digest)])
        if !same.isEmpty { return }
        try db.query("""
            INSERT INTO applied (environment, cluster, addon, commit_sha, digest, applied_at, pending_commit, changed, revision)
            VALUES (?, ?, ?, ?, ?, ?, NULL, (SELECT version FROM applied_version), ?)
            ON CONFLICT (environment, cluster, addon) DO UPDATE SET commit_sha = excluded.commit_sha,
                digest = excluded.digest, applied_at = excluded.applied_at, pending_commit = NULL, changed = excluded.changed,
                revision = excluded.revision
            """, [.text(record.environment), .text(record.cluster), .text(record.addon), .text(record.commit),
                  .text(record.digest), .real(record.appliedAt.timeIntervalSince1970), .integer(Int64(record.revision))])
        try db.query("DELETE FROM applied_removed WHERE environment = ? AND cluster = ? AND addon = ?",
                     [.text(record.environment), .text(record.cluster), .text(record.addon)])
        try insert(HistoryEvent(at: record.appliedAt, kind: .apply, environment: record.environment, cluster: record.cluster,
                                addon: record.addon, commit: record.commit, detail: "applied, digest \(record.digest)",
                                outcome: .applied), into: db)
    }

    public func removeApplied(environment: String, cluster: String, addon: String, commit: String, at time: Date) async throws(StoreError) {
        try await writing { db throws(StoreError) in
            try db.transaction { () throws(StoreError) in
                try Self.nextAppliedVersion(db)
                try Self.remove(AppliedRemoval(environment: environment, cluster: cluster, addon: addon, commit: commit, at: time), from: db)
            }
        }
    }

    static func remove(_ removal: AppliedRemoval, from db: SQLiteConnection) throws(StoreError) {
        try db.query("DELETE FROM applied WHERE environment = ? AND cluster = ? AND addon = ?",
                     [.text(removal.environment), .text(removal.cluster), .text(removal.addon)])
        try db.query("INSERT OR REPLACE INTO applied_removed (environment, cluster, addon, changed) VALUES (?, ?, ?, (SELECT version FROM applied_version))",
                     [.text(removal.environment), .text(removal.cluster), .text(removal.addon)])
        try insert(HistoryEvent(at: removal.at, kind: .apply, environment: removal.environment, cluster: removal.cluster, addon: removal.addon,
                                commit: removal.commit, detail: "removed: the add-on left the cluster and its objects were pruned", outcome: .removed), into: db)
    }

    private static func appliedRecord(_ row: [SQLiteConnection.Cell]) -> AppliedRecord {
        AppliedRecord(environment: row[0].text ?? "", cluster: row[1].text ?? "", addon: row[2].text ?? "",
                      commit: row[3].text ?? "", digest: row[4].text ?? "",
                      appliedAt: Date(timeIntervalSince1970: row[5].real ?? 0), pending: row[6].text,
                      revision: Int(row[7].integer ?? 1))
    }

}
