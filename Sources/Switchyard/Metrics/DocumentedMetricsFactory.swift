import CoreMetrics
import Prometheus

/// swift-metrics' factory over a swift-prometheus registry, for the metrics of `MetricFamily`
/// only: each gets its `# HELP` line and API.md §6's buckets.
///
/// swift-prometheus' own `PrometheusMetricsFactory` registers every metric without help text,
/// and its registry stops the process when one name is registered with two help texts; taking
/// both from the catalogue keeps the two ways in consistent. A label or a label set that is not
/// in the catalogue is a programming error and stops here, before it could reach a scrape.
struct DocumentedMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry

    private static let buckets = MetricFamily.durationBuckets.map { Duration.nanoseconds(Int64(($0 * 1e9).rounded())) }

    private func descriptor(_ label: String, _ dimensions: [(String, String)]) -> MetricNameDescriptor {
        guard let family = MetricFamily.byName[label] else { preconditionFailure("\(label) is not in MetricFamily's catalogue") }
        precondition(dimensions.map(\.0) == family.labels, "\(label) takes the labels \(family.labels)")
        return MetricNameDescriptor(metricName: family.name, unitName: "", helpText: family.help)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label, dimensions), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label, dimensions), labels: dimensions)
    }

    /// A gauge, or with `aggregate` a histogram of seconds in API.md's buckets: the gateway records
    /// its durations this way, as `Double`s, because a swift-prometheus histogram of `Duration`s
    /// compares 128-bit values in every bucket on every observation (about twice the instructions,
    /// callgrind).
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label, dimensions), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: descriptor(label, dimensions), labels: dimensions,
                                           buckets: MetricFamily.durationBuckets)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label, dimensions), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: descriptor(label, dimensions), labels: dimensions, buckets: Self.buckets)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
