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
    /// The buckets' upper bounds in nanoseconds, in order: what `MetricFamily.durationBuckets` is
    /// made from (which checks that they grow).
    static var boundsNanoseconds: [UInt64] {
        withUnsafeBytes(of: bounds) { Array($0.bindMemory(to: UInt64.self)) }
    }

    /// The bounds as a tuple of constants, which Swift lays out in the binary and the loop's
    /// observations compare with directly: an array (or an `InlineArray`) is a lazy global, a
    /// `swift_once` call on every read, two a request (callgrind).
    private static let bounds: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (
        500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000,
        100_000_000, 250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000, 5_000_000_000, 10_000_000_000)
    private static var boundCount: Int { MemoryLayout.size(ofValue: bounds) / MemoryLayout<UInt64>.size }

    private typealias InlineCounts = InlineArray<15, UInt64>

    /// Observations by the first bucket they fit (not cumulative); the last counts those above
    /// every bound, which only `+Inf` holds.
    private var counts = InlineCounts(repeating: 0)
    private(set) var sumNanoseconds: UInt64 = 0
    private(set) var count: UInt64 = 0

    mutating func observe(nanoseconds: UInt64) {
        precondition(Self.boundCount + 1 == InlineCounts.count, "BucketCounts holds a count per bucket and one above them all")
        // Most durations fall in the first few buckets: a linear walk beats a binary search here.
        let bucket = withUnsafeBytes(of: Self.bounds) { bounds in
            var bucket = 0
            while bucket < Self.boundCount, nanoseconds > bounds.load(fromByteOffset: bucket &* 8, as: UInt64.self) { bucket &+= 1 }
            return bucket
        }
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
        return (0..<Self.boundCount).map { bucket in
            running &+= counts[bucket]
            return running
        }
    }
}
