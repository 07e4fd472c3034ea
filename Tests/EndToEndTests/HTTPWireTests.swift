import SwitchyardTestSupport
import Foundation
import XCTest

/// The HTTP/1.1 server over real TLS: framing rejections as problem documents followed by a
/// close, limits, pipelining, `Expect: 100-continue`, request ids, and the timeouts.
final class HTTPWireTests: XCTestCase {
    static let gateway = Shared<GatewayProcess>()
    var gateway: GatewayProcess {
        get throws { try HTTPWireTests.gateway.get { try GatewayProcess(configuration: GatewayProcess.authenticatedConfiguration()) } }
    }

    /// A credential the gateway admits, so that a request's body is read (without one, the
    /// request is refused from its head and its body never looked at).
    var bearer: String {
        get throws { "Authorization: Bearer \(try gateway.token())\r\n" }
    }

    override class func tearDown() {
        gateway.reset()
    }

    // MARK: Routing and problem documents

    func testRoutesAndProblemDocuments() throws {
        let client = try gateway.client()
        let cases: [(request: String, status: Int, code: String, allow: String?)] = [
            ("GET /nowhere HTTP/1.1", 404, "not_found", nil),
            ("GET /devices HTTP/1.1", 405, "method_not_allowed", "POST, PATCH"),
            ("DELETE /devices/iccid:8988216716970004975 HTTP/1.1", 405, "method_not_allowed", "PATCH"),
            ("POST /devices HTTP/1.1", 401, "unauthenticated", nil),
            ("PATCH /devices HTTP/1.1", 401, "unauthenticated", nil),
            ("PATCH /devices/iccid:8988216716970004975 HTTP/1.1", 401, "unauthenticated", nil),
            ("GET /devices/a/b HTTP/1.1", 404, "not_found", nil),
        ]
        for item in cases {
            // Without a body the connection stays usable after the refusal.
            client.send("\(item.request)\r\nHost: localhost\r\n\r\n")
            let response = try XCTUnwrap(client.readResponse(), item.request)
            XCTAssertNil(response.header("connection"), item.request)
            XCTAssertEqual(response.status, item.status, item.request)
            XCTAssertEqual(response.header("content-type"), "application/problem+json")
            XCTAssertEqual(response.header("allow"), item.allow, item.request)
            let json = try XCTUnwrap(response.json, response.bodyText)
            XCTAssertEqual(json["code"] as? String, item.code)
            XCTAssertEqual(json["status"] as? Int, item.status)
            XCTAssertEqual(Set(json.keys), ["type", "title", "status", "detail", "code", "requestId"])
            XCTAssertEqual(json["requestId"] as? String, response.header("x-request-id"))
        }
    }

