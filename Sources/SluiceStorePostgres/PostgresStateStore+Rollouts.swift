import Foundation
import SluiceCore
import SluiceStore

/// Rollout steps, operator commands, freezes and drift findings.
extension PostgresStateStore {
    public func commit(_ transition: StoreTransition) async throws(StoreError) {
        guard !transition.isEmpty else { return }
        try await writing(environments: Self.environments(of: transition)) { db throws(PostgresError) in
            if let rollout = transition.rollout {
                try Self.save(rollout, into: db)
                if transition.replacesClusters {
                    try db.query("DELETE FROM rollout_clusters WHERE rollout_id = $1", [rollout.id])
                }
                let rows = transition.clusterRows.map { [rollout.id, String($0.position), $0.cluster, String(decoding: $0.state, as: UTF8.self)] }
                try PostgresRows.insert(PostgresRows.lastPerKey(rows) { $0[1] }, into: "rollout_clusters", columns: ["rollout_id", "position", "cluster", "state"],
                                        then: "ON CONFLICT (rollout_id, position) DO UPDATE SET cluster = excluded.cluster, state = excluded.state", db)
            }
            if !transition.pending.isEmpty || !transition.records.isEmpty || !transition.removals.isEmpty {
                let version = try Self.nextAppliedVersion(db)
                try PostgresRows.each(transition.pending.map { [$0.commit, $0.environment, $0.cluster, $0.addon] }, width: 4, db) { list in
                    """
                    UPDATE applied SET pending_commit = mark.commit_sha, changed = \(version)
                    FROM (VALUES \(list)) AS mark (commit_sha, environment, cluster, addon)
                    WHERE applied.environment = mark.environment AND applied.cluster = mark.cluster AND applied.addon = mark.addon
                    """
                }
                try Self.record(transition.records, version: version, into: db)
                for removal in transition.removals { try Self.remove(removal, version: version, from: db) }
            }
            try Self.insert(transition.history, into: db)
            if !transition.consumedCommands.isEmpty {
                try db.query("UPDATE commands SET consumed = true WHERE id = ANY($1::bigint[])",
                             ["{" + transition.consumedCommands.map(String.init).joined(separator: ",") + "}"])
            }
            if let drift = transition.drift { try Self.replaceDrift(drift, in: db) }
        }
    }

    /// The environments a step writes: each is fenced by its lease.
    static func environments(of transition: StoreTransition) -> Set<String> {
        var environments = Set<String>()
        if let rollout = transition.rollout { environments.insert(rollout.environment) }
        environments.formUnion(transition.records.map(\.environment))
        environments.formUnion(transition.removals.map(\.environment))
        environments.formUnion(transition.pending.map(\.environment))
        environments.formUnion(transition.history.map(\.environment))
        if let drift = transition.drift { environments.insert(drift.environment) }
        return environments
    }

    private static func save(_ rollout: RolloutRecord, into db: PostgresConnection) throws(PostgresError) {
        try db.query("""
            INSERT INTO rollouts (id, environment, commit_sha, phase, format, state, blueprint, started_at, updated_at)
            VALUES ($1, $2, $3, $4, $5::integer, $6, $7, $8::float8, $9::float8)
            ON CONFLICT (id) DO UPDATE SET phase = excluded.phase, format = excluded.format, state = excluded.state,
                blueprint = CASE WHEN excluded.blueprint = '' THEN rollouts.blueprint ELSE excluded.blueprint END,
                updated_at = excluded.updated_at
            """, [rollout.id, rollout.environment, rollout.commit, rollout.phase.rawValue, String(rollout.format),
                  String(decoding: rollout.state, as: UTF8.self), String(decoding: rollout.blueprint, as: UTF8.self),
                  seconds(rollout.startedAt), seconds(rollout.updatedAt)])
    }

    public func rollout(environment: String) async throws(StoreError) -> RolloutRecord? {
        // One snapshot: a step written between the two reads would pair a rollout with another step's rows.
        let found = try await reading(snapshot: true) { db throws(PostgresError) -> Result<RolloutRecord?, StoreError> in
            let rollouts = try Self.rollouts(db, environment: environment, where: "AND phase <> 'rejected'", limit: 1)
            guard case .success(let list) = rollouts, var record = list.first else { return rollouts.map(\.first) }
            record.clusters = try db.query("SELECT state FROM rollout_clusters WHERE rollout_id = $1 ORDER BY position", [record.id])
                .map { Array(($0[0] ?? "").utf8) }
            return .success(record)
        }
        return try found.get()
    }

    public func rollouts(environment: String, limit: Int) async throws(StoreError) -> [RolloutRecord] {
        try await reading { db throws(PostgresError) in try Self.rollouts(db, environment: environment, where: "", limit: limit) }.get()
    }

    public func lastRollout(environment: String, phase: RolloutPhase) async throws(StoreError) -> RolloutRecord? {
        // `phase` is one of the enum's raw values, never text from outside.
        try await reading { db throws(PostgresError) in
            try Self.rollouts(db, environment: environment, where: "AND phase = '\(phase.rawValue)'", limit: 1)
        }.get().first
    }

