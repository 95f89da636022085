import Foundation
import SluiceModel
import SluiceYAML
import SluiceCore

/// Where the rollout of one commit through one environment is: a value, saved as JSON in the
/// store after every step (its codec: `RolloutState+Record.swift`) and changed only by `RolloutMachine`.
/// Only the current batch's clusters are kept in detail; finished batches are counts.
public struct RolloutState: Equatable, Sendable {
    /// The encoding version of this type. Bump it when a change would misread older states,
    /// and teach the decoder to read the old one; a newer one is refused. 2: `position`
    /// replaced `phase`, `step`, `halting`, `haltReason`, `pauseReason` and `supersededBy`.
    public static let format = 3

    /// What the current batch is doing while the rollout moves.
    public enum Step: Codable, Equatable, Sendable {
        /// The batch's clusters are being planned.
        case planning
        case preChecks
        case applying
        case postChecks
        case baking(until: Date)
        /// The failed batch is re-applied at the last-applied commit (`onFailure: rollback`).
        case rollingBack
        /// Every stage is done; clusters skipped as unreachable are retried until they are back.
        case catchingUp
    }

    /// Where the rollout stands, as one value: no two facts about it can disagree (a halted
    /// rollout still applying, a halt reason without a halt, a finished one with a step).
    public enum Position: Codable, Equatable, Sendable {
        case running(Step)
        /// Failures beyond the stage's budget: nothing new starts; once nothing is in flight
        /// the batch rolls back (when its stage says so) and the rollout halts.
        case halting(Step, reason: HaltReason)
        /// A newer head: running applies finish, nothing new starts, then this one is superseded.
        /// `halt`: why it was halting or halted when the head came (a revert of it may be
        /// fast-tracked).
        case superseding(Step, by: String, halt: HaltReason?)
        /// The first batch of a stage waits for `sluice approve`.
        case awaitingApproval
        /// Paused by an operator at a batch boundary; `step` is where it goes on.
        case paused(Step, reason: PauseReason)
        /// Halted after failures; `step` is where `sluice resume` goes on.
        case halted(Step, reason: HaltReason)
        case done
        case superseded(by: String, halt: HaltReason?)
        case rejected
    }

    public var id: String
    public var environment: String
    public var commit: String
    /// The commit the environment had converged on before (what a rollback re-applies).
    public var baseCommit: String?
    public var blueprint: RolloutBlueprint
    public var position: Position
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
    /// Set by `sluice pause` (a request, whatever the position); takes effect at the next
    /// batch boundary.
    public var pauseRequested: PauseReason?
    public var approvedStages: [Int] = []
    /// Clusters a `skip` stage went on without; each gets the commit when it is back.
    public var skipped: [SkippedCluster] = []
    public var clustersDone = 0
    public var startedAt: Date
    public var updatedAt: Date
    /// When the machine next needs to be woken (bake ends, a poll, a window opens).
    public var wakeAt: Date?
    /// Why a rejected head was rejected (every error), for `status`.
    public var rejection: [String] = []

    public init(id: String, environment: String, commit: String, baseCommit: String?, blueprint: RolloutBlueprint, now: Date) {
        self.id = id
        self.environment = environment
        self.commit = commit
        self.baseCommit = baseCommit
        self.blueprint = blueprint
        self.position = .running(.planning)
        self.startedAt = now
        self.updatedAt = now
    }

    // MARK: - The position, as readers see it

    /// The phase the store keeps in its own column (and `status` shows).
    public var phase: RolloutPhase {
        switch position {
        case .running, .halting, .superseding: return .running
        case .awaitingApproval: return .awaitingApproval
        case .paused: return .paused
        case .halted: return .halted
        case .done: return .done
        case .superseded: return .superseded
        case .rejected: return .rejected
        }
    }

    /// The current batch's step; nil when the rollout waits for an approval or is over.
    public var step: Step? {
        switch position {
        case .running(let step), .halting(let step, _), .superseding(let step, _, _), .paused(let step, _), .halted(let step, _): return step
        case .awaitingApproval, .done, .superseded, .rejected: return nil
        }
    }

    /// Why it halts or halted (before it was superseded, too).
    public var halt: HaltReason? {
        switch position {
        case .halting(_, let reason), .halted(_, let reason): return reason
        case .superseding(_, _, let halt), .superseded(_, let halt): return halt
        default: return nil
        }
    }

    /// That reason, for people.
    public var haltReason: String? { halt?.description }

    public var isHalting: Bool { if case .halting = position { return true }; return false }

    /// The newer head it gives way to.
    public var supersededBy: String? {
        switch position {
        case .superseding(_, let commit, _), .superseded(let commit, _): return commit
        default: return nil
        }
    }

    public var pauseReason: String? { if case .paused(_, let reason) = position { return reason.description }; return nil }

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
