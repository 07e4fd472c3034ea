import CoreMetrics
import Prometheus
import SwitchyardDevices
import SwitchyardHTTP
import Synchronization

/// The metrics of one gateway process: the loops' events recorded through swift-metrics into a
/// swift-prometheus registry (counters and gauges) and into `HistogramFamily`s (durations), and
/// the exposition `/metrics` answers with (API.md §6).
///
/// The loops never touch the registry, whose series each take a lock: they tally events by series
/// in their own `LoopMetrics`, and the tallies reach this type (`deliver`), which a collection
/// records off the loops, finding each series' handle once per tally rather than once per event.
/// The running totals that other parts keep as atomics (the listener's, the upstream clients') are
/// read when a scrape renders (`Reading`).
///
/// `Sendable`: the registry is, the rest is under its mutex.
public final class GatewayMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let factory: DocumentedMetricsFactory
    /// Tallies from the loops, not recorded yet.
    private let inbox = Mutex<[MetricTally]>([])
    /// The series made so far, and what `Reading` saw last time.
    private let series = Mutex<Series>(Series())

    public init() {
        factory = DocumentedMetricsFactory(registry: registry)
        // At 0 from the start, so that a rate over it begins with the process.
        series.withLock { $0.counter(SeriesKey(.storeFailures), .storeFailures, factory).increment(by: 0) }
        CoreMetrics.Gauge(label: MetricFamily.buildInfo.name,
                          dimensions: [("version", SwitchyardVersion.number), ("commit", SwitchyardVersion.commit ?? "")],
                          factory: factory).record(1)
    }

    /// A loop's tally, from the loop itself (it is full) or from a collection.
    func deliver(_ tally: MetricTally) {
        guard !tally.isEmpty else { return }
        inbox.withLock { $0.append(tally) }
    }

    /// Records every delivered tally. Off the loops: a collection's thread or a scrape's.
    func recordDelivered() {
        let tallies = inbox.withLock { inbox in
            defer { inbox.removeAll(keepingCapacity: true) }
            return inbox
        }
        guard !tallies.isEmpty else { return }
        series.withLock { series in
            for tally in tallies { series.record(tally, factory: factory) }
        }
    }

    /// The Prometheus text exposition (format 0.0.4) of everything recorded, after `read` has set
    /// the totals and gauges that are read rather than recorded.
    public func exposition(reading read: (inout Reading) -> Void) -> [UInt8] {
        recordDelivered()
        return series.withLock { series in
            var reading = Reading(series: series, factory: factory)
            read(&reading)
            series = reading.series
            var text = registry.emitToBuffer()
            series.writeHistograms(into: &text)
            return text
        }
    }

    /// Totals and levels read at a scrape from the parts that keep them.
    public struct Reading {
        fileprivate var series: Series
        fileprivate let factory: DocumentedMetricsFactory

        /// A running total (a counter that only grows): the registry's counter grows by the
        /// difference since the last scrape. It is shown from the first scrape on, at 0 if need be,
        /// so that a rate over it starts when the process does.
        public mutating func total(_ family: MetricFamily, _ labels: [String] = [], _ value: Int) {
            let key = SeriesKey(family, labels: labels)
            let last = series.totals[key] ?? 0
            series.totals[key] = value
            let counter = series.counter(key, family, factory)
            if value > last { counter.increment(by: Int64(value - last)) }
        }

        /// A level (a gauge).
        public mutating func level(_ family: MetricFamily, _ labels: [String] = [], _ value: Int) {
            let key = SeriesKey(family, labels: labels)
            if series.gauges[key] == nil {
                series.gauges[key] = CoreMetrics.Gauge(label: family.name, dimensions: Array(zip(family.labels, labels)),
                                                       factory: factory)
            }
            series.gauges[key]?.record(Int64(value))
        }
    }
}

private struct Series {
    var server = HistogramFamily<ServerSeries>(.serverRequestDuration)
    var client = HistogramFamily<ClientSeries>(.clientRequestDuration)
    var quotaWait = HistogramFamily<SeriesKey>(.quotaWait)
    var counters: [SeriesKey: CoreMetrics.Counter] = [:]
    var gauges: [SeriesKey: CoreMetrics.Gauge] = [:]
    /// The last value `Reading.total` saw, per series.
    var totals: [SeriesKey: Int] = [:]

    /// One loop's tally: each series found once, its counts added.
    mutating func record(_ tally: MetricTally, factory: DocumentedMetricsFactory) {
        for (key, counts) in tally.server {
            server.add(counts, to: key, labels: key.labels)
        }
        for (key, calls) in tally.client {
            client.add(calls.durations, to: key, labels: key.labels)
            let tenant = key.tenant
            if calls.reused > 0 {
                counter(SeriesKey(.upstreamConnectionsReused, tenant), .upstreamConnectionsReused, factory).increment(by: Int64(calls.reused))
            }
            if calls.durations.count > calls.reused {
                counter(SeriesKey(.upstreamConnectionsOpened, tenant), .upstreamConnectionsOpened, factory)
                    .increment(by: Int64(calls.durations.count - calls.reused))
            }
        }
        for (key, count) in tally.decisions {
            counter(SeriesKey(.rateLimitDecisions, labels: key.labels), .rateLimitDecisions, factory).increment(by: Int64(count))
        }
        for (key, counts) in tally.waits {
            quotaWait.add(counts, to: key, labels: Array(zip(MetricFamily.quotaWait.labels, key.labels(of: .quotaWait))))
        }
        for (key, count) in tally.counts {
            guard let family = MetricFamily.byName[key.family] else { preconditionFailure("a tally counts \(key.family), which is not in the catalogue") }
            counter(key, family, factory).increment(by: Int64(count))
        }
    }

    /// The histograms' exposition, after the registry's.
    func writeHistograms(into text: inout [UInt8]) {
        server.write(into: &text)
        client.write(into: &text)
        quotaWait.write(into: &text)
    }

    mutating func counter(_ key: SeriesKey, _ family: MetricFamily, _ factory: DocumentedMetricsFactory) -> CoreMetrics.Counter {
        if let counter = counters[key] { return counter }
        let counter = CoreMetrics.Counter(label: family.name, dimensions: Array(zip(family.labels, key.labels(of: family))),
                                          factory: factory)
        counters[key] = counter
        return counter
    }
}