    /// Newest first by when they were first written (`seq`), never by their clock (as SQLite's rowid).
    private static func rollouts(_ db: PostgresConnection, environment: String, where condition: String,
                                 limit: Int) throws(PostgresError) -> Result<[RolloutRecord], StoreError> {
        let rows = try db.query("""
            SELECT id, environment, commit_sha, phase, format, state, started_at, updated_at, blueprint FROM rollouts
            WHERE environment = $1 \(condition) ORDER BY seq DESC LIMIT $2::bigint
            """, [environment, String(max(0, limit))])
        var records: [RolloutRecord] = []
        for row in rows {
            guard let phase = RolloutPhase(rawValue: row[3] ?? "") else {
                return .failure(StoreError("rollout \(row[0] ?? "?") has an unknown phase \"\(row[3] ?? "")\"; upgrade sluice"))
            }
            records.append(RolloutRecord(id: row[0] ?? "", environment: row[1] ?? "", commit: row[2] ?? "", phase: phase,
                                         format: Int(row[4] ?? "") ?? 0, state: Array((row[5] ?? "").utf8), blueprint: Array((row[8] ?? "").utf8),
                                         startedAt: date(row[6]), updatedAt: date(row[7])))
        }
        return .success(records)
    }

    public func pending(environment: String) async throws(StoreError) -> [PendingApply] {
        try await reading { db throws(PostgresError) in
            try db.query("""
                SELECT cluster, addon, pending_commit FROM applied WHERE environment = $1 AND pending_commit IS NOT NULL
                ORDER BY cluster COLLATE "C", addon COLLATE "C"
                """, [environment]).map { row in
                PendingApply(environment: environment, cluster: row[0] ?? "", addon: row[1] ?? "", commit: row[2] ?? "")
            }
        }
    }

    /// Operators' commands are not fenced: a follower queues them for the replica that leads.
    @discardableResult
    public func enqueue(_ command: OperatorCommand) async throws(StoreError) -> Int64 {
        let id = try await writing(environments: []) { db throws(PostgresError) in
            try db.query("""
                INSERT INTO commands (environment, verb, requested_by, reason, at, commit_sha, stage) VALUES ($1, $2, $3, $4, $5::float8, $6, $7) RETURNING id
                """, [command.environment, command.verb.rawValue, command.user, command.reason, seconds(command.at), command.commit, command.stage])
                .first?.first.flatMap { $0 }
        }
        guard let id, let value = Int64(id) else { throw StoreError("state store \(name): no id for a queued command") }
        return value
    }

    public func commands(environment: String) async throws(StoreError) -> [OperatorCommand] {
        try await reading { db throws(PostgresError) in
            try db.query("SELECT id, verb, requested_by, reason, at, commit_sha, stage FROM commands WHERE environment = $1 AND NOT consumed ORDER BY id",
                         [environment]).compactMap { row in
                // A verb a newer sluice queued stays queued for it.
                guard let verb = OperatorCommand.Verb(rawValue: row[1] ?? "") else { return nil }
                return OperatorCommand(id: Int64(row[0] ?? "") ?? 0, environment: environment, verb: verb, user: row[2] ?? "",
                                       reason: row[3] ?? "", at: date(row[4]), commit: row[5], stage: row[6])
            }
        }
    }

    /// Not fenced either: an operator's freeze holds whichever replica leads.
    public func setFreeze(environment: String, to freeze: FreezeRecord?, event: HistoryEvent) async throws(StoreError) {
        try await writing(environments: []) { db throws(PostgresError) in
            if let freeze {
                try db.query("""
                    INSERT INTO freezes (environment, frozen_by, reason, at) VALUES ($1, $2, $3, $4::float8)
                    ON CONFLICT (environment) DO UPDATE SET frozen_by = excluded.frozen_by, reason = excluded.reason, at = excluded.at
                    """, [environment, freeze.user, freeze.reason, seconds(freeze.at)])
            } else {
                try db.query("DELETE FROM freezes WHERE environment = $1", [environment])
            }
            try Self.insert([event], into: db)
        }
    }

    public func freeze(environment: String) async throws(StoreError) -> FreezeRecord? {
        try await reading { db throws(PostgresError) in
            try db.query("SELECT frozen_by, reason, at FROM freezes WHERE environment = $1", [environment]).first.map { row in
                FreezeRecord(environment: environment, user: row[0] ?? "", reason: row[1] ?? "", at: date(row[2]))
            }
        }
    }

    private static func replaceDrift(_ drift: DriftReplacement, in db: PostgresConnection) throws(PostgresError) {
        try db.query("DELETE FROM drift WHERE environment = $1", [drift.environment])
        for finding in drift.findings {
            try db.query("INSERT INTO drift (environment, cluster, addon, commit_sha, detail, at, corrected) VALUES ($1, $2, $3, $4, $5, $6::float8, $7::boolean)",
                         [drift.environment, finding.cluster, finding.addon, finding.commit, finding.detail, seconds(finding.at),
                          finding.corrected ? "true" : "false"])
        }
    }

    public func drift(environment: String) async throws(StoreError) -> [DriftFinding] {
        try await reading { db throws(PostgresError) in
            try db.query("SELECT cluster, addon, commit_sha, detail, at, corrected FROM drift WHERE environment = $1 ORDER BY cluster COLLATE \"C\", addon COLLATE \"C\"",
                         [environment]).map { row in
                DriftFinding(cluster: row[0] ?? "", addon: row[1] ?? "", commit: row[2] ?? "", detail: row[3] ?? "", at: date(row[4]),
                             corrected: row[5] == "t")
            }
        }
    }
}
