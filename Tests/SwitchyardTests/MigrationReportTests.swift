@testable import Switchyard
import SwitchyardDevices
import SwitchyardJSON
import XCTest

/// The comparison of two vendors' answers and the report's bounds (API.md §8), without a network.
final class MigrationReportTests: XCTestCase {
    private func document(_ fields: [DeviceField: String]) -> DeviceDocument {
        var document = DeviceDocument()
        for (field, value) in fields { document[field] = .string(value) }
        return document
    }

    func testFieldsBothAnswersStateAreComparedButIgnoredOnes() {
        let current = document([.iccid: "8988", .apn: "a", .simStatus: "ACTIVATED", .userClass: "gold"])
        XCTAssertEqual(ChangeComparison.compare(current: current, target: .success(document([.iccid: "8988", .apn: "a"])), ignoring: []),
                       .match, "a field only one vendor states is not compared")
        XCTAssertEqual(ChangeComparison.compare(current: current, target: .success(document([.apn: "b", .userClass: "silver", .imei: "1"])),
                                                ignoring: []),
                       .mismatch(pointers: ["/apn", "/user/class"]))
        XCTAssertEqual(ChangeComparison.compare(current: current, target: .success(document([.apn: "b", .userClass: "silver"])),
                                                ignoring: ["/apn"]),
                       .mismatch(pointers: ["/user/class"]))
        let unsupported = Problem(.unsupportedField, detail: "", fields: [FieldError(pointer: "/sim/status", reason: "not supported")])
        XCTAssertEqual(ChangeComparison.compare(current: current, target: .failure(unsupported), ignoring: []),
                       .notPortable(fields: ["/sim/status"]))
        XCTAssertEqual(ChangeComparison.compare(current: current, target: .failure(Problem(.unsupportedOperation, detail: "")), ignoring: []),
                       .notPortable(fields: []))
        XCTAssertEqual(ChangeComparison.compare(current: current, target: .failure(Problem(.upstreamTimeout, detail: "")), ignoring: []),
                       .targetError(.upstreamTimeout))
    }

    /// Whatever the traffic, a mismatch keeps its last five request ids and the not-portable list
    /// at most its bound of keys (more are counted under their operation).
    func testTheReportStaysBounded() {
        let report = MigrationReport(tenant: "acme", currentVendor: .controlCenter, targetVendor: .iotSecurity)
        for index in 0..<20 { report.record(.mismatch(pointers: ["/apn"]), operation: "PATCH /devices/{id}", requestID: "r\(index)") }
        for index in 0..<(MigrationReport.maxNotPortableKeys + 10) {
            report.record(.notPortable(fields: ["/custom/f\(index)"]), operation: "PATCH /devices", requestID: "n\(index)")
        }
        report.recordDropped()
        let counts = report.snapshot
        XCTAssertEqual(counts.mismatches["/apn"]?.count, 20)
        XCTAssertEqual(counts.mismatches["/apn"]?.lastRequestIDs, ["r15", "r16", "r17", "r18", "r19"])
        XCTAssertEqual(counts.notPortableChanges.count, MigrationReport.maxNotPortableKeys + 1)
        XCTAssertEqual(counts.notPortableChanges[MigrationReport.NotPortable(operation: "PATCH /devices", field: nil)], 10)
        XCTAssertEqual(counts.mirrored, 20 + MigrationReport.maxNotPortableKeys + 10, "a dropped change was never compared")
        XCTAssertEqual(counts.dropped, 1)
        var json = JSONWriter()
        report.write(to: &json, stage: .mirror, configuredStage: .mirror)
        let written = try? JSONParser.parse(json.bytes)
        func first(_ list: String) -> JSONValue? { written?.objectValue?[list]?.arrayValue?.first?.objectValue?["count"] }
        XCTAssertEqual(first("mismatches"), .number("20"))
        XCTAssertEqual(first("notPortableChanges"), .number("10"), "the largest first")
    }

    func testLatencyQuantilesAreWithinAQuarter() {
        var histogram = LatencyHistogram()
        XCTAssertNil(histogram.quantileMilliseconds(0.5))
        for millis in 1...100 { histogram.record(nanoseconds: UInt64(millis) * 1_000_000) }
        let p50 = try? XCTUnwrap(histogram.quantileMilliseconds(0.5))
        let p99 = try? XCTUnwrap(histogram.quantileMilliseconds(0.99))
        XCTAssertTrue((50.0...62.5).contains(p50 ?? 0), "\(String(describing: p50))")
        XCTAssertTrue((99.0...123.75).contains(p99 ?? 0), "\(String(describing: p99))")
        histogram.record(nanoseconds: UInt64.max / 2)
        XCTAssertEqual(histogram.total, 101, "a duration past the last bucket is still counted")
    }
}
