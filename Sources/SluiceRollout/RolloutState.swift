import Foundation
import SluiceModel
import SluiceStore

/// Where the rollout of one commit through one environment is: a value, saved as JSON in the
/// store after every step (`RolloutRecord.state`) and changed only by `RolloutMachine`.
/// Only the current batch's clusters are kept in detail; finished batches are counts.
public struct RolloutState: Codable, Equatable, Sendable {
    /// The encoding version of this type. Bump it when a change would misread older states,
    /// and teach `decode` to read the old one; a newer one is refused.
    public static let format = 1

    public enum Step: Codable, Equatable, Sendable {
        /// The batch's clusters are being planned.
        case planning
        case awaitingApproval
        case preChecks
        case applying
        case postChecks
        case baking(until: Date)
        /// The failed batch is re-applied at the last-applied commit (`onFailure: rollback`).
        case rollingBack
        /// Every stage is done; clusters skipped as unreachable are retried until they are back.
        case catchingUp
        case finished
    }

    public var id: String
    public var environment: String
    public var commit: String
    /// The commit the environment had converged on before (what a rollback re-applies).
    public var baseCommit: String?
    public var blueprint: RolloutBlueprint
    public var phase: RolloutPhase
    public var step: Step
    public var stage: Int = 0
    public var batch: Int = 0
    /// The clusters of the current batch (and skipped clusters that came back).
    public var clusters: [ClusterProgress] = []
    public var checks: [CheckProgress] = []
    /// Clusters whose plan is out; when it is back the machine goes on.
    public var planning: [String] = []
    /// Time passed since the batch was planned (a window, an approval): plan it again
    /// before applying, so that the three-way patches are against what is live now.
    public var replanBeforeApply = false
    /// Failed clusters in the current stage (`maxFailures` counts these).
    public var stageFailures = 0
    /// Failures beyond the budget: nothing new starts; halts once nothing is in flight.
    public var halting = false
    public var haltReason: String?
    /// Set by `sluice pause`; takes effect at the next batch boundary.
    public var pauseRequested: String?
    public var pauseReason: String?
    public var approvedStages: [Int] = []
    /// A newer head: nothing new starts, and once nothing is in flight this one is superseded.
    public var supersededBy: String?
    /// Clusters a `skip` stage went on without; each gets the commit when it is back.
    public var skipped: [SkippedCluster] = []
    public var clustersDone = 0
    public var startedAt: Date
    public var updatedAt: Date
    /// When the machine next needs to be woken (bake ends, a poll, a window opens).
    public var wakeAt: Date?
    /// What it waits for, for people (`status`, the live view).
    public var waitingFor: String?

    public init(id: String, environment: String, commit: String, baseCommit: String?, blueprint: RolloutBlueprint, now: Date) {
        self.id = id
        self.environment = environment
        self.commit = commit
        self.baseCommit = baseCommit
        self.blueprint = blueprint
        self.phase = .running
        self.step = .planning
        self.startedAt = now
        self.updatedAt = now
    }

    public var clustersTotal: Int { blueprint.clusterCount }
    public var currentStage: RolloutBlueprint.Stage? { blueprint.stages.indices.contains(stage) ? blueprint.stages[stage] : nil }

    /// Something was sent to a cluster or a check and its answer is not back.
    public var hasWorkInFlight: Bool {
        !planning.isEmpty || clusters.contains { $0.hasWorkInFlight } || checks.contains { $0.status == .running }
    }

    /// Nothing can move without an operator or a newer commit.
    public var needsOperator: Bool {
        phase == .halted || phase == .paused || phase == .awaitingApproval || phase.isFinal || isHeld
    }

    /// Every stage is done; only clusters skipped as unreachable are missing, and none of
    /// them is being applied.
    public var isOnlyWaitingForSkipped: Bool {
        step == .catchingUp && planning.isEmpty && clusters.allSatisfy { cluster in
            switch cluster.phase {
            case .unreachable, .skipped: return true
            default: return false
            }
        }
    }

    /// A freeze holds the batch.
    public var isHeld: Bool { phase == .running && checks.contains { $0.status == .waiting && $0.held } }

    /// The state without what a restart re-creates anyway (requests in flight, poll times,
    /// texts for people): two states with the same durable part need not both be written.
    public var durable: RolloutState {
        var copy = persistable
        copy.updatedAt = startedAt
        copy.wakeAt = nil
        copy.waitingFor = nil
        copy.clusters = copy.clusters.map(\.durable)
        return copy
    }

