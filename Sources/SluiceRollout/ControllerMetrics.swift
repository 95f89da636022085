import CoreMetrics
import Foundation
import SluiceCore

/// What the controller counts and measures, through swift-metrics (Prometheus text at the
/// server's `/metrics` when `--listen`; nothing otherwise). Names follow controller-runtime's
/// and Argo CD's where one exists (README). Labels are bounded: environment, outcome or
/// result, action, check name (the pipeline's) — never a commit, a cluster or an object.
public struct ControllerMetrics: Sendable {
    let factory: any MetricsFactory

    /// Through `factory` (tests hand in their own registry); by default the process's
    /// bootstrapped one.
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    /// Buckets in seconds that reach minutes: a check or a health wait can take that long.
    public static let durationBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1_800]

    /// One history event, counted by what it says happened.
    func record(_ event: HistoryEvent) {
        guard let outcome = event.outcome else { return }
        let environment = event.environment
        switch outcome {
        case .pairFailed, .transientError, .healthNoProgress, .healthDeadline:
            // Applies that worked are counted from the records written (`recorded`): their
            // history events are the store's.
            let result = outcome == .transientError ? "retried" : "failed"
            counter("sluice_applies_total", [("environment", environment), ("result", result)]).increment()
        case .checkPassed, .checkFailed, .checkWaits, .checkHolds:
            let result = switch outcome {
            case .checkPassed: "passed"
            case .checkFailed: "failed"
            case .checkWaits: "waits"
            default: "holds"
            }
            counter("sluice_check_results_total", [("environment", environment), ("check", Self.checkName(event.detail)), ("result", result)]).increment()
        case .rejected:
            counter("sluice_rejected_commits_total", [("environment", environment)]).increment()
        case .halted:
            counter("sluice_halts_total", [("environment", environment)]).increment()
        case .driftFound, .driftCorrected:
            counter("sluice_drift_total", [("environment", environment), ("result", outcome == .driftFound ? "found" : "corrected")]).increment()
        default:
            break
        }
    }

    /// Pairs recorded (applied and healthy) and removed in one step.
    func recorded(environment: String, applied: Int, removed: Int) {
        if applied > 0 { counter("sluice_applies_total", [("environment", environment), ("result", "applied")]).increment(by: Int64(applied)) }
        if removed > 0 { counter("sluice_applies_total", [("environment", environment), ("result", "removed")]).increment(by: Int64(removed)) }
    }

    /// A check event's detail starts with `check NAME (pre|post)`: the name is the pipeline's,
    /// bounded by the fleet repo.
    static func checkName(_ detail: String) -> String {
        let words = detail.split(separator: " ", maxSplits: 2)
        guard words.count >= 2, words[0] == "check" else { return "unknown" }
        return String(words[1].prefix(63))
    }

    /// The rollout state just written: gauges of where it is.
    func observe(_ state: RolloutState) {
        let environment = state.environment
        for phase in RolloutPhase.allCases {
            gauge("sluice_rollout_info", [("environment", environment), ("phase", phase.rawValue)]).record(phase == state.phase ? 1 : 0)
        }
        // Counted in place: no array of pairs is made (this runs for every batch of hundreds).
        var done = state.clustersDone, waiting = 0, unreachable = 0
        for cluster in state.clusters {
            if cluster.phase == .done { done += 1 }
            if case .unreachable = cluster.phase { unreachable += 1 }
            for pair in cluster.pairs {
                switch pair.phase {
                case .recorded, .failed: break
                default: waiting += 1
                }
            }
        }
        gauge("sluice_rollout_clusters_done", [("environment", environment)]).record(done)
        gauge("sluice_rollout_clusters_total", [("environment", environment)]).record(state.clustersTotal)
        gauge("sluice_pairs_waiting", [("environment", environment)]).record(waiting)
        gauge("sluice_unreachable_clusters", [("environment", environment)]).record(unreachable)
    }

    /// How long an action (plan, apply, partition, status, check, rollback plan) took.
    func actionTook(_ action: String, environment: String, _ duration: Duration) {
        timer("sluice_action_duration_seconds", [("environment", environment), ("action", action)]).recordNanoseconds(duration.nanoseconds)
    }

    func storeTransactionTook(_ duration: Duration) {
        timer("sluice_store_transaction_duration_seconds", []).recordNanoseconds(duration.nanoseconds)
    }

    func gitRead(_ duration: Duration, failed: Bool) {
        timer("sluice_git_fetch_duration_seconds", []).recordNanoseconds(duration.nanoseconds)
        if failed { counter("sluice_git_fetch_errors_total", []).increment() }
    }

    /// Whether this process holds the environment's writer lease (it runs the environment).
    func leader(_ environment: String, _ holds: Bool) {
        gauge("sluice_leader", [("environment", environment)]).record(holds ? 1 : 0)
    }

    /// How many replicas share the store, as this one last heard.
    func replicas(_ count: Int) {
        gauge("sluice_replicas", []).record(count)
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        Counter(label: label, dimensions: dimensions, factory: factory)
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)]) -> Gauge {
        Gauge(label: label, dimensions: dimensions, factory: factory)
    }

    private func timer(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: label, dimensions: dimensions, factory: factory)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
