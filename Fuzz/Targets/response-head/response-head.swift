import FuzzSupport
import SwitchyardHTTP

/// Fuzzes `ResponseParser.parseHead` (Sources/SwitchyardHTTP/ResponseParser.swift) with the input
/// as what an upstream sent, and the body readers a client runs after it: `ChunkedDecoder` for a
/// chunked body, `GzipDecoder` for a gzip one.
///
/// Invariants:
/// - `.complete(headLength)`: headLength ≤ input length; the head ends in CRLF CRLF and holds no
///   bare LF; status 100–599 and never 101; the reason and every field lie inside the head;
///   at most `maxHeaderCount` fields; a `Content-Length` framing is within `maxBodyBytes`; 1xx,
///   204 and 304 have no body; a close-delimited body is never keep-alive.
/// - The same input read as the answer to HEAD: the same outcome, status and fields, no body.
/// - Incremental parsing (thirds, one byte then the rest, a byte at a time) gives the same result
///   and head as parsing at once; a finished parser repeats its result.
/// - Chunked bodies decode to at most `maxBodyBytes`; gzip output stays within its limit.
@main
enum ResponseHeadFuzzer {
    static func main() { FuzzDriver.run(testOneInput) }
}

let limits = HTTPLimits(maxHeaderBytes: 2048, maxBodyBytes: 65_536, maxHeaderCount: 16)
/// libFuzzer calls the target from one thread.
nonisolated(unsafe) let gzip = GzipDecoder()

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBuffer(data, size)
    var parser = ResponseParser(limits: limits)
    var head = HTTPResponseHead()
    let whole = parser.parseHead(input, requestMethod: .put, into: &head)
    invariant(parser.parseHead(input, requestMethod: .put, into: &head) == whole, "a finished parser must repeat its result")

    var headParser = ResponseParser(limits: limits)
    var headHead = HTTPResponseHead()
    let asHead = headParser.parseHead(input, requestMethod: .head, into: &headHead)

    switch whole {
    case .complete(let headLength):
        checkComplete(head, headLength: headLength, size: size)
        invariant(asHead == whole, "as a HEAD answer: \(asHead), as a PUT answer: \(whole)")
        invariant(headHead.status == head.status && headHead.fields == head.fields, "HEAD: another status or fields")
        invariant(headHead.framing == .noBody, "an answer to HEAD with a body: \(headHead.framing)")
        readBody(head, UnsafeRawBufferPointer(rebasing: input[headLength...]))
    case .failure:
        // A body-size error only exists when there is a body; every other failure is the same for HEAD.
        if case .failure(.message(.bodyTooLarge)) = whole {} else {
            invariant(asHead == whole, "as a HEAD answer: \(asHead), as a PUT answer: \(whole)")
        }
    case .incomplete:
        invariant(asHead == .incomplete, "HEAD: \(asHead) where PUT is incomplete")
    }

    for plan in splitPlans(size: size) {
        var pieces = ResponseParser(limits: limits)
        var pieceHead = HTTPResponseHead()
        var result = ResponseHeadParseResult.incomplete
        for end in plan {
            result = pieces.parseHead(UnsafeRawBufferPointer(rebasing: input[0..<end]), requestMethod: .put, into: &pieceHead)
            if result != .incomplete { break }
        }
        invariant(result == whole, "split at \(plan.prefix(3))…: \(result), at once: \(whole)")
        if case .complete = whole {
            invariant(pieceHead.bytes == head.bytes && pieceHead.fields == head.fields && pieceHead.status == head.status
                      && pieceHead.framing == head.framing && pieceHead.keepAlive == head.keepAlive
                      && pieceHead.contentCoding == head.contentCoding && pieceHead.keepAliveTimeoutSeconds == head.keepAliveTimeoutSeconds,
                      "split at \(plan.prefix(3))…: a different head")
        }
    }
    return 0
}

func checkComplete(_ head: HTTPResponseHead, headLength: Int, size: Int) {
    invariant(headLength <= size, "headLength \(headLength) > input \(size)")
    let bytes = head.bytes
    invariant(bytes.count == headLength, "head bytes \(bytes.count) != headLength \(headLength)")
    invariant(bytes.count >= 4 && Array(bytes.suffix(4)) == [13, 10, 13, 10], "the head does not end in CRLF CRLF")
    for index in bytes.indices where bytes[index] == 10 {
        invariant(index > 0 && bytes[index - 1] == 13, "a bare LF at \(index) in an accepted head")
    }
    invariant((100...599).contains(head.status) && head.status != 101, "status \(head.status)")
    let count = Int32(bytes.count)
    invariant(head.reason.lowerBound >= 0 && head.reason.upperBound <= count, "reason \(head.reason) outside the head")
    invariant(head.fields.count <= limits.maxHeaderCount, "\(head.fields.count) fields")
    for field in head.fields {
        invariant(field.name.lowerBound >= 0 && field.name.upperBound <= count && !field.name.isEmpty, "field name outside the head")
        invariant(field.value.lowerBound >= field.name.upperBound && field.value.upperBound <= count, "field value outside the head")
        _ = head.name(of: field)
        _ = head.value(of: field)
    }
    if case .contentLength(let length) = head.framing {
        invariant(length >= 0 && length <= limits.maxBodyBytes, "Content-Length \(length) accepted")
    }
    if head.status < 200 || head.status == 204 || head.status == 304 {
        invariant(head.framing == .noBody, "status \(head.status) with a body framing \(head.framing)")
    }
    if head.framing == .untilClose { invariant(!head.keepAlive, "a close-delimited body on a keep-alive connection") }
    if let timeout = head.keepAliveTimeoutSeconds { invariant(timeout >= 0, "Keep-Alive timeout \(timeout)") }
    _ = head.reasonPhrase
    _ = head.firstValue("retry-after")
}

/// What the client does with the bytes after the head.
func readBody(_ head: HTTPResponseHead, _ rest: UnsafeRawBufferPointer) {
    var body: [UInt8]
    switch head.framing {
    case .noBody:
        return
    case .contentLength(let length):
        body = Array(rest.prefix(length))
    case .untilClose:
        body = Array(rest)
    case .chunked:
        var decoder = ChunkedDecoder(limits: limits)
        body = []
        _ = decoder.decode(rest, appendingTo: &body)
        invariant(body.count <= limits.maxBodyBytes, "chunked body \(body.count) past maxBodyBytes")
    }
    if head.contentCoding == .gzip {
        if let decoded = try? gzip.decompress(body, limit: limits.maxBodyBytes) {
            invariant(decoded.count <= limits.maxBodyBytes, "gzip output \(decoded.count) past its limit")
        }
    }
}
