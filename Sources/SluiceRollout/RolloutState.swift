import Foundation
import SluiceModel
import SluiceYAML
import SluiceCore

/// Where the rollout of one commit through one environment is: a value, saved as JSON in the
/// store after every step (its codec: `RolloutState+Record.swift`) and changed only by `RolloutMachine`.
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
        for c in copy.clusters.indices where !copy.clusters[c].movesPairs {
            copy.clusters[c].pairs = []
            copy.clusters[c].settled = []
        }
        return copy
    }
}
