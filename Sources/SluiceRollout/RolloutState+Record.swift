import Foundation
import SluiceCore
import SluiceYAML
import SluiceStore

/// The rollout state's codec: how a `RolloutState` becomes the store's rows and back. It
/// lives with the runner, which writes it, not with the machine, which knows no store.
extension RolloutState {
    /// The state as written: without the blueprint, which is written once (`record(withBlueprint:)`).
    public func encoded() throws(RolloutStateError) -> [UInt8] {
        var copy = persistable
        copy.blueprint = RolloutBlueprint(stages: [])
        copy.clusters = []
        return try Self.json(copy, what: "rollout state")
    }

    /// A state that cannot be encoded is an error: writing nothing would lose the rollout.
    private static func json(_ value: some Encodable, what: String) throws(RolloutStateError) -> [UInt8] {
        do { return try ValueEncoder.json(value) } catch { throw .unencodable("\(what): \(error)") }
    }

    public static func decode(_ record: RolloutRecord) throws(RolloutStateError) -> RolloutState {
        guard record.format <= format else {
            throw .newerFormat(record.format, known: format)
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        do {
            var state = try decoder.decode(RolloutState.self, from: Data(record.state))
            state.clusters = try record.clusters.map { try decoder.decode(ClusterProgress.self, from: Data($0)) }
            if !record.blueprint.isEmpty { state.blueprint = try decoder.decode(RolloutBlueprint.self, from: Data(record.blueprint)) }
            return state
        } catch {
            throw .unreadable("\(error)")
        }
    }

    /// The record to write; the blueprint goes with the first write of a rollout. The
    /// clusters go as rows (`transition(after:)`); a record made here carries them all.
    public func record(withBlueprint: Bool = true) throws(RolloutStateError) -> RolloutRecord {
        var record = try header(withBlueprint: withBlueprint)
        record.clusters = persistable.clusters.map { $0.json() }
        return record
    }

    /// The record without its cluster rows.
    private func header(withBlueprint: Bool) throws(RolloutStateError) -> RolloutRecord {
        RolloutRecord(id: id, environment: environment, commit: commit, phase: phase, format: Self.format, state: try encoded(),
                      blueprint: withBlueprint ? try Self.json(blueprint, what: "rollout blueprint") : [],
                      startedAt: startedAt, updatedAt: updatedAt)
    }

    /// What to write after `previous` (the durable state written last, nil when none of this
    /// rollout was): the record, and only the cluster rows that changed.
    public func transition(after previous: RolloutState?) throws(RolloutStateError) -> StoreTransition {
        let current = persistable
        var transition = StoreTransition(rollout: try header(withBlueprint: previous?.id != id))
        let same = previous?.id == id && previous?.clusters.map(\.name) == current.clusters.map(\.name)
        transition.replacesClusters = !same
        for (position, cluster) in current.clusters.enumerated() where !same || previous?.clusters[position] != cluster.durable {
            transition.clusterRows.append(ClusterRow(position: position, cluster: cluster.name, state: cluster.json()))
        }
        return transition
    }
}


public enum RolloutStateError: Error, Equatable, CustomStringConvertible, Sendable {
    case newerFormat(Int, known: Int)
    case unreadable(String)
    case unencodable(String)

    public var description: String {
        switch self {
        case .newerFormat(let found, let known):
            return "the stored rollout state has format \(found), newer than this sluice knows (\(known)); upgrade sluice"
        case .unreadable(let why): return "the stored rollout state cannot be read: \(why)"
        case .unencodable(let why): return "the rollout state cannot be encoded, so it is not written: \(why)"
        }
    }
}

// MARK: - JSON

/// Written with `position`; states of format 1 (with `phase`, `step` and the flags beside
/// them) read as the position they meant.
extension RolloutState: Codable {
    enum CodingKeys: String, CodingKey {
        case id, environment, commit, baseCommit, blueprint, position, stage, batch, clusters, checks, planning, replanBeforeApply,
             stageFailures, pauseRequested, approvedStages, skipped, clustersDone, startedAt, updatedAt, wakeAt, waitingFor, rejection
        // Format 1.
        case phase, step, halting, haltReason, pauseReason, supersededBy
    }

    /// Format 1's step, which also said "waits for an approval" and "finished".
    private enum LegacyStep: Decodable {
        case planning, awaitingApproval, preChecks, applying, postChecks, baking(until: Date), rollingBack, catchingUp, finished

