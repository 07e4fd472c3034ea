#if canImport(Glibc)
import Glibc
#endif

/// Durations counted in buckets that grow by a quarter each, from 100 µs to about two minutes:
/// quantiles within 25 % at any scale in a fixed 64 counters, whatever the number of calls.
struct LatencyHistogram: Sendable, Equatable {
    private var counts = [Int](repeating: 0, count: Self.bucketCount)
    private(set) var total = 0

    private static let bucketCount = 64
    private static let smallestNanoseconds = 100_000.0
    private static let growth = 1.25

    mutating func record(nanoseconds: UInt64) {
        counts[Self.bucket(of: Double(nanoseconds))] += 1
        total += 1
    }

    /// The upper bound of the bucket holding the `quantile` (0 to 1) of the recorded durations, in
    /// milliseconds; nil before the first.
    func quantileMilliseconds(_ quantile: Double) -> Double? {
        guard total > 0 else { return nil }
        let rank = max(1, Int((quantile * Double(total)).rounded(.up)))
        var seen = 0
        for (bucket, count) in counts.enumerated() {
            seen += count
            if seen >= rank { return Self.upperBound(of: bucket) / 1e6 }
        }
        return Self.upperBound(of: Self.bucketCount - 1) / 1e6
    }

    private static func bucket(of nanoseconds: Double) -> Int {
        guard nanoseconds > smallestNanoseconds else { return 0 }
        let index = Int((log(nanoseconds / smallestNanoseconds) / log(growth)).rounded(.up))
        return min(index, bucketCount - 1)
    }

    private static func upperBound(of bucket: Int) -> Double {
        smallestNanoseconds * pow(growth, Double(bucket))
    }
}
