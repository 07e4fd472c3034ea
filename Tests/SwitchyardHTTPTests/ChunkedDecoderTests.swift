import XCTest
@testable import SwitchyardHTTP

/// Tests `ChunkedDecoder` against RFC 9112 §7.1 and the chunk-level smuggling vectors.
final class ChunkedDecoderTests: XCTestCase {
    private let limits = HTTPLimits()

    // MARK: Helpers

    /// Decodes `bytes` in one call with a fresh decoder.
    private func decode(_ bytes: [UInt8], limits: HTTPLimits? = nil) -> (ChunkedDecodeResult, [UInt8]) {
        var decoder = ChunkedDecoder(limits: limits ?? self.limits)
        var body: [UInt8] = []
        let result = bytes.withUnsafeBytes { decoder.decode($0, appendingTo: &body) }
        return (result, body)
    }

    private func decode(_ text: String, limits: HTTPLimits? = nil) -> (ChunkedDecodeResult, [UInt8]) {
        decode(Array(text.utf8), limits: limits)
    }

    /// Feeds `bytes` split into pieces of `size`, dropping consumed bytes as a connection would.
    private func decodeInPieces(_ bytes: [UInt8], size: Int) -> (ChunkedDecodeResult, [UInt8], leftover: [UInt8]) {
        var decoder = ChunkedDecoder(limits: limits)
        var body: [UInt8] = []
        var pending: [UInt8] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + size, bytes.count)
            pending += bytes[offset..<end]
            offset = end
            let result = pending.withUnsafeBytes { decoder.decode($0, appendingTo: &body) }
            switch result {
            case .incomplete(let consumed):
                XCTAssertEqual(consumed, pending.count, "an incomplete decode uses everything it is given")
                pending.removeFirst(consumed)
            case .complete(let consumed):
                pending.removeFirst(consumed)
                return (result, body, pending + bytes[offset...])
            case .failure:
                return (result, body, [])
            }
        }
        return (.incomplete(consumed: 0), body, pending)
    }

    private func assertFailure(_ text: String, _ expected: HTTPParseError, limits: HTTPLimits? = nil,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(decode(text, limits: limits).0, .failure(expected), "input: \(text.debugDescription)", file: file, line: line)
    }

    // MARK: Valid bodies

    func testSingleChunk() {
        let text = "5\r\nhello\r\n0\r\n\r\n"
        let (result, body) = decode(text)
        XCTAssertEqual(result, .complete(consumed: text.utf8.count))
        XCTAssertEqual(String(decoding: body, as: UTF8.self), "hello")
    }

    func testSeveralChunksAndHexSizes() {
        let payload = String(repeating: "x", count: 26)
        let text = "a\r\n0123456789\r\nA\r\nabcdefghij\r\n1a\r\n\(payload)\r\n000\r\n\r\n"
        let (result, body) = decode(text)
        XCTAssertEqual(result, .complete(consumed: text.utf8.count))
        XCTAssertEqual(String(decoding: body, as: UTF8.self), "0123456789abcdefghij" + payload)
    }

    func testEmptyBody() {
        XCTAssertEqual(decode("0\r\n\r\n").0, .complete(consumed: 5))
    }

    func testBinaryDataIsCopiedVerbatim() {
        let data: [UInt8] = [0x00, 0x0D, 0x0A, 0xFF, 0x0A, 0x0D]
        let bytes = Array("6\r\n".utf8) + data + Array("\r\n0\r\n\r\n".utf8)
        let (result, body) = decode(bytes)
        XCTAssertEqual(result, .complete(consumed: bytes.count))
        XCTAssertEqual(body, data)
    }

    func testAppendsToExistingBody() {
        var decoder = ChunkedDecoder(limits: limits)
        var body = Array("prefix:".utf8)
        _ = Array("3\r\nabc\r\n0\r\n\r\n".utf8).withUnsafeBytes { decoder.decode($0, appendingTo: &body) }
        XCTAssertEqual(String(decoding: body, as: UTF8.self), "prefix:abc")
    }

    func testChunkExtensionsAreTolerated() {
        for sizeLine in ["5;name", "5;name=value", "5;a=1;b=\"quoted; value\"", "5 ;x", "5\t; x = y", "5;"] {
            let (result, body) = decode("\(sizeLine)\r\nhello\r\n0;last\r\n\r\n")
            guard case .complete = result else { return XCTFail("\(sizeLine): \(result)") }
            XCTAssertEqual(String(decoding: body, as: UTF8.self), "hello", sizeLine)
        }
    }

    func testTrailerFieldsAreValidatedAndDiscarded() {
        let text = "3\r\nabc\r\n0\r\nX-Checksum: abc\r\nX-Other:\r\n\r\n"
        let (result, body) = decode(text)
        XCTAssertEqual(result, .complete(consumed: text.utf8.count))
        XCTAssertEqual(body, Array("abc".utf8))
    }

    func testPipelinedBytesAreLeftForTheNextRequest() {
        let chunked = "3\r\nabc\r\n0\r\n\r\n"
        let next = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        let (result, body) = decode(chunked + next)
        XCTAssertEqual(result, .complete(consumed: chunked.utf8.count))
        XCTAssertEqual(body, Array("abc".utf8))
    }

    func testDribbledBodyMatchesOneCall() {
        let bytes = Array("4;ext=1\r\nWiki\r\n7\r\npedia i\r\nB\r\nn \r\nchunks.\r\n0\r\nX-T: v\r\n\r\nNEXT".utf8)
        let (reference, referenceBody) = decode(bytes)
        XCTAssertEqual(reference, .complete(consumed: bytes.count - 4))
        XCTAssertEqual(String(decoding: referenceBody, as: UTF8.self), "Wikipedia in \r\nchunks.")
        for size in [1, 2, 3, 7, 64] {
            let (result, body, leftover) = decodeInPieces(bytes, size: size)
            guard case .complete = result else { return XCTFail("size \(size): \(result)") }
            XCTAssertEqual(body, referenceBody, "size \(size)")
            XCTAssertEqual(leftover, Array("NEXT".utf8), "size \(size)")
        }
    }

    func testPartialDataIsDeliveredAsItArrives() {
        var decoder = ChunkedDecoder(limits: limits)
        var body: [UInt8] = []
        XCTAssertEqual(Array("5\r\nhel".utf8).withUnsafeBytes { decoder.decode($0, appendingTo: &body) }, .incomplete(consumed: 6))
        XCTAssertEqual(body, Array("hel".utf8))
        XCTAssertEqual(Array("lo\r\n0\r\n\r\n".utf8).withUnsafeBytes { decoder.decode($0, appendingTo: &body) }, .complete(consumed: 9))
        XCTAssertEqual(body, Array("hello".utf8))
        // Finished: nothing more is consumed until reset.
        XCTAssertEqual(Array("1\r\n".utf8).withUnsafeBytes { decoder.decode($0, appendingTo: &body) }, .complete(consumed: 0))

        decoder.reset()
        body.removeAll()
        XCTAssertEqual(Array("2\r\nok\r\n0\r\n\r\n".utf8).withUnsafeBytes { decoder.decode($0, appendingTo: &body) }, .complete(consumed: 12))
        XCTAssertEqual(body, Array("ok".utf8))
    }

    // MARK: Chunk sizes

    func testChunkSizeOverflow() {
        assertFailure("fffffffffffffffff\r\n", .chunkSizeOverflow)          // 17 digits
        assertFailure("1000000000000000\r\n", .chunkSizeOverflow)         // 16 digits
        // It fails on the sixteenth digit, without waiting for the line to end.
        assertFailure("0000000000000000", .chunkSizeOverflow)
        XCTAssertEqual(decode("000000000000005\r\nhello\r\n0\r\n\r\n").1, Array("hello".utf8), "15 digits are fine")
    }

    func testInvalidChunkSize() {
        for text in ["\r\n", "g\r\n", "-5\r\n", "+5\r\n", " 5\r\n", "0x5\r\n", ";ext\r\n", "5 5\r\n", "5 \r\n", "5\t\r\n", "5,\r\n"] {
            assertFailure(text, .invalidChunkSize)
        }
    }

    func testChunkSizeOverBodyLimitFailsBeforeTheData() {
        let small = HTTPLimits(maxBodyBytes: 10)
        // Known from the size alone: the data never needs to arrive.
        assertFailure("b\r\n", .bodyTooLarge, limits: small)
        assertFailure("b;ext", .bodyTooLarge, limits: small)
        assertFailure("100001\r\n", .bodyTooLarge)          // 1 MiB + 1 against the default limit
        assertFailure("5\r\nhello\r\n6\r\n", .bodyTooLarge, limits: small)
        let (result, body) = decode("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", limits: small)
        XCTAssertEqual(result, .complete(consumed: 25))
        XCTAssertEqual(body.count, 10)
    }

    func testOversizedExtensionIsRefused() {
        let allowed = ";" + String(repeating: "e", count: ChunkedDecoder.maxChunkExtensionBytes - 1)
        XCTAssertEqual(decode("1\(allowed)\r\na\r\n0\r\n\r\n").1, Array("a".utf8))
        assertFailure("1\(allowed)e", .chunkExtensionTooLong)
        assertFailure("1" + String(repeating: " ", count: ChunkedDecoder.maxChunkExtensionBytes + 1), .chunkExtensionTooLong)
    }

    func testControlCharacterInExtension() {
        assertFailure("5;a=\0\r\nhello\r\n0\r\n\r\n", .malformedChunk)
        assertFailure("5;a=\u{7F}\r\nhello\r\n0\r\n\r\n", .malformedChunk)
    }

    // MARK: Line endings

    func testBareLineFeedInChunkLines() {
        assertFailure("5\nhello\r\n0\r\n\r\n", .bareLineFeed)          // after the size
        assertFailure("5;ext\nhello\r\n0\r\n\r\n", .bareLineFeed)      // after an extension
        assertFailure("5\r\nhello\n0\r\n\r\n", .bareLineFeed)          // after the data
        assertFailure("5\r\nhello\r\n0\n\r\n", .bareLineFeed)          // after the last chunk
        assertFailure("5\r\nhello\r\n0\r\n\n", .bareLineFeed)          // as the final line
        assertFailure("5\r\nhello\r\n0\r\nX: y\n\r\n", .bareLineFeed)  // in a trailer field
        assertFailure("\n", .bareLineFeed)
    }

    func testBareCarriageReturnInChunkLines() {
        assertFailure("5\rhello\r\n0\r\n\r\n", .bareCarriageReturn)
        assertFailure("5\r\nhello\rX0\r\n\r\n", .bareCarriageReturn)
        assertFailure("5\r\nhello\r\n0\r\n\rX", .bareCarriageReturn)
        assertFailure("5\r\nhello\r\n0\r\nX: y\rZ", .bareCarriageReturn)
    }

    func testDataMustBeFollowedByCRLF() {
        // A size smaller than the data: the classic way to hide a second request in a body.
        assertFailure("3\r\nhello\r\n0\r\n\r\n", .malformedChunk)
        assertFailure("5\r\nhello0\r\n\r\n", .malformedChunk)
        assertFailure("5\r\nhello \r\n0\r\n\r\n", .malformedChunk)
    }

    // MARK: Trailer section

    func testTrailerFieldLineRules() {
        assertFailure("0\r\nX-A: 1\r\n folded\r\n\r\n", .obsoleteLineFolding)
        assertFailure("0\r\n X-A: 1\r\n\r\n", .obsoleteLineFolding)
        assertFailure("0\r\nX-A : 1\r\n\r\n", .whitespaceBeforeColon)
        assertFailure("0\r\nX-A: a\0b\r\n\r\n", .invalidFieldValue)
        assertFailure("0\r\nX-A: a\u{7F}\r\n\r\n", .invalidFieldValue)
        assertFailure("0\r\n: v\r\n\r\n", .invalidFieldName)
        assertFailure("0\r\nX[A]: v\r\n\r\n", .invalidFieldName)
        assertFailure("0\r\nNoColon\r\n\r\n", .malformedHeaderField)
    }

    func testTrailerTooLarge() {
        let small = HTTPLimits(maxHeaderBytes: 32, maxHeaderCount: 2)
        XCTAssertEqual(decode("0\r\nA: 1\r\nB: 2\r\n\r\n", limits: small).0, .complete(consumed: 17))
        assertFailure("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", .trailerTooLarge, limits: small)
        assertFailure("0\r\nX: " + String(repeating: "v", count: 40), .trailerTooLarge, limits: small)
        XCTAssertEqual(HTTPParseError.trailerTooLarge.status, 431)
    }

    func testFailureIsSticky() {
        var decoder = ChunkedDecoder(limits: limits)
        var body: [UInt8] = []
        XCTAssertEqual(Array("zz".utf8).withUnsafeBytes { decoder.decode($0, appendingTo: &body) }, .failure(.invalidChunkSize))
        XCTAssertEqual(Array("0\r\n\r\n".utf8).withUnsafeBytes { decoder.decode($0, appendingTo: &body) }, .failure(.invalidChunkSize))
    }
}
