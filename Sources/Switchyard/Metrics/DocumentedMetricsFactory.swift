import CoreMetrics
import Prometheus

/// swift-metrics' factory over a swift-prometheus registry, for the counters and gauges of
/// `MetricFamily` only: each gets its `# HELP` line.
///
/// swift-prometheus' own `PrometheusMetricsFactory` registers every metric without help text,
/// and its registry stops the process when one name is registered with two help texts; taking
/// both from the catalogue keeps the two ways in consistent. A label or a label set that is not
/// in the catalogue is a programming error and stops here, before it could reach a scrape.
struct DocumentedMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry

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

    /// A gauge. The catalogue's histograms are not made here: the loops count their observations
    /// by bucket and `HistogramFamily` keeps and writes them, so a swift-metrics histogram of one
    /// of their names would be a second family of the same name on `/metrics`.
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        precondition(!aggregate, "\(label): the gateway's histograms are HistogramFamily's, not swift-metrics recorders")
        return registry.makeGauge(descriptor: descriptor(label, dimensions), labels: dimensions)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label, dimensions), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        preconditionFailure("\(label): the gateway's histograms are HistogramFamily's, not swift-metrics timers")
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {}
}
