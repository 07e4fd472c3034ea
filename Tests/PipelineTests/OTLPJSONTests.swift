@testable import Switchyard
import SwitchyardJSON
import XCTest

/// The OTLP/HTTP JSON mapping: hex ids, numeric enums, 64-bit integers as strings.
final class OTLPJSONTests: XCTestCase {
    func testASpanInOTLPJSON() throws {
        let parent = try XCTUnwrap(TraceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        let own = try XCTUnwrap(TraceParent("00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"))
        let span = RecordedSpan(traceID: parent.traceID, spanID: own.parentID, parentID: parent.parentID, name: "PUT", kind: .client,
                        startUnixNanos: 1_767_225_600_123_456_789, endUnixNanos: 1_767_225_600_223_456_789,
                        attributes: [("server.address", .string("vendor.example.com")), ("server.port", .int(443))], isError: true)
        let root = RecordedSpan(traceID: parent.traceID, spanID: parent.parentID, name: "GET", kind: .server, startUnixNanos: 1, endUnixNanos: 2)
        let body = try JSONParser.parse(OTLPJSON.body([span, root], serviceName: "edge"))
        let resource = try XCTUnwrap(value(body, "/resourceSpans/0/resource/attributes/0"))
        XCTAssertEqual(resource, try parse(#"{"key": "service.name", "value": {"stringValue": "edge"}}"#))
        XCTAssertEqual(value(body, "/resourceSpans/0/scopeSpans/0/scope/name")?.stringValue, "switchyard")
        let written = try XCTUnwrap(value(body, "/resourceSpans/0/scopeSpans/0/spans/0"))
        XCTAssertEqual(written, try parse("""
            {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "00f067aa0ba902b7", "parentSpanId": "b7ad6b7169203331",
             "name": "PUT", "kind": 3, "startTimeUnixNano": "1767225600123456789", "endTimeUnixNano": "1767225600223456789",
             "attributes": [{"key": "server.address", "value": {"stringValue": "vendor.example.com"}},
                            {"key": "server.port", "value": {"intValue": "443"}}],
             "status": {"code": 2}}
            """))
        let second = try XCTUnwrap(value(body, "/resourceSpans/0/scopeSpans/0/spans/1")?.objectValue)
        XCTAssertNil(second["parentSpanId"])
        XCTAssertNil(second["status"])
        XCTAssertEqual(second["kind"]?.intValue, 2)
    }

    /// The hand-written encoder's edges: values that need escaping (attribute keys are constant names,
    /// written as they are), a negative integer, a span without attributes, a batch without spans;
    /// each still parses, to the values given.
    func testEscapingNegativeNumbersAndEmptyListsStayValidJSON() throws {
        let ids = try XCTUnwrap(TraceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        let odd = RecordedSpan(traceID: ids.traceID, spanID: ids.parentID, name: "a \"quoted\"\nname", kind: .server,
                               startUnixNanos: 0, endUnixNanos: UInt64.max,
                               attributes: [("switchyard.key", .string("tab\there\u{1}\"\\")), ("n", .int(-42))])
        let bare = RecordedSpan(traceID: ids.traceID, spanID: ids.parentID, name: "", kind: .client, startUnixNanos: 1, endUnixNanos: 1)
        let body = try JSONParser.parse(OTLPJSON.body([odd, bare], serviceName: "s\"vc"))
        let first = try XCTUnwrap(value(body, "/resourceSpans/0/scopeSpans/0/spans/0"))
        XCTAssertEqual(value(first, "/name")?.stringValue, "a \"quoted\"\nname")
        XCTAssertEqual(value(first, "/startTimeUnixNano")?.stringValue, "0")
        XCTAssertEqual(value(first, "/endTimeUnixNano")?.stringValue, "18446744073709551615")
        XCTAssertEqual(value(first, "/attributes/0/key")?.stringValue, "switchyard.key")
        XCTAssertEqual(value(first, "/attributes/0/value/stringValue")?.stringValue, "tab\there\u{1}\"\\")
        XCTAssertEqual(value(first, "/attributes/1/value/intValue")?.stringValue, "-42")
        XCTAssertEqual(value(body, "/resourceSpans/0/scopeSpans/0/spans/1/attributes")?.arrayValue?.count, 0)
        XCTAssertEqual(value(body, "/resourceSpans/0/resource/attributes/0/value/stringValue")?.stringValue, "s\"vc")
        let empty = try JSONParser.parse(OTLPJSON.body([RecordedSpan](), serviceName: "svc"))
        XCTAssertEqual(value(empty, "/resourceSpans/0/scopeSpans/0/spans")?.arrayValue?.count, 0)
    }

    private func parse(_ text: String) throws -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    /// The value at an RFC 6901 pointer (no escapes needed here).
    private func value(_ root: JSONValue, _ pointer: String) -> JSONValue? {
        var value: JSONValue? = root
        for token in pointer.split(separator: "/") {
            if let index = Int(token) {
                value = value?.arrayValue.flatMap { $0.indices.contains(index) ? $0[index] : nil }
            } else {
                value = value?.objectValue?[String(token)]
            }
        }
        return value
    }
}
