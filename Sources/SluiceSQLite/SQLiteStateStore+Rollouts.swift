import Foundation
import SluiceCore
import SluiceStore
import SluiceModel

/// Rollout state, pending applies, operator commands, freezes and the simulated audit log.
extension SQLiteStateStore {
    public func commit(_ transition: StoreTransition) async throws(StoreError) {
        guard !transition.isEmpty else { return }
        try await writing { db throws(StoreError) in
            try db.transaction { () throws(StoreError) in
                if let rollout = transition.rollout {
                    try Self.save(rollout, into: db)
                    if transition.replacesClusters {
                        try db.query("DELETE FROM rollout_clusters WHERE rollout_id = ?", [.text(rollout.id)])
                    }
                    for row in transition.clusterRows {
                        try db.query("INSERT OR REPLACE INTO rollout_clusters (rollout_id, position, cluster, state) VALUES (?, ?, ?, ?)",
                                     [.text(rollout.id), .integer(Int64(row.position)), .text(row.cluster),
                                      .text(String(decoding: row.state, as: UTF8.self))])
                    }
                }
                if !transition.pending.isEmpty || !transition.records.isEmpty || !transition.removals.isEmpty {
                    try Self.nextAppliedVersion(db)
                }
                for mark in transition.pending {
                    try db.query("UPDATE applied SET pending_commit = ?, changed = (SELECT version FROM applied_version) WHERE environment = ? AND cluster = ? AND addon = ?",
                                 [.text(mark.commit), .text(mark.environment), .text(mark.cluster), .text(mark.addon)])
                }
                for record in transition.records { try Self.record(record, into: db) }
                for removal in transition.removals { try Self.remove(removal, from: db) }
                for event in transition.history { try Self.insert(event, into: db) }
                for id in transition.consumedCommands {
                    try db.query("UPDATE commands SET consumed = 1 WHERE id = ?", [.integer(id)])
                }
                if let drift = transition.drift { try Self.replaceDrift(drift, in: db) }
            }
        }
    }

    private static func save(_ rollout: RolloutRecord, into db: SQLiteConnection) throws(StoreError) {
        try db.query("""
            INSERT INTO rollouts (id, environment, commit_sha, phase, format, state, blueprint, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET phase = excluded.phase, format = excluded.format, state = excluded.state,
                blueprint = CASE WHEN excluded.blueprint = '' THEN rollouts.blueprint ELSE excluded.blueprint END,
                updated_at = excluded.updated_at
            """, [.text(rollout.id), .text(rollout.environment), .text(rollout.commit), .text(rollout.phase.rawValue),
                  .integer(Int64(rollout.format)), .text(String(decoding: rollout.state, as: UTF8.self)),
                  .text(String(decoding: rollout.blueprint, as: UTF8.self)),
                  .real(rollout.startedAt.timeIntervalSince1970), .real(rollout.updatedAt.timeIntervalSince1970)])
    }

    public func rollout(environment: String) async throws(StoreError) -> RolloutRecord? {
        // One snapshot: a step written between the two reads would pair a rollout with
        // another step's cluster rows.
        try await reading { db throws(StoreError) in
            try db.readTransaction { () throws(StoreError) in
                guard var record = try Self.rollouts(db, environment: environment, where: "AND phase != 'rejected'", limit: 1).first else {
                    return nil
                }
                record.clusters = try db.query("SELECT state FROM rollout_clusters WHERE rollout_id = ? ORDER BY position", [.text(record.id)])
                    .map { Array(($0[0].text ?? "").utf8) }
                return record
            }
        }
    }

    public func rollouts(environment: String, limit: Int) async throws(StoreError) -> [RolloutRecord] {
        try await reading { db throws(StoreError) in try Self.rollouts(db, environment: environment, where: "", limit: limit) }
    }

    public func lastRollout(environment: String, phase: RolloutPhase) async throws(StoreError) -> RolloutRecord? {
        // `phase` is one of the enum's raw values, never text from outside.
        try await reading { db throws(StoreError) in
            try Self.rollouts(db, environment: environment, where: "AND phase = '\(phase.rawValue)'", limit: 1).first
        }
    }

    /// Newest first by when they were written first (the row's id), never by their clock: a
    /// store written under `--virtual-time` or `--time-scale` holds start times ahead of the
    /// wall clock, and a rollout started after them must still be the newest.
    private static func rollouts(_ db: SQLiteConnection, environment: String, where condition: String, limit: Int) throws(StoreError) -> [RolloutRecord] {
        try db.query("""
            SELECT id, environment, commit_sha, phase, format, state, started_at, updated_at, blueprint FROM rollouts
            WHERE environment = ? \(condition) ORDER BY rowid DESC LIMIT ?
            """, [.text(environment), .integer(Int64(max(0, limit)))]).map { row throws(StoreError) in
            guard let phase = RolloutPhase(rawValue: row[3].text ?? "") else {
                throw StoreError("state store \(db.path): rollout \(row[0].text ?? "?") has an unknown phase \"\(row[3].text ?? "")\"; upgrade sluice")
            }
            return RolloutRecord(id: row[0].text ?? "", environment: row[1].text ?? "", commit: row[2].text ?? "", phase: phase,
                                 format: Int(row[4].integer ?? 0), state: Array((row[5].text ?? "").utf8),
                                 blueprint: Array((row[8].text ?? "").utf8), startedAt: Date(timeIntervalSince1970: row[6].real ?? 0),
                                 updatedAt: Date(timeIntervalSince1970: row[7].real ?? 0))
        }
    }

