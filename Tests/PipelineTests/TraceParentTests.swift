import Foundation
@testable import Switchyard
import SwitchyardHTTP
import SwitchyardJSON
import XCTest

/// API.md §2 with tracing off (the harness configures none): W3C `traceparent` and
/// `tracestate` as read from the head and passed to the vendor.
final class TraceParentTests: XCTestCase {
    private var harness: PipelineHarness!
    private let traceID = "0af7651916cd43dd8448eb211c80319c"
    private let parentID = "b7ad6b7169203331"

    override func setUpWithError() throws {
        harness = try PipelineHarness()
    }

    override func tearDown() {
        harness.stop()
    }

    /// The trace headers the vendor got for one request with `headers`.
    private func sent(_ headers: [(String, String)]) throws -> (traceParent: String?, traceState: String?) {
        harness.vendor.script { _ in ScriptedVendor.json(201, #"{"message": "registered"}"#) }
        let answer = try harness.send("POST", "/devices", token: try harness.token("globex"), json: #"{"imei": "123456789012345"}"#,
                                      headers: headers)
        XCTAssertEqual(answer.status, 201, answer.text)
        let request = try XCTUnwrap(harness.vendor.requests.last)
        func value(_ name: String) -> String? { request.fields.first { $0.name == name }?.value }
        return (value("traceparent"), value("tracestate"))
    }

    func testAValidTraceGoesOnUnchangedWithItsState() throws {
        for flags in ["01", "00", "03"] {
            let traceParent = "00-\(traceID)-\(parentID)-\(flags)"
            let sent = try sent([("traceparent", traceParent), ("tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")])
            XCTAssertEqual(sent.traceParent, traceParent)
            XCTAssertEqual(sent.traceState, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")
        }
        let split = try sent([("traceparent", "00-\(traceID)-\(parentID)-01"), ("tracestate", "a=1"), ("tracestate", "b=2")])
        XCTAssertEqual(split.traceState, "a=1,b=2", "W3C: several tracestate lines are one list")
    }

    func testALaterVersionIsReadAsVersion00() throws {
        XCTAssertEqual(try sent([("traceparent", "01-\(traceID)-\(parentID)-01")]).traceParent, "00-\(traceID)-\(parentID)-01")
        let extended = try sent([("traceparent", "cc-\(traceID)-\(parentID)-00-whatever"), ("tracestate", "a=1")])
        XCTAssertEqual(extended.traceParent, "00-\(traceID)-\(parentID)-00")
        XCTAssertEqual(extended.traceState, "a=1")
    }

    /// An invalid or absent `traceparent` starts a new sampled trace with random ids, and its
    /// `tracestate` is dropped.
    func testAnInvalidTraceIsReplacedAndItsStateDropped() throws {
        let invalid = [
            "00-\(traceID.uppercased())-\(parentID)-01", "ff-\(traceID)-\(parentID)-01", "00-\(traceID)-\(parentID)-01-extra",
            "cc-\(traceID)-\(parentID)-01x", "00-\(String(repeating: "0", count: 32))-\(parentID)-01",
            "00-\(traceID)-0000000000000000-01", "00-\(traceID)-\(parentID)-0g", "00_\(traceID)-\(parentID)-01", "",
        ]
        var started: Set<String> = []
        for value in invalid {
            let sent = try sent([("traceparent", value), ("tracestate", "a=1")])
            let parts = try XCTUnwrap(sent.traceParent).split(separator: "-").map(String.init)
            XCTAssertEqual(parts.count, 4, value)
            XCTAssertEqual(parts[0], "00")
            XCTAssertNotEqual(parts[1], traceID, value)
            XCTAssertEqual(parts[1].count, 32)
            XCTAssertEqual(parts[2].count, 16)
            XCTAssertEqual(parts[3], "01")
            XCTAssertNil(sent.traceState, value)
            started.insert(parts[1])
        }
        XCTAssertEqual(started.count, invalid.count)
        XCTAssertNil(try sent([("tracestate", "a=1")]).traceState)
    }

    /// Ids are written four bytes at a time by word arithmetic: every byte value in every place of
    /// a group comes out as the two lowercase digits `String(_:radix:)` gives.
    func testHexDigitsOfEveryByteInEveryPlace() {
        for byte in UInt8.min...UInt8.max {
            let expected = (byte < 16 ? "0" : "") + String(byte, radix: 16)
            for place in 0..<4 {
                var group: (UInt8, UInt8, UInt8, UInt8) = (0xA5, 0x0F, 0xF0, 0x19)
                withUnsafeMutableBytes(of: &group) { $0[place] = byte }
                let text = Hex.string(group)
                let digits = text.dropFirst(2 * place).prefix(2)
                XCTAssertEqual(String(digits), expected, "\(byte) in place \(place): \(text)")
                XCTAssertEqual(text.count, 8)
            }
        }
        XCTAssertEqual(Hex.string((UInt8(0xA5), UInt8(0x0F), UInt8(0xF0), UInt8(0x19))), "a50ff019")
    }

    func testParsing() throws {
        let parsed = try XCTUnwrap(TraceParent("00-\(traceID)-\(parentID)-01"))
        XCTAssertEqual(Hex.string(parsed.traceID.bytes), traceID)
        XCTAssertEqual(Hex.string(parsed.parentID.bytes), parentID)
        XCTAssertEqual(parsed.flags.rawValue, 1)
        XCTAssertEqual(parsed.headerValue, "00-\(traceID)-\(parentID)-01")
        let later = try XCTUnwrap(TraceParent("fe-\(traceID)-\(parentID)-09-x"))
        XCTAssertEqual(later.headerValue, "00-\(traceID)-\(parentID)-09")
        XCTAssertNil(TraceParent("00-\(traceID)-\(parentID)-01 "))
        XCTAssertNil(TraceParent("00-\(traceID)-\(parentID)"))
    }

    /// Every byte of a made trace or span id is random: all sixteen (eight) positions take many
    /// values, no id repeats, none is W3C's reserved all-zero one.
    func testMadeTraceAndSpanIDsAreRandomInEveryByte() {
        let ids = RequestIDGenerator()
        let traces = (0..<2_000).map { _ in withUnsafeBytes(of: ids.traceID().bytes) { Array($0) } }
        let spans = (0..<2_000).map { _ in withUnsafeBytes(of: ids.spanID().bytes) { Array($0) } }
        for (made, width) in [(traces, 16), (spans, 8)] {
            XCTAssertEqual(made.first?.count, width)
            XCTAssertEqual(Set(made).count, made.count, "an id repeated")
            XCTAssertFalse(made.contains { $0.allSatisfy { $0 == 0 } })
            for position in 0..<width {
                XCTAssertGreaterThan(Set(made.map { $0[position] }).count, 200, "byte \(position) of \(width)")
            }
        }
    }

    func testTheSamplerKeepsItsRatioOfTracesStartedHere() {
        let ids = RequestIDGenerator()
        let traces = (0..<20_000).map { _ in ids.traceID() }
        XCTAssertFalse(traces.contains { TraceSampler(ratio: 0).samples($0) })
        XCTAssertTrue(traces.allSatisfy { TraceSampler(ratio: 1).samples($0) })
        let kept = traces.filter { TraceSampler(ratio: 0.1).samples($0) }.count
        XCTAssertEqual(Double(kept) / Double(traces.count), 0.1, accuracy: 0.015)
    }
}
