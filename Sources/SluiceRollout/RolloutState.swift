import Foundation
import SluiceModel
import SluiceYAML
import SluiceCore
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

    /// The batch waits only for clusters that cannot be reached (under `unreachable: wait`):
    /// nothing else is running or due, and only they can let it move.
    public var isOnlyWaitingForUnreachable: Bool {
        phase == .running && planning.isEmpty && !hasWorkInFlight && !isHeld
            && clusters.contains { if case .unreachable = $0.phase { return true }; return false }
            && clusters.allSatisfy { cluster in
                if case .unreachable = cluster.phase { return true }
                return cluster.isFinished
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

public enum RolloutStateError: Error, CustomStringConvertible, Sendable {
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
