import FuzzSupport
import SwitchyardHTTP

/// Fuzzes `RequestParser.parseHead` (Sources/SwitchyardHTTP/RequestParser.swift) with the input
/// as the bytes a client sent on a connection.
///
/// Invariants:
/// - `.complete(headLength)`: headLength ≤ input length; the head's bytes end in CRLF CRLF, are
///   no longer than headLength, hold no bare LF and no obs-fold; the target and every field lie
///   inside them; at most `maxHeaderCount` fields; no field name is empty or holds whitespace;
///   a `Content-Length` framing is within `maxBodyBytes`; the accessors (path, query, method
///   name, field lookups) do not trap.
/// - `.failure(error)`: a 4xx status (431, 413 or 400).
/// - Incremental parsing: the same bytes delivered in pieces (thirds, one byte then the rest,
///   a byte at a time) give the same result and the same head as delivered at once.
/// - A finished parser repeats its result; after `reset()` a reused parser and head parse the
///   input again to the same result.
@main
enum RequestHeadFuzzer {
    static func main() { FuzzDriver.run(testOneInput) }
}

/// Small bounds so the limits are reachable within libFuzzer's input sizes.
let limits = HTTPLimits(maxHeaderBytes: 2048, maxBodyBytes: 65_536, maxHeaderCount: 16)

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBuffer(data, size)
    var parser = RequestParser(limits: limits)
    var head = HTTPRequestHead()
    let whole = parser.parseHead(input, into: &head)
    invariant(parser.parseHead(input, into: &head) == whole, "a finished parser must repeat its result")

    switch whole {
    case .complete(let headLength):
        checkComplete(head, headLength: headLength, size: size)
    case .failure(let error):
        invariant([400, 413, 431].contains(error.status), "a parse failure with status \(error.status)")
    case .incomplete:
        break
    }

    for plan in splitPlans(size: size) {
        var pieces = RequestParser(limits: limits)
        var pieceHead = HTTPRequestHead()
        var result = HeadParseResult.incomplete
        for end in plan {
            result = pieces.parseHead(UnsafeRawBufferPointer(rebasing: input[0..<end]), into: &pieceHead)
            if result != .incomplete { break }
        }
        invariant(result == whole, "split at \(plan.prefix(3))…: \(result), at once: \(whole)")
        if case .complete = whole { invariant(same(pieceHead, head), "split at \(plan.prefix(3))…: a different head") }
    }

    parser.reset()
    let again = parser.parseHead(input, into: &head)
    invariant(again == whole, "after reset(): \(again), first: \(whole)")
    return 0
}

func checkComplete(_ head: HTTPRequestHead, headLength: Int, size: Int) {
    invariant(headLength <= size, "headLength \(headLength) > input \(size)")
    let bytes = head.bytes
    invariant(bytes.count <= headLength, "head bytes \(bytes.count) > headLength \(headLength)")
    invariant(bytes.count >= 4 && Array(bytes.suffix(4)) == [13, 10, 13, 10], "the head does not end in CRLF CRLF")
    for index in bytes.indices where bytes[index] == 10 {
        invariant(index > 0 && bytes[index - 1] == 13, "a bare LF at \(index) in an accepted head")
        if index + 1 < bytes.count {
            invariant(bytes[index + 1] != 32 && bytes[index + 1] != 9, "obs-fold at \(index + 1) in an accepted head")
        }
    }
    let count = Int32(bytes.count)
    invariant(head.target.lowerBound >= 0 && head.target.upperBound <= count && !head.target.isEmpty, "target \(head.target) outside the head")
    invariant(head.fields.count <= limits.maxHeaderCount, "\(head.fields.count) fields")
    for field in head.fields {
        invariant(field.name.lowerBound >= 0 && field.name.upperBound <= count && !field.name.isEmpty, "field name \(field.name) outside the head")
        invariant(field.value.lowerBound >= field.name.upperBound && field.value.upperBound <= count, "field value \(field.value) outside the head")
        for index in field.name {
            let byte = bytes[Int(index)]
            invariant(byte > 32 && byte != 58 && byte < 127, "field name byte \(byte)")
        }
        _ = head.name(of: field)
        _ = head.value(of: field)
    }
    if case .contentLength(let length) = head.framing {
        invariant(length >= 0 && length <= limits.maxBodyBytes, "Content-Length \(length) accepted")
        invariant(!head.contains("transfer-encoding"), "Content-Length accepted next to Transfer-Encoding")
    }
    if head.framing == .chunked { invariant(!head.contains("content-length"), "chunked accepted next to Content-Length") }
    invariant(head.values("host").count <= 1, "two Host fields accepted")
    if head.version == .http1_1 { invariant(head.contains("host"), "HTTP/1.1 without Host accepted") }
    _ = head.path
    _ = head.query
    _ = head.methodName
    _ = head.targetString
}

func same(_ a: HTTPRequestHead, _ b: HTTPRequestHead) -> Bool {
    a.bytes == b.bytes && a.method == b.method && a.target == b.target && a.version == b.version
        && a.fields == b.fields && a.framing == b.framing && a.keepAlive == b.keepAlive && a.expectsContinue == b.expectsContinue
}
