import CoreMetrics
import Synchronization

/// Every store transaction's duration as the controller measures it
/// (`sluice_store_transaction_duration_seconds`), kept whole so that percentiles are exact
/// (Prometheus's buckets would round them); every other metric goes nowhere.
final class TransactionTimes: MetricsFactory, TimerHandler, Sendable {
    private let samples = Mutex<[Int64]>([])

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        label == "sluice_store_transaction_duration_seconds" ? self : NOOPMetricsHandler.instance
    }
    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { NOOPMetricsHandler.instance }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler { NOOPMetricsHandler.instance }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    func recordNanoseconds(_ duration: Int64) { samples.withLock { $0.append(duration) } }

    /// "n transactions, p50 x ms, p99 y ms, max z ms".
    var summary: String {
        let sorted = samples.withLock { $0 }.sorted()
        guard !sorted.isEmpty else { return "no store transactions" }
        func at(_ quantile: Double) -> Double { Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * quantile))]) / 1e6 }
        return String(format: "%d store transactions: p50 %.2f ms, p99 %.2f ms, max %.1f ms", sorted.count, at(0.5), at(0.99), at(1))
    }
}
