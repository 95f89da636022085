import Foundation
import SluiceCore
import SluiceStore

/// The applied records and the history: read, recorded with their history events, forgotten
/// when an add-on leaves a cluster; the change feed as in the SQLite store.
extension PostgresStateStore {
    static let appliedColumns = "environment, cluster, addon, commit_sha, digest, applied_at, pending_commit, revision"

    public func applied(environment: String, cluster: String, addon: String) async throws(StoreError) -> AppliedRecord? {
        try await reading { db throws(PostgresError) in
            try db.query("SELECT \(Self.appliedColumns) FROM applied WHERE environment = $1 AND cluster = $2 AND addon = $3",
                         [environment, cluster, addon]).first.map(Self.appliedRecord)
        }
    }

    public func applied(environment: String) async throws(StoreError) -> [AppliedRecord] {
        try await reading { db throws(PostgresError) in try Self.appliedRows(db, where: "WHERE environment = $1", [environment]) }
    }

    public func applied() async throws(StoreError) -> [AppliedRecord] {
        try await reading { db throws(PostgresError) in try Self.appliedRows(db, where: "", []) }
    }

    static func appliedRows(_ db: PostgresConnection, where condition: String, _ parameters: [String?]) throws(PostgresError) -> [AppliedRecord] {
        // COLLATE "C": sorted by bytes, as SQLite sorts, whatever the database's locale.
        try db.query("SELECT \(appliedColumns) FROM applied \(condition) ORDER BY environment COLLATE \"C\", cluster COLLATE \"C\", addon COLLATE \"C\"",
                     parameters).map(appliedRecord)
    }

    static func appliedRecord(_ row: [String?]) -> AppliedRecord {
        AppliedRecord(environment: row[0] ?? "", cluster: row[1] ?? "", addon: row[2] ?? "", commit: row[3] ?? "", digest: row[4] ?? "",
                      appliedAt: date(row[5]), pending: row[6], revision: row[7].flatMap { Int($0) } ?? 1)
    }

    public func appliedChanges(since version: Int64) async throws(StoreError) -> AppliedChanges {
        try await reading(snapshot: true) { db throws(PostgresError) -> AppliedChanges in
            let now = Int64(try db.query("SELECT version FROM applied_version WHERE id = 1").first?.first.flatMap { $0 } ?? "0") ?? 0
            guard now != version else { return AppliedChanges(version: now, complete: false) }
            // A version the store never gave (another store's, or one from before a restore) reads everything.
            let complete = version <= 0 || version > now
            let records = try Self.appliedRows(db, where: complete ? "" : "WHERE changed > $1::bigint", complete ? [] : [String(version)])
            let removed = complete ? [] : try db.query("SELECT environment, cluster, addon FROM applied_removed WHERE changed > $1::bigint", [String(version)])
                .map { PairKey(environment: $0[0] ?? "", cluster: $0[1] ?? "", addon: $0[2] ?? "") }
            return AppliedChanges(version: now, complete: complete, records: records, removed: removed)
        }
    }

    public func recordApply(_ records: [AppliedRecord]) async throws(StoreError) {
        guard !records.isEmpty else { return }
        try await writing(environments: Set(records.map(\.environment))) { db throws(PostgresError) in
            try Self.record(records, version: try Self.nextAppliedVersion(db), into: db)
        }
    }

    /// Every transaction that writes `applied` calls this first, and marks what it changes with
    /// the version returned. The row lock it takes orders such transactions: a version is
    /// committed before the next one is given.
    static func nextAppliedVersion(_ db: PostgresConnection) throws(PostgresError) -> String {
        let returned = try db.query("UPDATE applied_version SET version = version + 1 WHERE id = 1 RETURNING version").first?.first.flatMap { $0 }
        guard let version = returned.flatMap({ Int64($0) }) else {
            throw PostgresError(.refused, "applied_version has no version row: this database is not a whole Sluice store")
        }
        return String(version)
    }

    /// Records (each with its history event) in a few multi-row statements.
    static func record(_ records: [AppliedRecord], version: String, into db: PostgresConnection) throws(PostgresError) {
        guard !records.isEmpty else { return }
        // Recording what is recorded already (this commit and digest, no apply pending) changes
        // nothing and says nothing: a pair is applied once, whoever asks twice.
        var same = Set<[String]>()
        for chunk in stride(from: 0, to: records.count, by: PostgresRows.chunk) {
            let part = records[chunk..<min(records.count, chunk + PostgresRows.chunk)]
            let (list, parameters) = PostgresRows.values(ArraySlice(part.map { [$0.environment, $0.cluster, $0.addon, $0.commit, $0.digest] }), width: 5)
            for row in try db.query("""
                SELECT a.environment, a.cluster, a.addon FROM applied a
                JOIN (VALUES \(list)) AS r (environment, cluster, addon, commit_sha, digest)
                  ON a.environment = r.environment AND a.cluster = r.cluster AND a.addon = r.addon
                WHERE a.commit_sha = r.commit_sha AND a.digest = r.digest AND a.pending_commit IS NULL
                """, parameters) {
                same.insert([row[0] ?? "", row[1] ?? "", row[2] ?? ""])
            }
        }
        let records = records.filter { !same.contains([$0.environment, $0.cluster, $0.addon]) }
        guard !records.isEmpty else { return }
        let rows = records.map { [$0.environment, $0.cluster, $0.addon, $0.commit, $0.digest, seconds($0.appliedAt), version, String($0.revision)] }
        try PostgresRows.insert(PostgresRows.lastPerKey(rows) { [$0[0], $0[1], $0[2]] }, into: "applied",
                                columns: ["environment", "cluster", "addon", "commit_sha", "digest", "applied_at", "changed", "revision"], then: """
            ON CONFLICT (environment, cluster, addon) DO UPDATE SET commit_sha = excluded.commit_sha, digest = excluded.digest,
                applied_at = excluded.applied_at, pending_commit = NULL, changed = excluded.changed, revision = excluded.revision
            """, db)
        try PostgresRows.each(rows.map { Array($0[0..<3]) }, width: 3, db) { list in
            "DELETE FROM applied_removed WHERE (environment, cluster, addon) IN (VALUES \(list))"
        }
        try insert(records.map {
            HistoryEvent(at: $0.appliedAt, kind: .apply, environment: $0.environment, cluster: $0.cluster, addon: $0.addon,
                         commit: $0.commit, detail: "applied, digest \($0.digest)", outcome: .applied)
        }, into: db)
    }

