import XCTest
@testable import Switchyard

final class SeriesTableTests: XCTestCase {
    /// A series whose word collides on purpose: a table must tell keys apart by equality, however
    /// many share a probe's start.
    private struct Colliding: PackedSeries {
        let value: Int
        var word: UInt64 { UInt64(value % 3) }
    }

    /// Counts added in a deterministic shuffle of 2,000 additions over 500 series, some of whose
    /// words collide and all of whose words do for a third: the same totals as a dictionary's, each
    /// series once, in the order first added, through every growth of the table.
    func testCountsAgreeWithADictionaryWhateverTheWordsCollide() {
        var generator = SplitMix(seed: 42)
        var table = SeriesTable<Colliding, Int>()
        var reference: [Int: Int] = [:]
        var firstSeen: [Int] = []
        for _ in 0..<2_000 {
            let value = Int(generator.next() % 500)
            if reference[value] == nil { firstSeen.append(value) }
            table[Colliding(value: value), default: 0] += 1
            reference[value, default: 0] += 1
        }
        XCTAssertEqual(table.count, reference.count)
        XCTAssertEqual(table.map(\.key.value), firstSeen)
        for (key, count) in table { XCTAssertEqual(count, reference[key.value], "series \(key.value)") }
        XCTAssertEqual(table[Colliding(value: 1_000), default: -1], -1, "a series never added reads as the default")
        XCTAssertEqual(table.count, reference.count, "and reading it adds nothing")
    }

    /// The tally's own series: a request's server series and its rate-limit decision, observations
    /// appended where they were.
    func testTheTallysSeriesCollectTheirObservations() {
        var tally = MetricTally()
        for tenant in UInt32(1)...40 {
            for status in [200, 429] {
                tally.add(.serverRequest(ServerRequestSample(method: .put, route: "/devices/{id}", status: status, tenant: tenant,
                                                             vendor: .controlCenter, nanoseconds: UInt64(tenant) * 1_000)))
                tally.add(.rateLimit(tenant: tenant, policy: .tenant, decision: status == 200 ? .admitted : .refused))
            }
        }
        tally.add(.serverRequest(ServerRequestSample(method: .put, route: "/devices/{id}", status: 200, tenant: 7,
                                                     vendor: .controlCenter, nanoseconds: 9_000)))
        XCTAssertEqual(tally.server.count, 80)
        XCTAssertEqual(tally.decisions.count, 80)
        XCTAssertEqual(tally.decisions.map(\.value), Array(repeating: 1, count: 80))
        let seventh = ServerSeries(ServerRequestSample(method: .put, route: "/devices/{id}", status: 200, tenant: 7,
                                                       vendor: .controlCenter, nanoseconds: 0))
        XCTAssertEqual(tally.server[seventh, default: []], [7e-6, 9e-6])
        XCTAssertEqual(tally.size, 161)
    }
}

/// A small deterministic generator (SplitMix64), so a failure repeats.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
