import Prometheus
import XCTest
@testable import Switchyard

final class HistogramFamilyTests: XCTestCase {
    /// A duration counts in the first bucket whose bound holds it (a bound holds its own value,
    /// Prometheus' `le`), one past the last bound only in `+Inf`, and the sum is exact.
    func testADurationCountsInTheFirstBucketThatHoldsIt() {
        let bounds = BucketCounts.boundsNanoseconds
        XCTAssertEqual(bounds.first, 500_000)
        XCTAssertEqual(bounds.last, 10_000_000_000)
        // API.md §6's buckets, each exactly its decimal.
        XCTAssertEqual(MetricFamily.durationBuckets, [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
        var counts = BucketCounts()
        for nanoseconds in [0, 500_000, 500_001, 1_000_000, 9_999_999_999, 10_000_000_000, 10_000_000_001, UInt64.max / 4] {
            counts.observe(nanoseconds: UInt64(nanoseconds))
        }
        XCTAssertEqual(counts.count, 8)
        XCTAssertEqual(counts.sumNanoseconds, 0 + 500_000 + 500_001 + 1_000_000 + 9_999_999_999 + 10_000_000_000 + 10_000_000_001 + UInt64.max / 4)
        //                   0.0005 0.001 0.0025 … 5  10
        XCTAssertEqual(counts.cumulative, [2, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 6])

        var total = BucketCounts()
        total.add(counts)
        total.add(counts)
        XCTAssertEqual(total.cumulative, counts.cumulative.map { $0 * 2 })
        XCTAssertEqual(total.count, 16)
        XCTAssertEqual(total.sumNanoseconds, counts.sumNanoseconds &* 2)
    }

    /// The family's exposition is what swift-prometheus' registry writes for the same observations,
    /// line for line: HELP and TYPE once, every series' buckets, `+Inf`, sum and count, and label
    /// values escaped. Tallies added to a series add up; a family with no series writes nothing.
    func testTheExpositionIsTheRegistrysLineForLine() throws {
        let family = MetricFamily.quotaWait
        var histograms = HistogramFamily<String>(family)
        var text: [UInt8] = []
        histograms.write(into: &text)
        XCTAssertEqual(text, [], "no series, no lines")

        let registry = PrometheusCollectorRegistry()
        // Seconds that are exact in binary, so the registry's running sum of `Double`s and ours of
        // nanoseconds print the same; four of them on a bucket's bound.
        let observations: [(tenant: String, seconds: [Double])] = [
            ("cc", [0.25, 0.5, 1, 2.5]),
            (#"a"b\c"# + "\nd", [0.125, 5, 10, 16]),
            ("cc", [0.0625, 64]),
        ]
        for (tenant, seconds) in observations {
            let labels = [("tenant", tenant), ("policy", "vendor")]
            let reference = registry.makeValueHistogram(
                descriptor: MetricNameDescriptor(metricName: family.name, unitName: "", helpText: family.help),
                labels: labels, buckets: MetricFamily.durationBuckets)
            var counts = BucketCounts()
            for value in seconds {
                reference.record(value)
                counts.observe(nanoseconds: UInt64(value * 1e9))
            }
            histograms.add(counts, to: tenant, labels: labels)
        }
        histograms.write(into: &text)
        let ours = String(decoding: text, as: UTF8.self)
        let theirs = registry.emitToString()
        XCTAssertEqual(Set(ours.split(separator: "\n")), Set(theirs.split(separator: "\n")), ours)
        XCTAssertTrue(ours.hasPrefix("# HELP \(family.name) \(family.help)\n# TYPE \(family.name) histogram\n"), ours)
        XCTAssertTrue(ours.contains(#"switchyard_vendor_quota_wait_seconds_count{tenant="cc",policy="vendor"} 6"#), ours)
        XCTAssertTrue(ours.contains(#"switchyard_vendor_quota_wait_seconds_bucket{tenant="a\"b\\c\nd",policy="vendor",le="10.0"} 3"#), ours)
        XCTAssertEqual(ours.split(separator: "\n").count, 2 + 2 * (MetricFamily.durationBuckets.count + 3))
    }
}
