import Foundation
import SwitchyardDevices
import SwitchyardSimulators
import XCTest

/// API.md §2 and §6, on the wire: the real gateway, the vendors' simulators, and a collector
/// listening on loopback that records what the gateway exports. One worker, so that a request's
/// spans are handed over no later than those of any request after it.
final class TracingTests: XCTestCase {
    private static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    private static let callerID = "00f067aa0ba902b7"
    private static let document = #"{"user": {"id": "alice"}}"#

    private var collector: TraceCollector!
    private var rig: DeviceTestbed!

    override func tearDown() {
        rig?.stop()
        collector?.stop()
    }

    private func start(sampleRatio: Double, collector behaviour: TraceCollector.Behaviour = .accept,
                       endpoint: String? = nil) throws {
        collector = try TraceCollector(behaviour)
        rig = try DeviceTestbed(workers: 1, bindings: [("push", .mobileFirstPush)], settings: """
            observability:
              tracing: {otlpEndpoint: "\(endpoint ?? collector.endpoint)", sampleRatio: \(sampleRatio), serviceName: switchyard-test}
            """)
    }

    private func update(traceParent: String? = nil, traceState: String? = nil) throws -> DeviceTestbed.Answer {
        var headers: [String] = []
        if let traceParent { headers.append("traceparent: \(traceParent)") }
        if let traceState { headers.append("tracestate: \(traceState)") }
        return try rig.call("push", "PATCH", "/devices/12345-6789", Self.document, headers: headers)
    }

    /// The vendor's device calls (not the token fetches), oldest first.
    private func deviceCalls() -> [RecordedRequest] {
        rig.simulator(.mobileFirstPush).recordedRequests().filter { $0.method == "PUT" }
    }

