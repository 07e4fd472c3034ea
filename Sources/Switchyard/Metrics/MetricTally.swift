/// One loop's metric events since its last collection, grouped by series as they happen: a
/// duration adds one to its series' bucket (`BucketCounts`), a count adds one to its series. The
/// collection then finds each series once per tally instead of once per event, and the
/// loop does one lookup per event, by a key that packs the series into integers for the events
/// every request makes (`MetricSeries.swift`), by label strings for the rarer ones.
struct MetricTally: Sendable {
    /// A vendor call series' durations, and how many of its calls reused a pooled connection (the
    /// rest opened one: `switchyard_upstream_connections_*_total`).
    struct Calls: Sendable {
        var durations = BucketCounts()
        var reused: UInt64 = 0
    }

    var server = SeriesTable<ServerSeries, BucketCounts>()
    var client = SeriesTable<ClientSeries, Calls>()
    var decisions = SeriesTable<DecisionSeries, Int>()
    /// `switchyard_vendor_quota_wait_seconds`, by tenant and policy.
    var waits: [SeriesKey: BucketCounts] = [:]
    var counts: [SeriesKey: Int] = [:]
    /// Events added: the loop hands its tally over when it reaches `LoopMetrics.capacity`.
    private(set) var size = 0

    var isEmpty: Bool { size == 0 }

    mutating func add(_ event: MetricEvent) {
        size += 1
        switch event {
        case .serverRequest(let sample):
            server[ServerSeries(sample), default: BucketCounts()].observe(nanoseconds: sample.nanoseconds)
        case .clientRequest(let sample):
            client[ClientSeries(sample), default: Calls()].record(sample)
        case .problem(let code, let tenant):
            count(SeriesKey(.problems, code.rawValue, tenant ?? ""))
        case .rateLimit(let tenant, let policy, let decision):
            decisions[DecisionSeries(tenant: tenant, policy: policy, decision: decision), default: 0] += 1
            if decision == .storeFailure { count(SeriesKey(.storeFailures)) }
        case .idempotentReplay(let tenant):
            count(SeriesKey(.idempotentReplays, tenant))
        case .quotaWait(let tenant, let policy, let nanoseconds):
            waits[SeriesKey(.quotaWait, tenant, policy.rawValue), default: BucketCounts()].observe(nanoseconds: nanoseconds)
        case .tokenFetch(let tenant, let problem):
            count(SeriesKey(.tokenFetches, tenant, problem?.rawValue ?? "ok"))
        case .migrationComparison(let tenant, let result):
            count(SeriesKey(.migrationComparisons, tenant, result))
        }
    }

    private mutating func count(_ key: SeriesKey) {
        counts[key, default: 0] += 1
    }
}

extension MetricTally.Calls {
    mutating func record(_ sample: ClientRequestSample) {
        durations.observe(nanoseconds: sample.nanoseconds)
        if sample.reusedConnection { reused += 1 }
    }
}