    public func pending(environment: String) async throws(StoreError) -> [PendingApply] {
        try await reading { db throws(StoreError) in
            try db.query("SELECT cluster, addon, pending_commit FROM applied WHERE environment = ? AND pending_commit IS NOT NULL ORDER BY cluster, addon",
                         [.text(environment)]).map { row in
                PendingApply(environment: environment, cluster: row[0].text ?? "", addon: row[1].text ?? "", commit: row[2].text ?? "")
            }
        }
    }

    @discardableResult
    public func enqueue(_ command: OperatorCommand) async throws(StoreError) -> Int64 {
        try await writing { db throws(StoreError) in
            try db.transaction { () throws(StoreError) in
                try db.query("INSERT INTO commands (environment, verb, user, reason, at, commit_sha, stage) VALUES (?, ?, ?, ?, ?, ?, ?)",
                             [.text(command.environment), .text(command.verb.rawValue), .text(command.user), .text(command.reason),
                              .real(command.at.timeIntervalSince1970), command.commit.map { .text($0) } ?? .null,
                              command.stage.map { .text($0) } ?? .null])
                return try db.query("SELECT last_insert_rowid()").first?.first?.integer ?? 0
            }
        }
    }

    public func commands(environment: String) async throws(StoreError) -> [OperatorCommand] {
        try await reading { db throws(StoreError) in
            try db.query("SELECT id, verb, user, reason, at, commit_sha, stage FROM commands WHERE environment = ? AND consumed = 0 ORDER BY id",
                         [.text(environment)]).compactMap { row in
                // A verb a newer sluice queued stays queued for it.
                guard let verb = OperatorCommand.Verb(rawValue: row[1].text ?? "") else { return nil }
                return OperatorCommand(id: row[0].integer ?? 0, environment: environment, verb: verb, user: row[2].text ?? "",
                                       reason: row[3].text ?? "", at: Date(timeIntervalSince1970: row[4].real ?? 0),
                                       commit: row[5].text, stage: row[6].text)
            }
        }
    }

    public func setFreeze(environment: String, to freeze: FreezeRecord?, event: HistoryEvent) async throws(StoreError) {
        try await writing { db throws(StoreError) in
            try db.transaction { () throws(StoreError) in
                if let freeze {
                    try db.query("INSERT OR REPLACE INTO freezes (environment, user, reason, at) VALUES (?, ?, ?, ?)",
                                 [.text(environment), .text(freeze.user), .text(freeze.reason), .real(freeze.at.timeIntervalSince1970)])
                } else {
                    try db.query("DELETE FROM freezes WHERE environment = ?", [.text(environment)])
                }
                try Self.insert(event, into: db)
            }
        }
    }

    public func freeze(environment: String) async throws(StoreError) -> FreezeRecord? {
        try await reading { db throws(StoreError) in
            try db.query("SELECT user, reason, at FROM freezes WHERE environment = ?", [.text(environment)]).first.map { row in
                FreezeRecord(environment: environment, user: row[0].text ?? "", reason: row[1].text ?? "",
                             at: Date(timeIntervalSince1970: row[2].real ?? 0))
            }
        }
    }

    private static func replaceDrift(_ drift: DriftReplacement, in db: SQLiteConnection) throws(StoreError) {
        try db.query("DELETE FROM drift WHERE environment = ?", [.text(drift.environment)])
        for finding in drift.findings {
            try db.query("INSERT INTO drift (environment, cluster, addon, commit_sha, detail, at, corrected) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [.text(drift.environment), .text(finding.cluster), .text(finding.addon), .text(finding.commit), .text(finding.detail),
                          .real(finding.at.timeIntervalSince1970), .integer(finding.corrected ? 1 : 0)])
        }
    }

    public func drift(environment: String) async throws(StoreError) -> [DriftFinding] {
        try await reading { db throws(StoreError) in
            try db.query("SELECT cluster, addon, commit_sha, detail, at, corrected FROM drift WHERE environment = ? ORDER BY cluster, addon",
                         [.text(environment)]).map { row in
                DriftFinding(cluster: row[0].text ?? "", addon: row[1].text ?? "", commit: row[2].text ?? "", detail: row[3].text ?? "",
                             at: Date(timeIntervalSince1970: row[4].real ?? 0), corrected: row[5].integer == 1)
            }
        }
    }

    /// The id of the newest history event (0 when there is none).
    public func historyMark() async throws(StoreError) -> Int64 {
        try await reading { db throws(StoreError) in try db.query("SELECT coalesce(max(id), 0) FROM history").first?.first?.integer ?? 0 }
    }
}
