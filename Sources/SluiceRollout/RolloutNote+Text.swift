import Foundation
import SluiceCore

/// The history's text for people, made from a note where it is written (the runner), not in
/// the machine.
extension RolloutNote {
    /// `commit`: the rollout's commit.
    func text(commit: String) -> String {
        func short(_ commit: String) -> String { String(commit.prefix(12)) }
        func label(_ id: CheckID) -> String { "check \(id.name) (\(id.phase.rawValue))" }
        switch self {
        case .rolloutStarted(let clusters, let stages): return "rollout of \(short(commit)) started: \(clusters) clusters in \(stages) stages"
        case .batchStarted(let stage, let batch, let batches, let clusters):
            return "stage \(stage), batch \(batch) of \(batches): \(clusters.joined(separator: ", "))"
        case .batchNothingToApply(let stage, let batch): return "batch \(batch) of stage \(stage) has nothing to apply: recorded"
        case .approvalWaits(let stage): return "stage \(stage) waits for an approval"
        case .clusterApplying(let addons): return "applying \(addons) add-on\(addons == 1 ? "" : "s")"
        case .clusterReachableAgain: return "cluster is reachable again: it gets \(short(commit)) in this batch"
        case .clusterDone: return "cluster done at \(short(commit))"
        case .clusterFailed(let failures, let allowed, let stage, let reason):
            return "cluster failed (\(failures) of \(allowed) allowed in stage \(stage)): \(reason)"
        case .unreachableSkipped(let reason): return "unreachable, skipped: it gets the commit when it is back (\(reason))"
        case .unreachableWaits(let reason): return "unreachable, the batch waits for it: \(reason)"
        case .transientError(let retry, let of, let delay, let reason): return "transient error, retry \(retry) of \(of) in \(delay)s: \(reason)"
        case .pairFailed(let reason): return "failed: \(reason)"
        case .healthExpired(let expiry, let detail): return "failed: \(expiry.description): \(detail)"
        case .partitionStep(let step, let of): return "partition step \(step) of \(of) set"
        case .checkPassed(let id, let detail): return "\(label(id)) passed: \(detail)"
        case .checkFailed(let id, let detail): return "\(label(id)) failed: \(detail)"
        case .checkWaits(let id, let detail): return "\(label(id)) waits: \(detail)"
        case .checkHolds(let id, let detail): return "\(label(id)) holds the batch: \(detail)"
        case .stageDone(let stage): return "stage \(stage) done"
        case .rolloutDone(let clusters): return "rollout of \(short(commit)) done: \(clusters) clusters"
        case .rolledBack(let base): return "rolled back to \(short(base))"
        case .rollbackFailed(let base, let reason): return "rollback to \(short(base)) failed: \(reason)"
        case .halted(let reason): return "halted: \(reason)"
        case .paused(let batch, let stage, let reason): return "paused at the start of batch \(batch) of stage \(stage): \(reason)"
        case .supersedeAsked(let newer): return "superseded by \(short(newer)): running applies finish, then it starts from the first stage"
        case .superseded(let newer): return "superseded by \(short(newer))"
        case .pauseAsked(let who): return "pause asked \(who.text); takes effect at the next batch boundary"
        case .resumed(let who): return "resumed \(who.text)"
        case .resumedAfterHalt(let who): return "resumed after a halt \(who.text): failed clusters of the batch are tried again"
        case .nothingToResume(let who): return "resume \(who.text): nothing to resume"
        case .approvalForAnotherCommit(let who, let pinned): return "approve \(who.text) was for commit \(short(pinned)), not \(short(commit)): ignored"
        case .approvalForAnotherStage(let who, let stage): return "approve \(who.text) was for stage \(stage), which this rollout is past or does not have: ignored"
        case .stageApproved(let stage, let who): return "stage \(stage) approved \(who.text)"
        case .stageApprovedAhead(let stage, let who): return "stage \(stage) approved ahead \(who.text)"
        case .nothingToApprove(let who): return "approve \(who.text): no stage of this rollout waits for an approval"
        }
    }
}

extension RolloutNote.Operator {
    var text: String { "by \(user)\(reason.isEmpty ? "" : ": \(reason)")" }
}

extension RolloutNoted {
    /// The history event this note is, in `environment`.
    func event(environment: String) -> HistoryEvent {
        HistoryEvent(at: at, kind: note.kind, environment: environment, cluster: cluster, addon: addon, commit: commit,
                     detail: note.text(commit: commit), outcome: note.outcome)
    }
}
