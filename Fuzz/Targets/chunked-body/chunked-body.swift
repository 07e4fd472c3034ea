import FuzzSupport
import SwitchyardHTTP

/// Fuzzes `ChunkedDecoder` (Sources/SwitchyardHTTP/ChunkedDecoder.swift) two ways.
///
/// 1. The input as the bytes after a `Transfer-Encoding: chunked` head. Invariants: `consumed`
///    never exceeds what was given; the body is never longer than the bytes consumed (until a
///    failure, which reports no count) nor than
///    `maxBodyBytes`; a failure is a 4xx; a finished decoder answers `.complete(consumed: 0)` and
///    a failed one the same failure; the same bytes in pieces (thirds, one byte then the rest, a
///    byte at a time) give the same outcome, the same body and the same total consumed.
/// 2. The input as a payload: chunked by sizes taken from its own bytes (with extensions and a
///    trailer field on some), followed by extra bytes. The decoder must return exactly the
///    payload and stop right after the final CRLF.
@main
enum ChunkedBodyFuzzer {
    static func main() { FuzzDriver.run(testOneInput) }
}

let limits = HTTPLimits(maxHeaderBytes: 512, maxBodyBytes: 32_768, maxHeaderCount: 8)

enum Outcome: Equatable {
    case incomplete, complete, failure(HTTPParseError)
}

/// Feeds `input` cut at `plan` (ends of successive pieces, the connection's reads), carrying the
/// unconsumed bytes over as a connection's buffer does.
func decode(_ input: UnsafeRawBufferPointer, plan: [Int]) -> (Outcome, body: [UInt8], consumed: Int) {
    var decoder = ChunkedDecoder(limits: limits)
    var body: [UInt8] = []
    var consumed = 0
    for end in plan {
        let piece = UnsafeRawBufferPointer(rebasing: input[consumed..<end])
        let bodyBefore = body.count
        switch decoder.decode(piece, appendingTo: &body) {
        case .incomplete(let used):
            invariant(used == piece.count, "incomplete, but consumed \(used) of \(piece.count)")
            invariant(body.count - bodyBefore <= used, "appended more than consumed")
            consumed += used
        case .complete(let used):
            invariant(used <= piece.count, "consumed \(used) of \(piece.count)")
            invariant(body.count - bodyBefore <= used, "appended more than consumed")
            consumed += used
            invariant(decoder.decode(piece, appendingTo: &body) == .complete(consumed: 0), "a finished decoder must answer complete(0)")
            return (.complete, body, consumed)
        case .failure(let error):
            invariant([400, 413, 431].contains(error.status), "a failure with status \(error.status)")
            invariant(decoder.decode(piece, appendingTo: &body) == .failure(error), "a failed decoder must repeat its failure")
            return (.failure(error), body, consumed)
        }
        invariant(body.count <= limits.maxBodyBytes, "body \(body.count) past maxBodyBytes")
    }
    return (.incomplete, body, consumed)
}

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBuffer(data, size)

    // 1. The input as wire bytes.
    let whole = decode(input, plan: size == 0 ? [] : [size])
    if whole.0 == .complete || whole.0 == .incomplete {
        invariant(whole.body.count <= whole.consumed, "body longer than the bytes consumed")
    }
    for plan in splitPlans(size: size) {
        let pieces = decode(input, plan: plan)
        invariant(pieces.0 == whole.0, "split \(plan.prefix(3))…: \(pieces.0), at once: \(whole.0)")
        invariant(pieces.body == whole.body, "split \(plan.prefix(3))…: a different body")
        if case .complete = whole.0 { invariant(pieces.consumed == whole.consumed, "split: consumed \(pieces.consumed) vs \(whole.consumed)") }
    }

    // 2. The input as a payload, encoded here and decoded back.
    let payload = Array(input)
    var encoded: [UInt8] = []
    var offset = 0
    var round = 0
    while offset < payload.count {
        let length = min(payload.count - offset, 1 + Int(payload[offset]) % 97)
        var sizeLine = String(length, radix: 16, uppercase: round % 2 == 1)
        if round % 3 == 2 { sizeLine = "00" + sizeLine }
        if round % 4 == 1 { sizeLine += " ;ext=\"v\";n" }
        encoded += Array(sizeLine.utf8) + [13, 10] + payload[offset..<(offset + length)] + [13, 10]
        offset += length
        round += 1
    }
    encoded += Array("0\r\n".utf8)
    if payload.count % 2 == 1 { encoded += Array("x-checksum: abc\r\n".utf8) }
    encoded += [13, 10]
    let wireLength = encoded.count
    encoded += Array("GET / HTTP/1.1\r\n".utf8)  // the next request, not to be consumed
    encoded.withUnsafeBytes { wire in
        let decoded = decode(wire, plan: [wire.count])
        if payload.count <= limits.maxBodyBytes {
            invariant(decoded.0 == .complete, "own encoding of \(payload.count) bytes: \(decoded.0)")
            invariant(decoded.body == payload, "own encoding: the body differs")
            invariant(decoded.consumed == wireLength, "own encoding: consumed \(decoded.consumed), expected \(wireLength)")
        }
    }
    return 0
}
