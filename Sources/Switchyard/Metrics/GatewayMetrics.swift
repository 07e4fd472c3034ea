import CoreMetrics
import Prometheus
import SwitchyardDevices
import SwitchyardHTTP
import Synchronization

/// The metrics of one gateway process: the loops' events recorded through swift-metrics into a
/// swift-prometheus registry, and the exposition `/metrics` answers with (API.md §6).
///
/// The loops never touch the registry, whose series each take a lock: they append events to
/// their own `LoopMetrics`, and the events reach this type in batches (`deliver`), which a
/// collection records off the loops. The running totals that other parts keep as atomics (the
/// listener's, the upstream clients') are read when a scrape renders (`Reading`).
///
/// `Sendable`: the registry is, the rest is under its mutex.
public final class GatewayMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let factory: DocumentedMetricsFactory
    /// Batches from the loops, not recorded yet.
    private let inbox = Mutex<[[MetricEvent]]>([])
    /// The swift-metrics handles made so far, by series, and what `Reading` saw last time.
    private let series = Mutex<Series>(Series())

    public init() {
        factory = DocumentedMetricsFactory(registry: registry)
        // At 0 from the start, so that a rate over it begins with the process.
        series.withLock { $0.counter(SeriesKey(.storeFailures), .storeFailures, factory).increment(by: 0) }
        CoreMetrics.Gauge(label: MetricFamily.buildInfo.name,
                          dimensions: [("version", SwitchyardVersion.number), ("commit", SwitchyardVersion.commit ?? "")],
                          factory: factory).record(1)
    }

    /// A loop's events, from the loop itself (its buffer is full) or from a collection.
    func deliver(_ events: [MetricEvent]) {
        guard !events.isEmpty else { return }
        inbox.withLock { $0.append(events) }
    }

    /// Records every delivered batch. Off the loops: a collection's thread or a scrape's.
    func recordDelivered() {
        let batches = inbox.withLock { inbox in
            defer { inbox.removeAll(keepingCapacity: true) }
            return inbox
        }
        guard !batches.isEmpty else { return }
        series.withLock { series in
            for batch in batches {
                for event in batch { series.record(event, factory: factory) }
            }
        }
    }

    /// The Prometheus text exposition (format 0.0.4) of everything recorded, after `read` has set
    /// the totals and gauges that are read rather than recorded.
    public func exposition(reading read: (inout Reading) -> Void) -> [UInt8] {
        recordDelivered()
        series.withLock { series in
            var reading = Reading(series: series, factory: factory)
            read(&reading)
            series = reading.series
        }
        return registry.emitToBuffer()
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

/// The keys of the series below hash cheaply: one FNV-1a pass over their label values and one
/// `Hasher` word, instead of SipHash over each string. Recording an event is a lookup in these
/// tables, so their hashing is most of what the collection costs per event (measured with
/// callgrind: about 1,100 instructions a lookup with the synthesized hashing, a third of that now).
/// Equality still compares every label in full, so a collision costs a comparison, never a wrong series.
private struct LabelHash {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            for byte in bytes { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        add(0xff)
    }

    mutating func add(_ number: Int) {
        value = (value ^ UInt64(bitPattern: Int64(number))) &* 0x100_0000_01b3
    }
}

/// A series of a counter or gauge: its metric's name and its label values in the catalogue's
/// order, at most three, inline, so that finding the series of an event allocates nothing.
private struct SeriesKey: Hashable {
    var family: String
    var first: String
    var second: String
    var third: String

    init(_ family: MetricFamily, _ first: String = "", _ second: String = "", _ third: String = "") {
        precondition(family.labels.count <= 3, "a counter's series key holds three labels")
        self.family = family.name
        self.first = first
        self.second = second
        self.third = third
    }

    init(_ family: MetricFamily, labels: [String]) {
        precondition(labels.count == family.labels.count, "\(family.name) takes the labels \(family.labels)")
        self.init(family, labels.first ?? "", labels.dropFirst().first ?? "", labels.dropFirst(2).first ?? "")
    }

    /// The label values, for making the series.
    func labels(of family: MetricFamily) -> [String] {
        Array([first, second, third].prefix(family.labels.count))
    }

    func hash(into hasher: inout Hasher) {
        var hash = LabelHash()
        hash.add(family.utf8.count)
        hash.add(first)
        hash.add(second)
        hash.add(third)
        hasher.combine(hash.value)
    }
}

/// The keys of the per-request series, as fields rather than arrays, so that recording an event
/// allocates nothing once the series exists.
private struct ServerSeries: Hashable {
    var method: HTTPMethod
    var route: String
    var status: Int
    var tenant: String?
    var vendor: Vendor?

    func hash(into hasher: inout Hasher) {
        var hash = LabelHash()
        hash.add(status << 8 | (vendor.map { Vendor.allCases.firstIndex(of: $0)! + 1 } ?? 0) << 4 | route.utf8.count)
        hash.add(tenant ?? "")
        hasher.combine(hash.value)
    }
}

private struct ClientSeries: Hashable {
    var tenant: String
    var vendor: Vendor
    var serverAddress: String
    var status: Int?
    var outcome: ClientOutcome

    func hash(into hasher: inout Hasher) {
        var hash = LabelHash()
        hash.add((status ?? 0) << 8 | outcome.hashValueIndex)
        hash.add(tenant)
        hash.add(serverAddress)
        hasher.combine(hash.value)
    }
}

private struct Series {
    var serverHistograms: [ServerSeries: CoreMetrics.Recorder] = [:]
    var clientHistograms: [ClientSeries: CoreMetrics.Recorder] = [:]
    var quotaWaitHistograms: [SeriesKey: CoreMetrics.Recorder] = [:]
    var counters: [SeriesKey: CoreMetrics.Counter] = [:]
    var gauges: [SeriesKey: CoreMetrics.Gauge] = [:]
    /// The last value `Reading.total` saw, per series.
    var totals: [SeriesKey: Int] = [:]

    mutating func record(_ event: MetricEvent, factory: DocumentedMetricsFactory) {
        switch event {
        case .serverRequest(let sample):
            let key = ServerSeries(method: sample.method, route: sample.route, status: sample.status,
                                   tenant: sample.tenant, vendor: sample.vendor)
            histogram(key, factory).record(Double(sample.nanoseconds) / 1e9)
        case .clientRequest(let sample):
            let key = ClientSeries(tenant: sample.tenant, vendor: sample.vendor, serverAddress: sample.serverAddress,
                                   status: sample.status, outcome: sample.outcome)
            histogram(key, factory).record(Double(sample.nanoseconds) / 1e9)
            let connections = sample.reusedConnection ? MetricFamily.upstreamConnectionsReused : .upstreamConnectionsOpened
            count(SeriesKey(connections, sample.tenant), connections, factory)
        case .problem(let code, let tenant):
            count(SeriesKey(.problems, code.rawValue, tenant ?? ""), .problems, factory)
        case .rateLimit(let tenant, let policy, let decision):
            count(SeriesKey(.rateLimitDecisions, tenant, policy.rawValue, decision.rawValue), .rateLimitDecisions, factory)
            if decision == .storeFailure { count(SeriesKey(.storeFailures), .storeFailures, factory) }
        case .idempotentReplay(let tenant):
            count(SeriesKey(.idempotentReplays, tenant), .idempotentReplays, factory)
        case .quotaWait(let tenant, let policy, let nanoseconds):
            quotaWaitHistogram(tenant, policy, factory).record(Double(nanoseconds) / 1e9)
        case .tokenFetch(let tenant, let problem):
            count(SeriesKey(.tokenFetches, tenant, problem?.rawValue ?? "ok"), .tokenFetches, factory)
        }
    }

    private mutating func histogram(_ key: ServerSeries, _ factory: DocumentedMetricsFactory) -> CoreMetrics.Recorder {
        if let timer = serverHistograms[key] { return timer }
        let timer = CoreMetrics.Recorder(label: MetricFamily.serverRequestDuration.name, dimensions: [
            ("http_request_method", key.method.metricLabel), ("http_route", key.route), ("http_response_status_code", String(key.status)),
            ("tenant", key.tenant ?? ""), ("vendor", key.vendor?.rawValue ?? ""),
        ], aggregate: true, factory: factory)
        serverHistograms[key] = timer
        return timer
    }

    private mutating func histogram(_ key: ClientSeries, _ factory: DocumentedMetricsFactory) -> CoreMetrics.Recorder {
        if let timer = clientHistograms[key] { return timer }
        let timer = CoreMetrics.Recorder(label: MetricFamily.clientRequestDuration.name, dimensions: [
            ("tenant", key.tenant), ("vendor", key.vendor.rawValue), ("server_address", key.serverAddress),
            ("http_response_status_code", key.status.map { String($0) } ?? ""), ("outcome", key.outcome.rawValue),
        ], aggregate: true, factory: factory)
        clientHistograms[key] = timer
        return timer
    }

    private mutating func quotaWaitHistogram(_ tenant: String, _ policy: RateLimitPolicy,
                                             _ factory: DocumentedMetricsFactory) -> CoreMetrics.Recorder {
        let key = SeriesKey(.quotaWait, tenant, policy.rawValue)
        if let timer = quotaWaitHistograms[key] { return timer }
        let timer = CoreMetrics.Recorder(label: MetricFamily.quotaWait.name, dimensions: [("tenant", tenant), ("policy", policy.rawValue)],
                                         aggregate: true, factory: factory)
        quotaWaitHistograms[key] = timer
        return timer
    }

    private mutating func count(_ key: SeriesKey, _ family: MetricFamily, _ factory: DocumentedMetricsFactory) {
        counter(key, family, factory).increment()
    }

    mutating func counter(_ key: SeriesKey, _ family: MetricFamily, _ factory: DocumentedMetricsFactory) -> CoreMetrics.Counter {
        if let counter = counters[key] { return counter }
        let counter = CoreMetrics.Counter(label: family.name, dimensions: Array(zip(family.labels, key.labels(of: family))),
                                          factory: factory)
        counters[key] = counter
        return counter
    }
}
