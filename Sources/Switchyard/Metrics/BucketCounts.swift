/// Durations counted in API.md §6's buckets (`MetricFamily.durationBuckets`), with their exact sum
/// and number: all a Prometheus histogram series keeps of its observations.
///
/// The loops tally every request's durations this way (`MetricTally`), and a collection adds their
/// counts to the series' totals (`HistogramFamily`), so an observation costs a few comparisons and
/// an increment on the loop and nothing after it. Before, the collection handed every observation to
/// swift-prometheus' `Histogram.record`, which takes a lock and walks every bucket for each: about 900
/// instructions a request, on the loop's core where the gateway is pinned (Benchmarks/RESULTS.md,
/// "The sixteenth pass").
///
/// Inline and fixed in size, so a tally's series never allocate for their counts.
struct BucketCounts: Sendable {
    /// The buckets' upper bounds in nanoseconds, `MetricFamily.durationBuckets` exactly.
    static let boundsNanoseconds: [UInt64] = {
        let bounds = MetricFamily.durationBuckets.map { UInt64(($0 * 1e9).rounded()) }
        precondition(bounds.count + 1 == InlineCounts.count, "BucketCounts holds a count per bucket and one above them all")
        precondition(zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 }, "the buckets' bounds grow")
        return bounds
    }()

    private typealias InlineCounts = InlineArray<15, UInt64>

    /// Observations by the first bucket they fit (not cumulative); the last counts those above
    /// every bound, which only `+Inf` holds.
    private var counts = InlineCounts(repeating: 0)
    private(set) var sumNanoseconds: UInt64 = 0
    private(set) var count: UInt64 = 0

    mutating func observe(nanoseconds: UInt64) {
        let bounds = Self.boundsNanoseconds
        var bucket = 0
        // Most durations fall in the first few buckets: a linear walk beats a binary search here.
        while bucket < bounds.count && nanoseconds > bounds[bucket] { bucket &+= 1 }
        counts[bucket] &+= 1
        sumNanoseconds &+= nanoseconds
        count &+= 1
    }

    /// Adds another tally's counts to these.
    mutating func add(_ other: BucketCounts) {
        for bucket in counts.indices { counts[bucket] &+= other.counts[bucket] }
        sumNanoseconds &+= other.sumNanoseconds
        count &+= other.count
    }

    /// The observations at or below each bound, in the bounds' order (a series' `le` lines; `count`
    /// is `+Inf`'s).
    var cumulative: [UInt64] {
        var running: UInt64 = 0
        return Self.boundsNanoseconds.indices.map { bucket in
            running &+= counts[bucket]
            return running
        }
    }
}
