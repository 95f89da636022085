import Foundation
import SluiceCore

/// When a step of a pair stops waiting for its pods, judged as Kubernetes judges a Deployment
/// (`progressDeadlineSeconds`): by progress, not by total time. A DaemonSet on 60 nodes that
/// replaces one pod every 10 s takes 10 minutes and is healthy all along; one whose pods never
/// get ready fails `health.timeout` after the last pod that did. `health.deadline`, when set,
/// bounds the whole step however it progresses.
public struct HealthDeadline: Sendable, Equatable {
    /// `health.timeout`
    public var progressSeconds: Double
    /// When the step fails unless a pod gets ready first.
    public var progressDeadline: Date
    /// When the step fails in any case (`health.deadline`).
    public var stepDeadline: Date?
    public var stepSeconds: Double?
    /// The most pods seen updated and ready in this step.
    public var mostReady: Int

    public init(progressSeconds: Double, progressDeadline: Date, stepDeadline: Date?, stepSeconds: Double?, mostReady: Int) {
        self.progressSeconds = progressSeconds
        self.progressDeadline = progressDeadline
        self.stepDeadline = stepDeadline
        self.stepSeconds = stepSeconds
        self.mostReady = mostReady
    }

    init(_ pair: PairProgress, deadline: Date) {
        self.init(progressSeconds: pair.healthTimeoutSeconds, progressDeadline: deadline, stepDeadline: pair.stepDeadline,
                  stepSeconds: pair.healthDeadlineSeconds, mostReady: pair.mostReady)
    }

    /// A fresh step's clocks.
    public static func starting(at now: Date, progressSeconds: Double, stepSeconds: Double?) -> HealthDeadline {
        HealthDeadline(progressSeconds: progressSeconds, progressDeadline: now.addingTimeInterval(progressSeconds),
                       stepDeadline: stepSeconds.map(now.addingTimeInterval), stepSeconds: stepSeconds, mostReady: 0)
    }

    public enum Verdict: Sendable, Equatable {
        /// More pods are ready than ever in this step: the progress deadline moves to `deadline`.
        case progressed(deadline: Date)
        /// No new pod; look again by `until` at the latest.
        case waiting(until: Date)
        case expired(Expiry)
    }

    public enum Expiry: Sendable, Equatable, CustomStringConvertible {
        case noProgress(seconds: Double)
        case deadline(seconds: Double)

        public var outcome: HistoryOutcome {
            switch self {
            case .noProgress: return .healthNoProgress
            case .deadline: return .healthDeadline
            }
        }

        public var description: String {
            switch self {
            case .noProgress(let seconds): return "no pod became updated and ready for \(Int(seconds))s (health.timeout)"
            case .deadline(let seconds): return "not healthy after \(Int(seconds))s in all (health.deadline)"
            }
        }
    }

    /// The step is not complete; `pods` is what the status shows now.
    public func judge(_ pods: PodCount, now: Date) -> Verdict {
        if let stepDeadline, now >= stepDeadline { return .expired(.deadline(seconds: stepSeconds ?? 0)) }
        if pods.ready > mostReady {
            return .progressed(deadline: now.addingTimeInterval(progressSeconds))
        }
        if now >= progressDeadline { return .expired(.noProgress(seconds: progressSeconds)) }
        return .waiting(until: min(progressDeadline, stepDeadline ?? progressDeadline))
    }

    /// What `judge` decided, applied: the clocks after a look at `pods`.
    public mutating func observe(_ pods: PodCount, now: Date) -> Verdict {
        let verdict = judge(pods, now: now)
        if case .progressed(let deadline) = verdict {
            progressDeadline = deadline
            mostReady = pods.ready
        }
        return verdict
    }
}
