import Foundation
import SluiceCore

/// What `RolloutMachine` asks its runner to do. The runner performs it and feeds the answer
/// back as an event; the machine itself does no I/O.
public enum RolloutAction: Sendable, Equatable, Hashable {
    /// Plan these clusters at the rollout's commit (`RolloutMachine.planned`).
    case plan(clusters: [String])
    /// Apply the pair's planned steps; a pair with partition steps is applied with every pod
    /// held at the old revision (`applied`).
    case apply(cluster: String, addon: String, attempt: Int)
    /// Lower the partitions of the pair's workloads to let step `step` through (`partitionSet`).
    case setPartition(cluster: String, addon: String, attempt: Int, step: Int)
    /// Read the pair's workloads: is step `step` complete (the last step: fully healthy)?
    /// (`statusObserved`)
    case readStatus(cluster: String, addon: String, attempt: Int, step: Int)
    case runCheck(CheckID)
    /// Plan the cluster at the rollout's base commit, the one the environment converged on
    /// before (`rollbackPlanned`). Its pairs are then applied and waited for like any other
    /// (`apply`, `readStatus`), recorded at the base.
    case planRollback(cluster: String)
    /// A step of the pair's chart hooks (`hookAnswered`).
    case hook(cluster: String, addon: String, attempt: Int, HookRun.Action)

    /// The action's kind, a metric's label.
    public var name: String {
        switch self {
        case .plan: return "plan"
        case .apply: return "apply"
        case .setPartition: return "setPartition"
        case .readStatus: return "readStatus"
        case .runCheck: return "check"
        case .planRollback: return "planRollback"
        case .hook: return "hook"
        }
    }
}

/// What a plan found for one cluster of a batch.
public enum ClusterPlanOutcome: Sendable, Equatable {
    case planned([PairPlan])
    /// The cluster could not be read (`unreachable`: it waits or is skipped), or it cannot be
    /// applied (refused, a blocked field, an object another add-on owns: it fails).
    case failed(ActionFailure)
}

/// One add-on of a planned cluster, as the machine needs it.
public struct PairPlan: Sendable, Equatable {
    public var addon: String
    /// Its dependencies among the cluster's add-ons.
    public var dependsOn: [String]
    public var digest: String
    public var settled: Bool
    public var removed: Bool
    public var steps: Int
    public var stepBakeSeconds: Double?
    /// `health.timeout`: the longest a step may go without a pod becoming updated and ready.
    public var healthTimeoutSeconds: Double
    /// `health.deadline`: the longest a step may take in all; nil for no limit.
    public var healthDeadlineSeconds: Double?
    /// A chart add-on's hooks before its objects are applied and after they are healthy.
    public var preHooks = 0
    public var postHooks = 0
    /// The revision its record gets (`PlannedPair.revision`).
    public var revision = 1

    public init(addon: String, dependsOn: [String] = [], digest: String, settled: Bool = false, removed: Bool = false,
                steps: Int = 1, stepBakeSeconds: Double? = nil, healthTimeoutSeconds: Double = 300, healthDeadlineSeconds: Double? = nil,
                preHooks: Int = 0, postHooks: Int = 0, revision: Int = 1) {
        self.revision = revision
        self.preHooks = preHooks
        self.postHooks = postHooks
        self.addon = addon
        self.dependsOn = dependsOn
        self.digest = digest
        self.settled = settled
        self.removed = removed
        self.steps = steps
        self.stepBakeSeconds = stepBakeSeconds
        self.healthTimeoutSeconds = healthTimeoutSeconds
        self.healthDeadlineSeconds = healthDeadlineSeconds
    }
}

/// The answer to `apply` and `setPartition`.
public enum StepResult: Sendable, Equatable {
    case ok
    /// A transient failure is retried (the cluster may come back); otherwise the pair fails at once.
    case failed(ActionFailure)
}

/// The answer to `readStatus`. `complete` is about the generation this apply produced
/// (observedGeneration caught up) and the pods the step allows, never an older status.
/// `pods` counts the pair's workloads' pods on the new template that are ready, of those
/// the step waits for: the progress a health timeout is measured against.
public enum StatusObservation: Sendable, Equatable {
    case progress(complete: Bool, detail: String, pods: PodCount = PodCount())
    case failed(ActionFailure)
}

/// Pods of a pair's workloads: updated and ready, of those wanted.
public struct PodCount: Codable, Sendable, Equatable {
    public var ready: Int
    public var desired: Int

    public init(ready: Int = 0, desired: Int = 0) {
        self.ready = ready
        self.desired = desired
    }
}

/// The answer to `runCheck`.
public enum CheckOutcome: Sendable, Equatable {
    case passed(String)
    case failed(String)
    /// Not now, and not a failure (a closed window): asked again at `until`, or after the
    /// poll interval when nil.
    case wait(until: Date?, String)
    /// A freeze: not a failure either, but only an operator (or a policy change) lifts it.
    case hold(String)
}

/// What one event changed besides the state: the actions to perform, and what to write in
/// the same transaction as the state (records, removals, pending marks, what happened).
public struct RolloutOutput: Sendable, Equatable {
    public var actions: [RolloutAction] = []
    public var records: [AppliedRecord] = []
    public var removals: [AppliedRemoval] = []
    public var pending: [PendingApply] = []
    /// What happened, typed (the machine's).
    public var notes: [RolloutNoted] = []
    /// History the runner adds of its own (a rejection, a command with no rollout).
    public var history: [HistoryEvent] = []
    /// The operator commands acted on (their ids).
    public var consumedCommands: [OperatorCommand.ID] = []

    public init() {}

    /// Nothing to write (actions aside).
    public var isEmpty: Bool {
        records.isEmpty && removals.isEmpty && pending.isEmpty && notes.isEmpty && history.isEmpty && consumedCommands.isEmpty
    }

    public mutating func merge(_ other: RolloutOutput) {
        actions += other.actions
        records += other.records
        removals += other.removals
        pending += other.pending
        notes += other.notes
        history += other.history
        consumedCommands += other.consumedCommands
    }
}
