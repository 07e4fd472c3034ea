import XCTest
@testable import SwitchyardHTTP

/// Tests `ResponseParser`: the status line, framing by RFC 9112 §6.3 (the request's method
/// included), persistence, content coding, and the field-line and framing rules it shares with
/// `RequestParser`.
final class ResponseParserTests: XCTestCase {
    private let limits = HTTPLimits(maxHeaderBytes: 1024, maxBodyBytes: 1000, maxHeaderCount: 10)

    // MARK: Helpers

    private func parse(_ text: String, method: HTTPMethod = .get, limits: HTTPLimits? = nil) -> (ResponseHeadParseResult, HTTPResponseHead) {
        var parser = ResponseParser(limits: limits ?? self.limits)
        var head = HTTPResponseHead()
        let result = Array(text.utf8).withUnsafeBytes { parser.parseHead($0, requestMethod: method, into: &head) }
        return (result, head)
    }

    private func assertFailure(_ text: String, _ expected: ResponseParseError, method: HTTPMethod = .get,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(parse(text, method: method).0, .failure(expected), "input: \(text.debugDescription)", file: file, line: line)
    }

    private func framing(_ text: String, method: HTTPMethod = .get, file: StaticString = #filePath, line: UInt = #line) -> ResponseBodyFraming? {
        let (result, head) = parse(text, method: method)
        guard case .complete = result else {
            XCTFail("expected a complete head, got \(result) for \(text.debugDescription)", file: file, line: line)
            return nil
        }
        return head.framing
    }

    // MARK: Status line