    /// What is written: only clusters being applied keep their pairs. A queued cluster is
    /// planned again after a restart (its plan was against the live objects of then anyway),
    /// and a finished one needs only its outcome; so a batch of hundreds of clusters writes
    /// the pairs of `maxConcurrency` of them.
    public var persistable: RolloutState {
        var copy = self
        for c in copy.clusters.indices where copy.clusters[c].phase != .applying {
            copy.clusters[c].pairs = []
            copy.clusters[c].settled = []
        }
        return copy
    }

    // MARK: - Encoding

    /// The state as written: without the blueprint, which is written once (`record(withBlueprint:)`).
    public func encoded() -> [UInt8] {
        var copy = persistable
        copy.blueprint = RolloutBlueprint(stages: [])
        copy.clusters = []
        return (try? ValueEncoder.json(copy)) ?? []
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
    public func record(withBlueprint: Bool = true) -> RolloutRecord {
        var record = RolloutRecord(id: id, environment: environment, commit: commit, phase: phase, format: Self.format, state: encoded(),
                                   blueprint: withBlueprint ? ((try? ValueEncoder.json(blueprint)) ?? []) : [],
                                   startedAt: startedAt, updatedAt: updatedAt)
        record.clusters = persistable.clusters.map { (try? ValueEncoder.json($0)) ?? [] }
        return record
    }

    /// What to write after `previous` (the durable state written last, nil when none of this
    /// rollout was): the record, and only the cluster rows that changed.
    public func transition(after previous: RolloutState?) -> StoreTransition {
        let current = persistable
        var transition = StoreTransition()
        var record = RolloutRecord(id: id, environment: environment, commit: commit, phase: phase, format: Self.format, state: encoded(),
                                   blueprint: previous?.id == id ? [] : ((try? ValueEncoder.json(blueprint)) ?? []),
                                   startedAt: startedAt, updatedAt: updatedAt)
        record.clusters = []
        transition.rollout = record
        let same = previous?.id == id && previous?.clusters.map(\.name) == current.clusters.map(\.name)
        transition.replacesClusters = !same
        for (position, cluster) in current.clusters.enumerated() where !same || previous?.clusters[position] != cluster.durable {
            transition.clusterRows.append(ClusterRow(position: position, cluster: cluster.name, state: (try? ValueEncoder.json(cluster)) ?? []))
        }
        return transition
    }
}

public enum RolloutStateError: Error, CustomStringConvertible, Sendable {
    case newerFormat(Int, known: Int)
    case unreadable(String)

    public var description: String {
        switch self {
        case .newerFormat(let found, let known):
            return "the stored rollout state has format \(found), newer than this sluice knows (\(known)); upgrade sluice"
        case .unreadable(let why): return "the stored rollout state cannot be read: \(why)"
        }
    }
}

/// One cluster of the current batch.
public struct ClusterProgress: Codable, Equatable, Sendable {
    public enum Phase: Codable, Equatable, Sendable {
        /// Planned; waits for a place under `maxConcurrency`.
        case queued
        case applying
        /// Every pair recorded; post-checks may still run.
        case done
        case failed(String)
        /// Could not be reached; a `wait` stage re-plans it at `retryAt`.
        case unreachable(since: Date, reason: String, retryAt: Date)
        /// A `skip` stage went on without it.
        case skipped
        case rolledBack
    }

    public var name: String
    public var phase: Phase
    /// Add-ons with something to apply or wait for.
    public var pairs: [PairProgress] = []
    /// Add-ons that were settled at plan time (recorded without an apply): names only, so
    /// that the state written after every step stays small.
    public var settled: [String] = []
    /// Everything was settled at plan time: recorded without an apply.
    public var noop = false
    /// Something was sent to the cluster in this rollout (a rollback re-applies only those).
    public var touched = false
    public var rollbackRequested = false

    public init(name: String, phase: Phase) {
        self.name = name
        self.phase = phase
    }

