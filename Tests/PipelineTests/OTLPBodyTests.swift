@testable import Switchyard
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON
import XCTest

/// The OTLP/HTTP JSON mapping: hex ids, numeric enums, 64-bit integers as strings.
final class OTLPBodyTests: XCTestCase {
    func testASpanInOTLPJSON() throws {
        let parent = try XCTUnwrap(TraceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        let own = try XCTUnwrap(TraceParent("00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"))
        var batch = OTLPBody(serviceName: "edge")
        var span = batch.span(kind: .client, traceID: parent.traceID, spanID: own.parentID, parentID: parent.parentID,
                              name: "PUT", startUnixNanos: 1_767_225_600_123_456_789, endUnixNanos: 1_767_225_600_223_456_789)
        span.attribute("server.address", "vendor.example.com")
        span.attribute("server.port", 443)
        batch.record(span, isError: true)
        let root = batch.span(kind: .server, traceID: parent.traceID, spanID: parent.parentID, parentID: nil,
                              name: "GET", startUnixNanos: 1, endUnixNanos: 2)
        batch.record(root, isError: false)
        let taken = try XCTUnwrap(batch.take())
        XCTAssertEqual(taken.count, 2)
        XCTAssertNil(batch.take(), "taking empties the body")
        let body = try JSONParser.parse(taken.body)
        XCTAssertEqual(value(body, "/resourceSpans/0/scopeSpans/0/spans")?.arrayValue?.count, 2)
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
    /// written as they are), in a name's two parts and a URL's, a value longer than the room a span
    /// starts with, a negative integer, an IPv6 address, a span without attributes; each still parses,
    /// to the values given.
    func testEscapingNegativeNumbersAndEmptyListsStayValidJSON() throws {
        let ids = try XCTUnwrap(TraceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        var batch = OTLPBody(serviceName: "s\"vc")
        var odd = batch.span(kind: .server, traceID: ids.traceID, spanID: ids.parentID, parentID: nil,
                             name: "a \"quoted\"\nname", nameSuffix: "/p\\", startUnixNanos: 0, endUnixNanos: UInt64.max)
        odd.attribute("switchyard.key", "tab\there\u{1}\"\\")
        odd.attribute("n", -42)
        [UInt8(ascii: "\\")].withUnsafeBufferPointer { odd.attribute("url.full", "https://h\"", $0) }
        odd.attribute("client.address", address: try XCTUnwrap(SocketAddress(numericHost: "::1", port: 1)))
        odd.attribute("switchyard.long", String(repeating: "a\"", count: 2000)) // past the room a span starts with
        batch.record(odd, isError: false)
        let bare = batch.span(kind: .client, traceID: ids.traceID, spanID: ids.parentID, parentID: nil, name: "",
                              startUnixNanos: 1, endUnixNanos: 1)
        batch.record(bare, isError: false)
        let body = try JSONParser.parse(try XCTUnwrap(batch.take()).body)
        let first = try XCTUnwrap(value(body, "/resourceSpans/0/scopeSpans/0/spans/0"))
        XCTAssertEqual(value(first, "/name")?.stringValue, "a \"quoted\"\nname /p\\")
        XCTAssertEqual(value(first, "/startTimeUnixNano")?.stringValue, "0")
        XCTAssertEqual(value(first, "/endTimeUnixNano")?.stringValue, "18446744073709551615")
        XCTAssertEqual(value(first, "/attributes/0/key")?.stringValue, "switchyard.key")
        XCTAssertEqual(value(first, "/attributes/0/value/stringValue")?.stringValue, "tab\there\u{1}\"\\")
        XCTAssertEqual(value(first, "/attributes/1/value/intValue")?.stringValue, "-42")
        XCTAssertEqual(value(first, "/attributes/2/value/stringValue")?.stringValue, "https://h\"\\")
        XCTAssertEqual(value(first, "/attributes/3/value/stringValue")?.stringValue, "::1")
        XCTAssertEqual(value(first, "/attributes/4/value/stringValue")?.stringValue, String(repeating: "a\"", count: 2000))
        XCTAssertEqual(value(body, "/resourceSpans/0/scopeSpans/0/spans/1/attributes")?.arrayValue?.count, 0)
        XCTAssertEqual(value(body, "/resourceSpans/0/resource/attributes/0/value/stringValue")?.stringValue, "s\"vc")
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