    func testCompleteHeadWithContentLength() {
        let text = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        let (result, head) = parse(text)
        XCTAssertEqual(result, .complete(headLength: text.utf8.count - 2))
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.version, .http1_1)
        XCTAssertEqual(head.reasonPhrase, "OK")
        XCTAssertEqual(head.framing, .contentLength(2))
        XCTAssertTrue(head.keepAlive)
        XCTAssertEqual(head.firstValue("content-type"), "application/json")
        XCTAssertEqual(head.firstValue("CONTENT-TYPE"), "application/json", "names match case-insensitively")
        XCTAssertTrue(head.contains("content-length"))
        XCTAssertNil(head.firstValue("x-missing"))
        XCTAssertEqual(head.bytes.count, text.utf8.count - 2, "the head's bytes end with the final CRLF CRLF")
    }

    func testReasonPhraseMayBeEmptyOrMissingOrHoldSpaces() {
        XCTAssertEqual(parse("HTTP/1.1 204\r\n\r\n").1.reasonPhrase, "")
        XCTAssertEqual(parse("HTTP/1.1 204 \r\n\r\n").1.reasonPhrase, "")
        let text = "HTTP/1.1 503 Service\tTemporarily Unavailable\r\nContent-Length: 0\r\n\r\n"
        let (result, head) = parse(text)
        XCTAssertEqual(result, .complete(headLength: text.utf8.count))
        XCTAssertEqual(head.status, 503)
        XCTAssertEqual(head.reasonPhrase, "Service\tTemporarily Unavailable")
    }

    func testMalformedStatusLines() {
        for line in ["HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1  200 OK", "HTTP/1.1 2x0 OK", "http/1.1 200 OK",
                     "HTTP/1.1", "HTTP/1.1 ", "HTTP/1.1 600 Nope", "HTTP/1.1 099 Nope", "HTTP/1.1 200 O\u{1}K",
                     "HTTP/1.1\t200 OK", "HTTP/11 200 OK", " HTTP/1.1 200 OK", "HTTP/1.1 200 OK\u{7F}"] {
            assertFailure("\(line)\r\nContent-Length: 0\r\n\r\n", .malformedStatusLine)
        }
        // Unlike a request, no empty line is allowed before the status line.
        assertFailure("\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", .malformedStatusLine)
    }

    func testVersions() {
        assertFailure("HTTP/2.0 200 OK\r\n\r\n", .unsupportedVersion)
        assertFailure("HTTP/1.2 200 OK\r\n\r\n", .unsupportedVersion)
        let (result, head) = parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(result, .complete(headLength: 38))
        XCTAssertEqual(head.version, .http1_0)
        XCTAssertFalse(head.keepAlive, "HTTP/1.0 closes unless it says keep-alive")
        XCTAssertTrue(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").1.keepAlive)
    }

    func testSwitchingProtocolsIsRefused() {
        assertFailure("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", .unexpectedSwitchingProtocols)
    }

    // MARK: Framing

    func testFramingByFields() {
        XCTAssertEqual(framing("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), .contentLength(0))
        XCTAssertEqual(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), .chunked)
        XCTAssertEqual(framing("HTTP/1.1 200 OK\r\ntransfer-encoding: CHUNKED\r\n\r\n"), .chunked)
        XCTAssertEqual(framing("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"), .contentLength(5))
    }

    func testNeitherLengthNorChunkedIsCloseDelimitedAndEndsTheConnection() {
        let (_, head) = parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
        XCTAssertEqual(head.framing, .untilClose)
        XCTAssertFalse(head.keepAlive, "a close-delimited body ends the connection")
    }

    func testNoBodyForHeadAnd1xxAnd204And304() {
        // The length of a HEAD answer describes what a GET would return: neither read nor bounded.
        XCTAssertEqual(framing("HTTP/1.1 200 OK\r\nContent-Length: 123456789\r\n\r\n", method: .head), .noBody)
        XCTAssertEqual(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", method: .head), .noBody)
        XCTAssertEqual(framing("HTTP/1.1 204 No Content\r\n\r\n"), .noBody)
        XCTAssertEqual(framing("HTTP/1.1 304 Not Modified\r\nContent-Length: 5000\r\n\r\n"), .noBody)
        let (result, head) = parse("HTTP/1.1 100 Continue\r\n\r\n")
        XCTAssertEqual(result, .complete(headLength: 25))
        XCTAssertTrue(head.isInterim)
        XCTAssertEqual(head.framing, .noBody)
        XCTAssertTrue(parse("HTTP/1.1 204 No Content\r\n\r\n").1.keepAlive, "no body is not close-delimited")
    }

    func testFramingConflictsAreErrors() {
        assertFailure("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                      .message(.contentLengthWithTransferEncoding))
        assertFailure("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", .message(.conflictingContentLength))
        assertFailure("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .message(.unsupportedTransferEncoding))
        assertFailure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                      .message(.duplicateTransferEncoding))
        assertFailure("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", .message(.transferEncodingInHTTP10))
        for length in ["-1", "+5", "5, 5", "0x10", "", "1234567890123456789"] {
            assertFailure("HTTP/1.1 200 OK\r\nContent-Length: \(length)\r\n\r\n", .message(.invalidContentLength))
        }
    }

    func testOversizedAnswersAreErrors() {
        assertFailure("HTTP/1.1 200 OK\r\nContent-Length: 1001\r\n\r\n", .message(.bodyTooLarge))
        XCTAssertEqual(framing("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"), .contentLength(1000))
        let fields = (0..<11).map { "X-\($0): y\r\n" }.joined()
        assertFailure("HTTP/1.1 200 OK\r\n\(fields)\r\n", .message(.tooManyHeaders))
        let big = String(repeating: "a", count: 1100)
        assertFailure("HTTP/1.1 200 OK\r\nX-Big: \(big)\r\n\r\n", .message(.headerTooLarge))
        // Still incomplete while under the bound.
        XCTAssertEqual(parse("HTTP/1.1 200 OK\r\nX-Big: \(String(repeating: "a", count: 900))").0, .incomplete)
    }

    // MARK: Field lines (the rules shared with RequestParser)

    func testFieldLineRules() {
        assertFailure("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n", .message(.obsoleteLineFolding))
        assertFailure("HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n", .message(.whitespaceBeforeColon))
        assertFailure("HTTP/1.1 200 OK\r\nX-A: 1\n\r\n", .message(.bareLineFeed))
        assertFailure("HTTP/1.1 200 OK\nX-A: 1\r\n\r\n", .message(.bareLineFeed))
        assertFailure("HTTP/1.1 200 OK\r\nX-A: 1\rX\r\n\r\n", .message(.bareCarriageReturn))
        assertFailure("HTTP/1.1 200 OK\r\nX-A: a\u{0}b\r\n\r\n", .message(.invalidFieldValue))
        assertFailure("HTTP/1.1 200 OK\r\nX(A): 1\r\n\r\n", .message(.invalidFieldName))
        assertFailure("HTTP/1.1 200 OK\r\n: 1\r\n\r\n", .message(.invalidFieldName))
        assertFailure("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", .message(.malformedHeaderField))
        let (_, head) = parse("HTTP/1.1 200 OK\r\nX-A: \t spaced \t\r\nX-A: second\r\nX-Empty:\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(head.firstValue("x-a"), "spaced", "optional whitespace is trimmed")
        XCTAssertEqual(head.values("x-a"), ["spaced", "second"])
        XCTAssertEqual(head.firstValue("x-empty"), "")
        XCTAssertEqual(head.fields.count, 4)
        XCTAssertEqual(head.name(of: head.fields[0]), "X-A")
    }

    // MARK: Persistence and coding

    func testConnectionAndKeepAlive() {
        XCTAssertFalse(parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").1.keepAlive)
        XCTAssertFalse(parse("HTTP/1.1 200 OK\r\nConnection: Upgrade, CLOSE\r\nContent-Length: 0\r\n\r\n").1.keepAlive)
        let (_, head) = parse("HTTP/1.1 200 OK\r\nKeep-Alive: max=100, timeout=5\r\nContent-Length: 0\r\n\r\n")
        XCTAssertTrue(head.keepAlive)
        XCTAssertEqual(head.keepAliveTimeoutSeconds, 5)
        XCTAssertNil(parse("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=soon\r\nContent-Length: 0\r\n\r\n").1.keepAliveTimeoutSeconds)
        XCTAssertNil(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").1.keepAliveTimeoutSeconds)
    }

    func testContentCoding() {
        func coding(_ fields: String) -> ContentCoding {
            parse("HTTP/1.1 200 OK\r\n\(fields)Content-Length: 0\r\n\r\n").1.contentCoding
        }
        XCTAssertEqual(coding(""), .identity)
        XCTAssertEqual(coding("Content-Encoding: gzip\r\n"), .gzip)
        XCTAssertEqual(coding("Content-Encoding: GZIP\r\n"), .gzip)
        XCTAssertEqual(coding("Content-Encoding: x-gzip\r\n"), .gzip)
        XCTAssertEqual(coding("Content-Encoding: identity\r\n"), .identity)
        XCTAssertEqual(coding("Content-Encoding: br\r\n"), .unsupported)
        XCTAssertEqual(coding("Content-Encoding: gzip, gzip\r\n"), .unsupported)
        XCTAssertEqual(coding("Content-Encoding: gzip\r\nContent-Encoding: gzip\r\n"), .unsupported)
    }

    // MARK: Incremental parsing

    func testByteAtATimeGivesTheSameHead() {
        let text = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Long-Header-Name: a fairly long value\r\n\r\n5\r\n".utf8)
        var parser = ResponseParser(limits: limits)
        var head = HTTPResponseHead()
        var result = ResponseHeadParseResult.incomplete
        for end in 1...text.count {
            result = Array(text[0..<end]).withUnsafeBytes { parser.parseHead($0, requestMethod: .get, into: &head) }
            if case .complete = result { break }
            XCTAssertEqual(result, .incomplete, "prefix of \(end) bytes")
        }
        XCTAssertEqual(result, .complete(headLength: text.count - 3))
        XCTAssertEqual(head.framing, .chunked)
        XCTAssertEqual(head.firstValue("x-long-header-name"), "a fairly long value")
    }

    func testResultIsStickyUntilResetAndTheParserIsReusable() {
        var parser = ResponseParser(limits: limits)
        var head = HTTPResponseHead()
        let first = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
        XCTAssertEqual(first.withUnsafeBytes { parser.parseHead($0, requestMethod: .post, into: &head) }, .complete(headLength: 25))
        XCTAssertEqual(Array("garbage".utf8).withUnsafeBytes { parser.parseHead($0, requestMethod: .post, into: &head) },
                       .complete(headLength: 25), "a finished parse answers the same until reset")
        parser.reset()
        let second = Array("HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\n".utf8)
        XCTAssertEqual(second.withUnsafeBytes { parser.parseHead($0, requestMethod: .post, into: &head) }, .complete(headLength: second.count))
        XCTAssertEqual(head.status, 201)
        XCTAssertEqual(head.fields.count, 1, "the head was reset for the new response")
        XCTAssertEqual(head.framing, .contentLength(3))
    }
}
