import Foundation
import SluiceCore

/// What happened in a rollout, as the machine says it: a typed value. The runner writes each
/// as a history event, with the text for people made from it (`RolloutNote+Text.swift`).
public enum RolloutNote: Sendable, Equatable {
    /// Who gave an operator command, and why.
    public struct Operator: Sendable, Equatable {
        public var user: String
        public var reason: String
    }

    case rolloutStarted(clusters: Int, stages: Int)
    case batchStarted(stage: String, batch: Int, batches: Int, clusters: [String])
    case batchNothingToApply(stage: String, batch: Int)
    case approvalWaits(stage: String)
    case clusterApplying(addons: Int)
    case clusterReachableAgain
    case clusterDone
    case clusterFailed(failures: Int, allowed: Int, stage: String, reason: String)
    case unreachableSkipped(reason: String)
    case unreachableWaits(reason: String)
    case transientError(retry: Int, of: Int, delaySeconds: Int, reason: String)
    case pairFailed(reason: String)
    case healthExpired(HealthDeadline.Expiry, detail: String)
    case partitionStep(step: Int, of: Int)
    case checkPassed(CheckID, detail: String)
    case checkFailed(CheckID, detail: String)
    case checkWaits(CheckID, detail: String)
    case checkHolds(CheckID, detail: String)
    case stageDone(stage: String)
    case rolloutDone(clusters: Int)
    case rolledBack(to: String)
    case rollbackFailed(to: String, reason: String)
    case halted(reason: HaltReason)
    case paused(batch: Int, stage: String, reason: PauseReason)
    /// A newer head came: running applies finish first.
    case supersedeAsked(by: String)
    case superseded(by: String)
    case pauseAsked(Operator)
    case resumed(Operator)
    case resumedAfterHalt(Operator)
    case nothingToResume(Operator)
    case approvalForAnotherCommit(Operator, commit: String)
    case approvalForAnotherStage(Operator, stage: String)
    case stageApproved(stage: String, Operator)
    case stageApprovedAhead(stage: String, Operator)
    case nothingToApprove(Operator)

    public var kind: HistoryEvent.Kind {
        switch self {
        case .transientError, .pairFailed, .healthExpired: return .apply
        case .checkPassed, .checkFailed, .checkWaits, .checkHolds: return .check
        case .pauseAsked, .resumed, .resumedAfterHalt, .nothingToResume, .approvalForAnotherCommit, .approvalForAnotherStage,
             .stageApproved, .stageApprovedAhead, .nothingToApprove: return .operatorAction
        default: return .rollout
        }
    }

    public var outcome: HistoryOutcome {
        switch self {
        case .rolloutStarted: return .rolloutStarted
        case .batchStarted: return .batchStarted
        case .batchNothingToApply: return .batchNothingToApply
        case .approvalWaits: return .approvalWaits
        case .clusterApplying: return .clusterApplying
        case .clusterReachableAgain: return .clusterReachableAgain
        case .clusterDone: return .clusterDone
        case .clusterFailed: return .clusterFailed
        case .unreachableSkipped: return .unreachableSkipped
        case .unreachableWaits: return .unreachableWaits
        case .transientError: return .transientError
        case .pairFailed: return .pairFailed
        case .healthExpired(let expiry, _): return expiry.outcome
        case .partitionStep: return .partitionStep
        case .checkPassed: return .checkPassed
        case .checkFailed: return .checkFailed
        case .checkWaits: return .checkWaits
        case .checkHolds: return .checkHolds
        case .stageDone: return .stageDone
        case .rolloutDone: return .rolloutDone
        case .rolledBack: return .rolledBack
        case .rollbackFailed: return .rollbackFailed
        case .halted: return .halted
        case .paused: return .paused
        case .supersedeAsked, .superseded: return .superseded
        case .pauseAsked, .resumed, .resumedAfterHalt, .stageApproved, .stageApprovedAhead: return .operatorCommand
        case .nothingToResume, .approvalForAnotherCommit, .approvalForAnotherStage, .nothingToApprove: return .operatorCommandIgnored
        }
    }
}

/// A note with where and when it happened, in the rollout of which commit.
public struct RolloutNoted: Sendable, Equatable {
    public var at: Date
    public var commit: String
    public var cluster: String?
    public var addon: String?
    public var note: RolloutNote

    public var outcome: HistoryOutcome { note.outcome }
}
