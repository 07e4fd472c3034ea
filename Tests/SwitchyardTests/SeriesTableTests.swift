import SwitchyardDevices
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
    /// counted where they were.
    func testTheTallysSeriesCollectTheirObservations() {
        var tally = MetricTally()
        for tenant in UInt32(1)...40 {
            for status in [200, 429] {
                tally.add(.serverRequest(ServerRequestSample(method: .put, route: .device, status: status, tenant: tenant,
                                                             vendor: .controlCenter, nanoseconds: UInt64(tenant) * 1_000)))
                tally.add(.rateLimit(tenant: tenant, policy: .tenant, decision: status == 200 ? .admitted : .refused))
            }
        }
        tally.add(.serverRequest(ServerRequestSample(method: .put, route: .device, status: 200, tenant: 7,
                                                     vendor: .controlCenter, nanoseconds: 9_000)))
        XCTAssertEqual(tally.server.count, 80)
        XCTAssertEqual(tally.decisions.count, 80)
        XCTAssertEqual(tally.decisions.map(\.value), Array(repeating: 1, count: 80))
        let seventh = ServerSeries(ServerRequestSample(method: .put, route: .device, status: 200, tenant: 7,
                                                       vendor: .controlCenter, nanoseconds: 0))
        let counts = tally.server[seventh, default: BucketCounts()]
        XCTAssertEqual(counts.count, 2)
        XCTAssertEqual(counts.sumNanoseconds, 16_000)
        XCTAssertEqual(counts.cumulative.first, 2, "both within the first bucket, 0.5 ms")
        XCTAssertEqual(tally.size, 161)
    }
}

extension SeriesTableTests {
    /// A series packed from a sample gives back the sample's labels, for every value of every
    /// enumeration it packs by `caseIndex`.
    func testEverySeriesReadsBackTheLabelsItWasMadeFrom() {
        let tenant = MetricLabels.number("series-tenant")
        for route in Route.Template.allCases {
            for vendor in [nil] + Vendor.allCases {
                let series = ServerSeries(ServerRequestSample(method: .patch, route: route, status: 201, tenant: tenant,
                                                              vendor: vendor, nanoseconds: 0))
                XCTAssertEqual(series.labels.map(\.1), ["PATCH", route.rawValue, "201", "series-tenant", vendor?.rawValue ?? ""])
            }
        }
        for vendor in Vendor.allCases {
            for outcome in ClientOutcome.allCases {
                let series = ClientSeries(ClientRequestSample(tenant: tenant, vendor: vendor, serverAddress: 0, status: nil,
                                                              outcome: outcome, reusedConnection: false, nanoseconds: 0))
                XCTAssertEqual(series.labels.map(\.1), ["series-tenant", vendor.rawValue, "", "", outcome.rawValue])
            }
        }
        for policy in RateLimitPolicy.allCases {
            for decision in RateLimitOutcome.allCases {
                XCTAssertEqual(DecisionSeries(tenant: tenant, policy: policy, decision: decision).labels,
                               ["series-tenant", policy.rawValue, decision.rawValue])
            }
        }
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
