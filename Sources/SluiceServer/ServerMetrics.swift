import CoreMetrics
import Prometheus
import SluiceRollout

/// The Prometheus registry behind `/metrics`, and the swift-metrics factory that fills it:
/// durations in buckets that reach half an hour (swift-prometheus's stop at 10 s; a check
/// or a health wait takes minutes), and `sluice_build_info{version}` set to 1.
public enum ServerMetrics {
    public static func make(version: String) -> (registry: PrometheusCollectorRegistry, factory: PrometheusMetricsFactory) {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = ControllerMetrics.durationBuckets.map { .nanoseconds(Int64($0 * 1e9)) }
        Gauge(label: "sluice_build_info", dimensions: [("version", version)], factory: factory).record(1)
        return (registry, factory)
    }
}