    func testHeadRequestHasNoBody() throws {
        let client = try gateway.client()
        client.send("HEAD /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\nGET /again HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let head = try XCTUnwrap(client.readResponse(isHeadRequest: true))
        XCTAssertEqual(head.status, 404)
        XCTAssertNotEqual(head.header("content-length"), "0")
        XCTAssertEqual(head.body, [])
        XCTAssertEqual(client.readResponse()?.status, 404, "the next response starts right after the head")
    }

    // MARK: Request ids

    func testRequestIDEchoedWhenSaneAndGeneratedOtherwise() throws {
        let client = try gateway.client()
        client.send("GET /x HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: abc-123_XYZ\r\n\r\n")
        let echoed = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(echoed.header("x-request-id"), "abc-123_XYZ")
        XCTAssertEqual(echoed.json?["requestId"] as? String, "abc-123_XYZ")
        for insane in [String(repeating: "a", count: 129), "has space", "\u{00e9}t\u{00e9}"] {
            client.send("GET /x HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: \(insane)\r\n\r\n")
            let generated = try XCTUnwrap(client.readResponse())
            let id = try XCTUnwrap(generated.header("x-request-id"))
            XCTAssertNotEqual(id, insane)
            XCTAssertNotNil(id.range(of: "^[0-9a-f]{32}$", options: .regularExpression), id)
        }
    }

    // MARK: Pipelining and keep-alive

    func testPipelinedRequestsAreAnsweredInOrder() throws {
        let client = try gateway.client()
        var batch = ""
        for i in 0..<20 {
            let method = i % 3 == 0 ? "GET /devices" : (i % 3 == 1 ? "POST /devices" : "GET /n\(i)")
            batch += "\(method) HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: req-\(i)\r\nContent-Length: 0\r\n\r\n"
        }
        client.send(batch)
        for i in 0..<20 {
            let response = try XCTUnwrap(client.readResponse(), "response \(i)")
            XCTAssertEqual(response.header("x-request-id"), "req-\(i)")
            XCTAssertEqual(response.status, [405, 401, 404][i % 3])
        }
    }

    /// Requests answered at once by the responder (control-center registers no devices: 501), one
    /// with the next request's head behind it and only part of that one's body. The server moves each
    /// request's head and body into the request it hands the gateway and takes back storage to read
    /// the next into: the gateway's request hands back the head it adopted before (a JSON request's)
    /// and the body just read. Each request must be read into its own: the second's content type is
    /// not JSON (415, where the head before it would make a 501), and the third's body is its own
    /// two bytes, not appended to the one handed back (400, invalid JSON, when it was).
    func testAHeadParsedWhileTheRequestBeforeItIsAnsweredKeepsItsOwnHead() throws {
        let client = try gateway.client()
        let post = { (id: String, type: String) in
            "POST /devices HTTP/1.1\r\nHost: localhost\r\n\(try self.bearer)Content-Type: \(type)\r\nX-Request-Id: \(id)\r\nContent-Length: 2\r\n\r\n"
        }
        client.send(try post("zeroth", "application/json") + "{}")
        XCTAssertEqual(client.readResponse(timeout: 5)?.status, 501)
        client.send(try post("first", "application/json") + "{}" + (try post("second", "text/plain")) + "{")
        let first = try XCTUnwrap(client.readResponse(timeout: 5))
        XCTAssertEqual(first.status, 501, first.bodyText)
        XCTAssertEqual(first.header("x-request-id"), "first")
        Thread.sleep(forTimeInterval: 0.1) // the second head waits for the rest of its body
        client.send("}")
        let second = try XCTUnwrap(client.readResponse(timeout: 5))
        XCTAssertEqual(second.status, 415, second.bodyText)
        XCTAssertEqual(second.json?["code"] as? String, "unsupported_media_type")
        XCTAssertEqual(second.json?["requestId"] as? String, "second")
        // And the connection goes on with a third, whole this time.
        client.send(try post("third", "application/json") + "{}")
        let third = try XCTUnwrap(client.readResponse(timeout: 5))
        XCTAssertEqual(third.status, 501, third.bodyText)
        XCTAssertEqual(third.header("x-request-id"), "third")
    }

    /// Requests in TLS records of their own, arriving together: the server's first read takes
    /// every record at once, and one `SSL_read` hands over one record's bytes. The connection
    /// stops reading only when its socket is empty *and* OpenSSL holds nothing more, so none of the
    /// records left inside OpenSSL waits for a readable edge that will never come.
    func testRequestsInRecordsOfTheirOwnSentTogetherAreAllAnswered() throws {
        let client = try gateway.client()
        XCTAssertTrue(client.sendRecords((0..<20).map { "GET /n\($0) HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: rec-\($0)\r\n\r\n" }))
        for i in 0..<20 {
            let response = try XCTUnwrap(client.readResponse(timeout: 5), "response \(i)")
            XCTAssertEqual(response.header("x-request-id"), "rec-\(i)")
            XCTAssertEqual(response.status, 404)
        }
        // And after a pause, on the same connection: the next record raises a new edge.
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertTrue(client.send("GET /later HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: rec-later\r\n\r\n"))
        let later = try XCTUnwrap(client.readResponse(timeout: 5))
        XCTAssertEqual(later.header("x-request-id"), "rec-later")
    }

    func testHTTP10ClosesAndKeepAliveRespected() throws {
        let client = try gateway.client()
        client.send("GET /x HTTP/1.0\r\n\r\n")
        let response = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(response.status, 404)
        XCTAssertEqual(response.header("connection"), "close")
        XCTAssertTrue(client.waitForClose(timeout: 3))

        let second = try gateway.client()
        second.send("GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertEqual(second.readResponse()?.header("connection"), "close")
        XCTAssertTrue(second.waitForClose(timeout: 3))
        XCTAssertEqual(second.unreadBytes, [], "nothing after Connection: close is answered")
    }

    func testChunkedBodyWithTrailersKeepsConnectionUsable() throws {
        let client = try gateway.client()
        client.send("POST /devices HTTP/1.1\r\nHost: localhost\r\n\(try bearer)Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
                    "5;ext=1\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\nX-Trailer: yes\r\n\r\n" +
                    "GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n")
        // The body was read and judged (control-center registers no devices): 501, then the next request.
        XCTAssertEqual(client.readResponse()?.status, 501)
        XCTAssertEqual(client.readResponse()?.status, 404)
    }

    func testExpectContinue() throws {
        let client = try gateway.client()
        client.send("POST /devices HTTP/1.1\r\nHost: localhost\r\n\(try bearer)Content-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        let interim = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(interim.status, 100)
        client.send("{}")
        XCTAssertEqual(client.readResponse()?.status, 501)

        // Over the limit: refused before the body is sent, no 100.
        client.send("POST /devices HTTP/1.1\r\nHost: localhost\r\nContent-Length: 70000\r\nExpect: 100-continue\r\n\r\n")
        let refused = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(refused.status, 413)
        XCTAssertEqual(refused.json?["code"] as? String, "payload_too_large")

        // curl's own Expect handling, end to end: without a credential the 401 comes at once,
        // instead of a 100, and curl sends no body.
        let body = String(repeating: "x", count: 2000)
        let result = try gateway.curl("/devices", ["-o", "/dev/null", "-w", "%{http_code}", "-H", "Expect: 100-continue",
                                                   "-H", "content-type: application/json", "--data-binary", body])
        XCTAssertEqual(result.output, "401", result.error)
    }

    // MARK: Limits

    func testHeaderSectionOverLimitIs431() throws {
        let client = try gateway.client()
        client.send("GET /x HTTP/1.1\r\nHost: localhost\r\nX-Big: \(String(repeating: "b", count: 5000))\r\n\r\n")
        let response = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(response.status, 431)
        XCTAssertEqual(response.json?["code"] as? String, "request_header_too_large")
        XCTAssertEqual(response.header("connection"), "close")
        XCTAssertTrue(client.waitForClose(timeout: 3))
    }

    func testBodyOverLimitIs413ForBothFramings() throws {
        let client = try gateway.client()
        client.send("POST /devices HTTP/1.1\r\nHost: localhost\r\nContent-Length: 65537\r\n\r\n")
        let byLength = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(byLength.status, 413)
        XCTAssertEqual(byLength.json?["code"] as? String, "payload_too_large")
        XCTAssertTrue(client.waitForClose(timeout: 3))

        let chunked = try gateway.client()
        chunked.send("POST /devices HTTP/1.1\r\nHost: localhost\r\n\(try bearer)Transfer-Encoding: chunked\r\n\r\n")
        chunked.send("8000\r\n" + String(repeating: "a", count: 0x8000) + "\r\n")
        chunked.send("8001\r\n")
        let byChunks = try XCTUnwrap(chunked.readResponse())
        XCTAssertEqual(byChunks.status, 413)
        XCTAssertTrue(chunked.waitForClose(timeout: 3))

        // curl sending a too-large body still receives the 413 (no reset while it uploads).
        let path = TestEnvironment.temporaryDirectory("big").appendingPathComponent("body.json").path
        try String(repeating: "z", count: 300_000).write(toFile: path, atomically: true, encoding: .utf8)
        let result = try gateway.curl("/devices", ["-o", "/dev/null", "-w", "%{http_code}", "-H", "Expect:",
                                                   "-H", "content-type: application/json", "--data-binary", "@\(path)"])
        XCTAssertEqual(result.output, "413", result.error)
    }

    // MARK: Smuggling: every framing ambiguity is 400 and the connection ends there

    func testAmbiguousFramingIsRejectedAndNothingAfterItIsProcessed() throws {
        let smuggled = "GET /smuggled HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: smuggled\r\n\r\n"
        let vectors: [(String, String)] = [
            ("CL.TE", "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n"),
            ("TE.CL", "Transfer-Encoding: chunked\r\nContent-Length: 6\r\n"),
            ("TE xchunked", "Transfer-Encoding: xchunked\r\n"),
            ("TE folded", "Transfer-Encoding:\r\n chunked\r\n"),
            ("TE space before colon", "Transfer-Encoding : chunked\r\n"),
            ("TE chunked, identity", "Transfer-Encoding: chunked, identity\r\n"),
            ("TE duplicate", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
            ("CL sign", "Content-Length: +5\r\n"),
            ("CL two values", "Content-Length: 5, 5\r\n"),
            ("CL differing", "Content-Length: 5\r\nContent-Length: 6\r\n"),
            ("bare LF", "X-A: b\nContent-Length: 0\r\n"),
            ("NUL", "X-A: b\u{0}c\r\n"),
        ]
        for (name, headers) in vectors {
            let client = try gateway.client()
            client.send("POST /devices HTTP/1.1\r\nHost: localhost\r\n\(headers)\r\n0\r\n\r\n\(smuggled)")
            let response = try XCTUnwrap(client.readResponse(), name)
            XCTAssertEqual(response.status, 400, name)
            XCTAssertEqual(response.json?["code"] as? String, "invalid_request", name)
            XCTAssertEqual(response.header("connection"), "close", name)
            XCTAssertTrue(client.waitForClose(timeout: 3), name)
            XCTAssertFalse(String(decoding: client.unreadBytes, as: UTF8.self).contains("smuggled"), name)
        }
        // Chunk size overflow mid-body.
        let client = try gateway.client()
        client.send("POST /devices HTTP/1.1\r\nHost: localhost\r\n\(try bearer)Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\n")
        XCTAssertEqual(client.readResponse()?.status, 400)
        XCTAssertTrue(client.waitForClose(timeout: 3))
    }

    func testMalformedRequestLinesAre400() throws {
        for line in ["GET  /x HTTP/1.1", "GET /x HTTP/1.1 extra", "GET /x HTTP/9", "G\u{1}T /x HTTP/1.1", "GET /x\u{7f} HTTP/1.1"] {
            let client = try gateway.client()
            client.send("\(line)\r\nHost: localhost\r\n\r\n")
            let response = try XCTUnwrap(client.readResponse(), line)
            XCTAssertEqual(response.status, 400, line)
            XCTAssertEqual(response.json?["code"] as? String, "invalid_request", line)
            XCTAssertTrue(client.waitForClose(timeout: 3), line)
        }
    }

    // MARK: Timeouts

    func testSlowlorisIsClosedAfterHeaderTimeoutWhileOthersAreServed() throws {
        let gateway = try self.gateway
        let slow = try gateway.client()
        slow.send("GET /x HTTP/1.1\r\n")
        // The 2 s header timeout must cut it off however steady its trickle.
        let (closed, elapsed) = dribbleUntilClosed(slow) {
            XCTAssertEqual(gateway.curl("/x", ["-o", "/dev/null", "-w", "%{http_code}"]).output, "404")
        }
        XCTAssertTrue(closed, "the dribbling client was closed")
        XCTAssertGreaterThan(elapsed, 1.5)
        XCTAssertLessThan(elapsed, 5)
    }

    func testTheNextHeadOnAKeptAliveConnectionHasTheWholeHeaderTimeoutFromItsFirstBytes() throws {
        let client = try gateway.client()
        client.send("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 404)
        // One second of the 3 s idle timeout is left when the next head begins: from then on the
        // 2 s header timeout governs, not what was left of the idle one.
        Thread.sleep(forTimeInterval: 2)
        client.send("GET /x HTTP/1.1\r\n")
        let (closed, elapsed) = dribbleUntilClosed(client)
        XCTAssertTrue(closed, "the dribbling client was closed")
        XCTAssertGreaterThan(elapsed, 1.5)
        XCTAssertLessThan(elapsed, 5)
        let response = client.readResponse(timeout: 1)
        XCTAssertEqual(response?.status, 408)
        XCTAssertEqual(response?.json?["code"] as? String, "request_timeout")
    }

    /// Sends a byte of a head every 200 ms, at most 30 times, until the gateway closes the connection,
    /// with `step` after each byte: whether it closed, and how long after the first byte.
    private func dribbleUntilClosed(_ client: TLSTestClient, step: () -> Void = {}) -> (closed: Bool, elapsed: TimeInterval) {
        let start = Date()
        for _ in 0..<30 {
            if !client.send("X") || client.waitForClose(timeout: 0.2) { return (true, Date().timeIntervalSince(start)) }
            step()
        }
        return (false, Date().timeIntervalSince(start))
    }

    func testIdleKeepAliveConnectionIsClosed() throws {
        let client = try gateway.client()
        client.send("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 404)
        XCTAssertFalse(client.waitForClose(timeout: 1), "kept alive for a while")
        XCTAssertTrue(client.waitForClose(timeout: 5), "closed after the 3 s idle timeout")
    }
}