    public func removeApplied(environment: String, cluster: String, addon: String, commit: String, at time: Date) async throws(StoreError) {
        try await writing(environments: [environment]) { db throws(PostgresError) in
            try Self.remove(AppliedRemoval(environment: environment, cluster: cluster, addon: addon, commit: commit, at: time),
                            version: try Self.nextAppliedVersion(db), from: db)
        }
    }

    static func remove(_ removal: AppliedRemoval, version: String, from db: PostgresConnection) throws(PostgresError) {
        try db.query("DELETE FROM applied WHERE environment = $1 AND cluster = $2 AND addon = $3", [removal.environment, removal.cluster, removal.addon])
        try db.query("""
            INSERT INTO applied_removed (environment, cluster, addon, changed) VALUES ($1, $2, $3, $4::bigint)
            ON CONFLICT (environment, cluster, addon) DO UPDATE SET changed = excluded.changed
            """, [removal.environment, removal.cluster, removal.addon, version])
        try insert([HistoryEvent(at: removal.at, kind: .apply, environment: removal.environment, cluster: removal.cluster, addon: removal.addon,
                                 commit: removal.commit, detail: "removed: the add-on left the cluster and its objects were pruned", outcome: .removed)], into: db)
    }

    // MARK: - History

    public func append(_ event: HistoryEvent) async throws(StoreError) {
        try await writing(environments: [event.environment]) { db throws(PostgresError) in try Self.insert([event], into: db) }
    }

    /// History events, in order (their ids grow in the order of the rows).
    static func insert(_ events: [HistoryEvent], into db: PostgresConnection) throws(PostgresError) {
        try PostgresRows.insert(events.map {
            [seconds($0.at), $0.kind.rawValue, $0.environment, $0.cluster, $0.addon, $0.commit, $0.detail, $0.outcome?.rawValue]
        }, into: "history", columns: ["at", "kind", "environment", "cluster", "addon", "commit_sha", "detail", "outcome"], db)
    }

    public func history(_ filter: HistoryFilter) async throws(StoreError) -> [HistoryEvent] {
        try await reading { db throws(PostgresError) in
            try db.query("""
                SELECT at, kind, environment, cluster, addon, commit_sha, detail, outcome FROM history
                WHERE ($1::text IS NULL OR environment = $1) AND ($2::text IS NULL OR cluster = $2) AND ($3::text IS NULL OR addon = $3)
                  AND ($4::float8 IS NULL OR at >= $4::float8) ORDER BY id DESC LIMIT $5::bigint
                """, [filter.environment, filter.cluster, filter.addon, filter.since.map(seconds), String(max(0, filter.limit))])
                .map { row in
                    // As the SQLite store: a kind a newer sluice wrote reads as an operator's action.
                    HistoryEvent(at: date(row[0]), kind: HistoryEvent.Kind(rawValue: row[1] ?? "") ?? .operatorAction, environment: row[2] ?? "", cluster: row[3], addon: row[4], commit: row[5],
                                        detail: row[6] ?? "", outcome: row[7].flatMap { HistoryOutcome(rawValue: $0) })
                }
        }
    }
}

extension PostgresStateStore {
    /// The newest history event's id (0 when there is none): simulated clusters sharing the
    /// store mark their audit log with it, as beside a SQLite store.
    public func historyMark() async throws(StoreError) -> Int64 {
        try await reading { db throws(PostgresError) in
            Int64(try db.query("SELECT coalesce(max(id), 0) FROM history").first?.first.flatMap { $0 } ?? "0") ?? 0
        }
    }
}

/// Times are kept as seconds since 1970 in `double precision`: PostgreSQL prints a float8 in
/// the shortest text that reads back to the same value, so a `Date` comes back equal.
func seconds(_ date: Date) -> String { "\(date.timeIntervalSince1970)" }

func date(_ text: String?) -> Date { Date(timeIntervalSince1970: text.flatMap { Double($0) } ?? 0) }