        var step: Step {
            switch self {
            case .planning: return .planning
            case .awaitingApproval, .preChecks: return .preChecks
            case .applying: return .applying
            case .postChecks: return .postChecks
            case .baking(let until): return .baking(until: until)
            case .rollingBack: return .rollingBack
            case .catchingUp, .finished: return .catchingUp
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        environment = try c.decode(String.self, forKey: .environment)
        commit = try c.decode(String.self, forKey: .commit)
        baseCommit = try c.decodeIfPresent(String.self, forKey: .baseCommit)
        blueprint = try c.decode(RolloutBlueprint.self, forKey: .blueprint)
        if let position = try c.decodeIfPresent(Position.self, forKey: .position) {
            self.position = position
        } else {
            position = try Self.legacyPosition(c)
        }
        stage = try c.decode(Int.self, forKey: .stage)
        batch = try c.decode(Int.self, forKey: .batch)
        clusters = try c.decode([ClusterProgress].self, forKey: .clusters)
        checks = try c.decode([CheckProgress].self, forKey: .checks)
        planning = try c.decode([String].self, forKey: .planning)
        replanBeforeApply = try c.decode(Bool.self, forKey: .replanBeforeApply)
        stageFailures = try c.decode(Int.self, forKey: .stageFailures)
        pauseRequested = try c.decodeIfPresent(PauseReason.self, forKey: .pauseRequested)
        approvedStages = try c.decode([Int].self, forKey: .approvedStages)
        skipped = try c.decode([SkippedCluster].self, forKey: .skipped)
        clustersDone = try c.decode(Int.self, forKey: .clustersDone)
        startedAt = try c.decode(Date.self, forKey: .startedAt)
        updatedAt = try c.decode(Date.self, forKey: .updatedAt)
        wakeAt = try c.decodeIfPresent(Date.self, forKey: .wakeAt)
        rejection = try c.decodeIfPresent([String].self, forKey: .rejection) ?? []
        // Before format 3 a rejection's errors were its `waitingFor` text.
        if case .rejected = position, rejection.isEmpty, let text = try c.decodeIfPresent(String.self, forKey: .waitingFor) {
            rejection = [text]
        }
    }

    private static func legacyPosition(_ c: KeyedDecodingContainer<CodingKeys>) throws -> Position {
        let phase = try c.decode(RolloutPhase.self, forKey: .phase)
        let legacy = try c.decode(LegacyStep.self, forKey: .step)
        let halting = try c.decodeIfPresent(Bool.self, forKey: .halting) ?? false
        let recordedHalt = try c.decodeIfPresent(String.self, forKey: .haltReason)
        let haltReason = HaltReason.recorded(recordedHalt ?? "failures beyond maxFailures")
        let supersededBy = try c.decodeIfPresent(String.self, forKey: .supersededBy)
        let step = legacy.step
        switch phase {
        case .running:
            if let supersededBy { return .superseding(step, by: supersededBy, halt: recordedHalt.map(HaltReason.recorded)) }
            if case .awaitingApproval = legacy { return .awaitingApproval }
            if case .finished = legacy { return .done }
            return halting ? .halting(step, reason: haltReason) : .running(step)
        case .awaitingApproval: return .awaitingApproval
        case .paused: return .paused(step, reason: .recorded(try c.decodeIfPresent(String.self, forKey: .pauseReason) ?? "paused"))
        case .halted: return .halted(step, reason: haltReason)
        case .done: return .done
        case .superseded: return .superseded(by: supersededBy ?? "", halt: recordedHalt.map(HaltReason.recorded))
        case .rejected: return .rejected
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(environment, forKey: .environment)
        try c.encode(commit, forKey: .commit)
        try c.encodeIfPresent(baseCommit, forKey: .baseCommit)
        try c.encode(blueprint, forKey: .blueprint)
        try c.encode(position, forKey: .position)
        try c.encode(stage, forKey: .stage)
        try c.encode(batch, forKey: .batch)
        try c.encode(clusters, forKey: .clusters)
        try c.encode(checks, forKey: .checks)
        try c.encode(planning, forKey: .planning)
        try c.encode(replanBeforeApply, forKey: .replanBeforeApply)
        try c.encode(stageFailures, forKey: .stageFailures)
        try c.encodeIfPresent(pauseRequested, forKey: .pauseRequested)
        try c.encode(approvedStages, forKey: .approvedStages)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(clustersDone, forKey: .clustersDone)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encodeIfPresent(wakeAt, forKey: .wakeAt)
        if !rejection.isEmpty { try c.encode(rejection, forKey: .rejection) }
    }
}