    private func isLowercaseHex(_ text: String?, count: Int) -> Bool {
        guard let text else { return false }
        return text.count == count && text.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    // MARK: Following a trace

    /// The done-when test: a sampled incoming trace is followed from the client through the
    /// gateway's server span and its client spans (the token fetch, then the device call) to
    /// the vendor, whose `traceparent` names the device call's client span and whose
    /// `tracestate` is the client's, unchanged. Sampling is 0: the client's flag alone decides.
    func testASampledIncomingTraceIsFollowedToTheVendor() throws {
        try start(sampleRatio: 0)
        let traceState = "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7"
        let before = UInt64(Date().timeIntervalSince1970 * 1e9)
        let answer = try update(traceParent: "00-\(Self.traceID)-\(Self.callerID)-01", traceState: traceState)
        XCTAssertEqual(answer.status, 200, answer.text)

        let spans = try collector.spans(ofTrace: Self.traceID, count: 3)
        XCTAssertEqual(spans.count, 3, "\(spans.map(\.json))")
        let server = try XCTUnwrap(spans.first { $0.kind == 2 })
        XCTAssertEqual(server.name, "PATCH /devices/{id}")
        XCTAssertEqual(server.parentSpanID, Self.callerID)
        XCTAssertTrue(isLowercaseHex(server.spanID, count: 16))
        XCTAssertNotEqual(server.spanID, Self.callerID)
        XCTAssertEqual(server.serviceName, "switchyard-test")
        XCTAssertEqual(server.scopeName, "switchyard")
        XCTAssertEqual(server.string("http.request.method"), "PATCH")
        XCTAssertEqual(server.string("http.route"), "/devices/{id}")
        XCTAssertEqual(server.int("http.response.status_code"), "200")
        XCTAssertEqual(server.string("url.scheme"), "https")
        XCTAssertEqual(server.string("client.address"), "127.0.0.1")
        XCTAssertEqual(server.string("switchyard.tenant"), "push")
        XCTAssertEqual(server.string("switchyard.vendor"), "mobilefirst-push")
        XCTAssertNil(server.attribute("switchyard.problem.code"))
        XCTAssertNil(server.statusCode)

        let clients = spans.filter { $0.kind == 3 }
        XCTAssertEqual(clients.map(\.name), ["POST", "PUT"], "the token fetch, then the device call")
        let port = String(rig.simulator(.mobileFirstPush).port)
        for client in clients {
            XCTAssertEqual(client.parentSpanID, server.spanID)
            XCTAssertTrue(isLowercaseHex(client.spanID, count: 16))
            XCTAssertEqual(client.string("server.address"), "127.0.0.1")
            XCTAssertEqual(client.int("server.port"), port)
            XCTAssertEqual(client.int("http.response.status_code"), "200")
            XCTAssertEqual(client.string("http.request.method"), client.name)
            XCTAssertNil(client.attribute("http.request.resend_count"))
            XCTAssertNil(client.statusCode)
        }
        XCTAssertEqual(clients.last?.string("url.full"), "https://127.0.0.1:\(port)/imfpush/v1/apps/myapp/devices/12345-6789")

        for span in spans {
            XCTAssertEqual(span.traceID, Self.traceID)
            let start = try XCTUnwrap(span.json["startTimeUnixNano"]?.stringValue.flatMap { UInt64($0) })
            let end = try XCTUnwrap(span.json["endTimeUnixNano"]?.stringValue.flatMap { UInt64($0) })
            XCTAssertGreaterThanOrEqual(start, before - 1_000_000_000)
            XCTAssertGreaterThanOrEqual(end, start)
            XCTAssertLessThan(end - start, 10_000_000_000)
        }
        // The client spans lie within the server span.
        let serverStart = UInt64(server.json["startTimeUnixNano"]!.stringValue!)!
        let serverEnd = UInt64(server.json["endTimeUnixNano"]!.stringValue!)!
        for client in clients {
            XCTAssertGreaterThanOrEqual(UInt64(client.json["startTimeUnixNano"]!.stringValue!)!, serverStart)
            XCTAssertLessThanOrEqual(UInt64(client.json["endTimeUnixNano"]!.stringValue!)!, serverEnd)
        }

        let received = try XCTUnwrap(deviceCalls().last)
        XCTAssertEqual(received.header("traceparent"), "00-\(Self.traceID)-\(clients.last!.spanID!)-01")
        XCTAssertEqual(received.header("tracestate"), traceState)
        let token = try XCTUnwrap(rig.simulator(.mobileFirstPush).recordedRequests().first { $0.method == "POST" })
        XCTAssertEqual(token.header("traceparent"), "00-\(Self.traceID)-\(clients.first!.spanID!)-01")
        XCTAssertTrue(rig.gateway.accessLog.contains(#""traceId":"\#(Self.traceID)""#), rig.gateway.accessLog)
    }

    /// A later version of `traceparent` is read as version 00 (W3C): its ids are continued, and
    /// what follows the four fields is not passed on.
    func testALaterVersionIsReadAsVersion00() throws {
        try start(sampleRatio: 0)
        XCTAssertEqual(try update(traceParent: "cc-\(Self.traceID)-\(Self.callerID)-01-what-the-future-holds").status, 200)
        let server = try XCTUnwrap(collector.spans(ofTrace: Self.traceID, count: 3).first { $0.kind == 2 })
        XCTAssertEqual(server.parentSpanID, Self.callerID)
        let received = try XCTUnwrap(deviceCalls().last?.header("traceparent"))
        XCTAssertTrue(received.hasPrefix("00-\(Self.traceID)-"), received)
        XCTAssertTrue(received.hasSuffix("-01"), received)
    }

    /// A vendor that refuses the token: the device call goes again with a fresh one, and its
    /// second client span says it is a resend; the refused call's span is no error (a 4xx).
    func testTheCallAfterARefusedTokenIsAResend() throws {
        try start(sampleRatio: 1)
        XCTAssertEqual(try update().status, 200)
        let firstTrace = try XCTUnwrap(deviceCalls().last?.header("traceparent")?.split(separator: "-")[1])
        _ = try collector.spans(ofTrace: String(firstTrace), count: 3)
        try rig.simulator(.mobileFirstPush).inject(SimulatorFault(.vendorError(status: 401, errorCode: nil, body: nil, headers: []),
                                                                  pathPrefix: "/imfpush"))
        XCTAssertEqual(try update().status, 200)
        let trace = try XCTUnwrap(deviceCalls().last?.header("traceparent")?.split(separator: "-")[1])
        let spans = try collector.spans(ofTrace: String(trace), count: 4)
        let clients = spans.filter { $0.kind == 3 }
        XCTAssertEqual(clients.map(\.name), ["PUT", "POST", "PUT"])
        XCTAssertEqual(clients.map { $0.int("http.response.status_code") }, ["401", "200", "200"])
        XCTAssertEqual(clients.map { $0.int("http.request.resend_count") }, [nil, nil, "1"])
        XCTAssertEqual(clients.map(\.statusCode), [nil, nil, nil])
    }

    /// A vendor failing with 5xx: the client span and the server span are errors, and the server
    /// span names the problem.
    func testAVendorErrorMarksTheSpans() throws {
        try start(sampleRatio: 1)
        try rig.simulator(.mobileFirstPush).inject(SimulatorFault(.vendorError(status: 503, errorCode: nil, body: nil, headers: []),
                                                                  pathPrefix: "/imfpush"))
        let answer = try update()
        XCTAssertGreaterThanOrEqual(answer.status, 500)
        let trace = try XCTUnwrap(deviceCalls().last?.header("traceparent")?.split(separator: "-")[1])
        let spans = try collector.spans(ofTrace: String(trace), count: 3)
        let server = try XCTUnwrap(spans.first { $0.kind == 2 })
        XCTAssertEqual(server.statusCode, 2)
        XCTAssertEqual(server.string("switchyard.problem.code"), answer.code)
        XCTAssertNil(server.parentSpanID, "a trace started here has a root server span")
        let device = try XCTUnwrap(spans.first { $0.kind == 3 && $0.name == "PUT" })
        XCTAssertEqual(device.int("http.response.status_code"), "503")
        XCTAssertEqual(device.statusCode, 2)
    }

    // MARK: Sampling

    /// Parent-based: a client's unsampled trace makes no spans, and the vendor is told the
    /// client's `traceparent` unchanged (flag 00). A sampled request after it is the marker: its
    /// spans leave the one loop after anything the first could have made.
    func testAnUnsampledIncomingTraceMakesNoSpans() throws {
        try start(sampleRatio: 1)
        let unsampled = "00-\(Self.traceID)-\(Self.callerID)-00"
        XCTAssertEqual(try update(traceParent: unsampled, traceState: "a=1").status, 200)
        XCTAssertEqual(deviceCalls().last?.header("traceparent"), unsampled)
        XCTAssertEqual(deviceCalls().last?.header("tracestate"), "a=1")
        let marker = "0af7651916cd43dd8448eb211c80319c"
        XCTAssertEqual(try update(traceParent: "00-\(marker)-b7ad6b7169203331-01").status, 200)
        _ = try collector.spans(ofTrace: marker, count: 2)
        XCTAssertEqual(try collector.spans().filter { $0.traceID == Self.traceID }.count, 0)
    }

    /// `sampleRatio: 0`: traces started here make no spans and go to the vendor unsampled, with
    /// no `tracestate` (one without a valid `traceparent` is dropped).
    func testARatioOfZeroRecordsNoTraceStartedHere() throws {
        try start(sampleRatio: 0)
        for _ in 0..<3 { XCTAssertEqual(try update(traceState: "orphan=1").status, 200) }
        let started = deviceCalls().compactMap { $0.header("traceparent") }
        XCTAssertEqual(started.count, 3)
        XCTAssertTrue(started.allSatisfy { $0.hasSuffix("-00") }, "\(started)")
        XCTAssertTrue(deviceCalls().allSatisfy { $0.header("tracestate") == nil })
        let marker = "0af7651916cd43dd8448eb211c80319c"
        XCTAssertEqual(try update(traceParent: "00-\(marker)-b7ad6b7169203331-01").status, 200)
        let markerSpans = try collector.spans(ofTrace: marker, count: 2)
        XCTAssertEqual(try collector.spans().count, markerSpans.count)
    }

    /// `sampleRatio: 1`: every trace started here is recorded, with the ids the vendor was told.
    func testARatioOfOneRecordsEveryTrace() throws {
        try start(sampleRatio: 1)
        for _ in 0..<3 { XCTAssertEqual(try update().status, 200) }
        let told = deviceCalls().compactMap { $0.header("traceparent") }
        XCTAssertEqual(told.count, 3)
        XCTAssertEqual(Set(told.map { $0.split(separator: "-")[1] }).count, 3)
        for value in told {
            let parts = value.split(separator: "-").map(String.init)
            XCTAssertEqual(parts.count, 4)
            XCTAssertEqual(parts[3], "01")
            XCTAssertTrue(isLowercaseHex(parts[1], count: 32))
            let spans = try collector.spans(ofTrace: parts[1], count: 2)
            XCTAssertTrue(spans.contains { $0.kind == 3 && $0.spanID == parts[2] }, "the vendor's parent is a client span")
        }
    }

    // MARK: A collector that fails

    /// Nothing listening, a 500, a collector that never answers: requests are answered at once
    /// all the same, the failures are logged and counted, and the gateway still stops promptly.
    func testACollectorThatFailsCostsRequestsNothing() throws {
        let cases: [(String, TraceCollector.Behaviour, String?)] = [
            ("nothing listening", .accept, "http://127.0.0.1:9/v1/traces"),
            ("500", .answer(status: 500), nil),
            ("stalling", .stall, nil),
        ]
        for (name, behaviour, endpoint) in cases {
            try start(sampleRatio: 1, collector: behaviour, endpoint: endpoint)
            _ = rig.token("push") // minted by a child process: not part of what is timed
            // Enough requests that several exports fail (one is in flight at a time).
            for _ in 0..<5 {
                let began = Date()
                XCTAssertEqual(try update().status, 200, name)
                XCTAssertLessThan(Date().timeIntervalSince(began), 1, name)
                usleep(300_000)
            }
            if case .stall = behaviour {} else {
                XCTAssertTrue(eventually { self.rig.gateway.output.contains("trace export to") }, "\(name): \(rig.gateway.output)")
                // And /metrics says so.
                XCTAssertGreaterThan(rig.gateway.metric("switchyard_trace_exports_failed_total") ?? 0, 0, name)
                XCTAssertGreaterThan(rig.gateway.metric("switchyard_trace_spans_dropped_total") ?? 0, 0, name)
                XCTAssertEqual(rig.gateway.metric("switchyard_trace_spans_exported_total"), 0, name)
            }
            let stopping = Date()
            rig.gateway.signal(SIGTERM)
            XCTAssertEqual(rig.gateway.waitForExit(timeout: 5), 0, name)
            XCTAssertLessThan(Date().timeIntervalSince(stopping), 4, name)
            let summary = try XCTUnwrap(rig.gateway.output.split(separator: "\n").first { $0.contains("traces: ") }, name)
            XCTAssertTrue(summary.contains("traces: 0 spans exported"), "\(name): \(summary)")
            XCTAssertFalse(summary.contains(" 0 dropped"), "\(name): \(summary)")
            if case .stall = behaviour {} else {
                XCTAssertFalse(summary.contains(" 0 failed exports"), "\(name): \(summary)")
            }
            rig.stop()
            collector.stop()
            rig = nil
            collector = nil
        }
    }
}