    // Written after every step for every cluster of a batch (hundreds): what is empty or
    // false is left out.
    enum CodingKeys: String, CodingKey { case name, phase, pairs, settled, noop, touched, rollbackRequested }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        phase = try c.decode(Phase.self, forKey: .phase)
        pairs = try c.decodeIfPresent([PairProgress].self, forKey: .pairs) ?? []
        settled = try c.decodeIfPresent([String].self, forKey: .settled) ?? []
        noop = try c.decodeIfPresent(Bool.self, forKey: .noop) ?? false
        touched = try c.decodeIfPresent(Bool.self, forKey: .touched) ?? false
        rollbackRequested = try c.decodeIfPresent(Bool.self, forKey: .rollbackRequested) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(phase, forKey: .phase)
        if !pairs.isEmpty { try c.encode(pairs, forKey: .pairs) }
        if !settled.isEmpty { try c.encode(settled, forKey: .settled) }
        if noop { try c.encode(noop, forKey: .noop) }
        if touched { try c.encode(touched, forKey: .touched) }
        if rollbackRequested { try c.encode(rollbackRequested, forKey: .rollbackRequested) }
    }

    public var isFinished: Bool {
        switch phase {
        case .done, .failed, .skipped, .rolledBack: return true
        case .queued, .applying, .unreachable: return false
        }
    }

    public var hasWorkInFlight: Bool { rollbackRequested || pairs.contains { $0.inFlight } }

    /// Without what a restart re-creates (requests in flight, poll times, progress texts).
    public var durable: ClusterProgress {
        var copy = self
        for p in copy.pairs.indices {
            copy.pairs[p].inFlight = false
            copy.pairs[p].nextPoll = nil
            copy.pairs[p].progress = nil
        }
        return copy
    }
}

/// One add-on of a cluster in the current batch.
public struct PairProgress: Codable, Equatable, Sendable {
    public enum Phase: Codable, Equatable, Sendable {
        /// Its dependencies are not recorded yet.
        case waiting
        case applying
        /// Partition step `step` (0-based; the last is the full rollout) is set and must be
        /// complete by `deadline`.
        case stepping(step: Int, deadline: Date)
        case baking(step: Int, until: Date)
        /// A transient error: tried again at `at`.
        case retrying(at: Date)
        case recorded
        case failed(String)
    }

    public var addon: String
    public var dependsOn: [String]
    public var digest: String
    /// Nothing to apply or wait for: recorded at once.
    public var settled: Bool
    /// The add-on left the cluster: its objects are pruned, its record removed.
    public var removed: Bool
    /// Partition steps (1 when the add-on has none or its workloads cannot be partitioned).
    public var steps: Int
    public var stepBakeSeconds: Double?
    public var healthTimeoutSeconds: Double
    public var phase: Phase = .waiting
    /// Increases with every apply, so that an answer about an earlier one is ignored.
    public var attempt = 0
    public var retries = 0
    /// A request to the cluster (apply, partition, status read) is out.
    public var inFlight = false
    public var nextPoll: Date?
    /// The last status seen, for people.
    public var progress: String?

    public init(addon: String, dependsOn: [String], digest: String, settled: Bool, removed: Bool, steps: Int,
                stepBakeSeconds: Double?, healthTimeoutSeconds: Double) {
        self.addon = addon
        self.dependsOn = dependsOn
        self.digest = digest
        self.settled = settled
        self.removed = removed
        self.steps = max(1, steps)
        self.stepBakeSeconds = stepBakeSeconds
        self.healthTimeoutSeconds = healthTimeoutSeconds
    }

    public var isFinished: Bool {
        switch phase {
        case .recorded, .failed: return true
        default: return false
        }
    }
}

/// A check of the current batch: pre-checks run once per cluster (or once for the batch,
/// for `timeWindow` and `freeze`), post-checks once per finished cluster.
public struct CheckProgress: Codable, Equatable, Sendable {
    public enum Status: Codable, Equatable, Sendable { case pending, running, waiting, passed, failed }
    public var id: CheckID
    public var status: Status
    public var detail: String?
    public var retryAt: Date?
    /// Waiting for an operator (a freeze), not for time.
    public var held = false

    public init(id: CheckID, status: Status = .pending) {
        self.id = id
        self.status = status
    }
}

public struct CheckID: Codable, Hashable, Sendable {
    public enum Phase: String, Codable, Sendable { case pre, post }
    public var name: String
    public var phase: Phase
    /// Nil: the check is about the batch (a window, a freeze).
    public var cluster: String?

    public init(name: String, phase: Phase, cluster: String?) {
        self.name = name
        self.phase = phase
        self.cluster = cluster
    }
}

public struct SkippedCluster: Codable, Equatable, Sendable {
    public var name: String
    public var since: Date
    public var reason: String
}
