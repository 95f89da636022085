/// What a history event says happened, typed: tests, alerts and the log level read this, never
/// the wording of `detail`. Stored as its raw value; an event written before outcomes existed
/// reads as nil.
public enum HistoryOutcome: String, Sendable, CaseIterable {
    case rolloutStarted, batchStarted, batchNothingToApply, stageDone, rolloutDone, superseded
    case approvalWaits, paused
    case clusterApplying, clusterDone, clusterFailed, clusterReachableAgain
    case unreachableWaits, unreachableSkipped
    case partitionStep
    /// An add-on's objects were applied and found healthy, and the commit recorded.
    case applied
    /// An add-on left the cluster: its objects were pruned and its record removed.
    case removed
    case transientError
    /// An add-on failed on a cluster: an apply refused, or (below) a health clock ran out.
    case pairFailed
    /// No pod became updated and ready for `health.timeout`.
    case healthNoProgress
    /// A step took longer than `health.deadline`.
    case healthDeadline
    case checkPassed, checkFailed, checkWaits, checkHolds
    case rolledBack, rollbackFailed
    /// A head undid a halted rollout's change: its clusters get it without waiting.
    case revertFastTracked
    case halted
    case rejected
    case operatorCommand, operatorCommandIgnored
    case driftFound, driftCorrected, driftResyncFailed
    /// The state store cannot be trusted; the environment stops acting.
    case storeDamaged
    /// A notification was delivered to a target, or given up on after its retries.
    case notificationSent, notificationFailed

    /// How loud the event is in the log: failures warn, halts, rejections and a damaged store are errors.
    public var severity: Severity {
        switch self {
        case .halted, .rejected, .rollbackFailed, .storeDamaged: return .error
        case .clusterFailed, .pairFailed, .healthNoProgress, .healthDeadline, .checkFailed, .transientError,
             .unreachableWaits, .unreachableSkipped, .driftFound, .driftResyncFailed, .operatorCommandIgnored, .notificationFailed:
            return .warning
        default: return .info
        }
    }

    public enum Severity: String, Sendable, Comparable {
        case info, warning, error

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            let order: [Severity] = [.info, .warning, .error]
            return order.firstIndex(of: lhs)! < order.firstIndex(of: rhs)!
        }
    }
}
