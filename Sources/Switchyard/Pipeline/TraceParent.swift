import SwitchyardHTTP

/// W3C Trace Context's `traceparent` (API.md §2: propagated upstream, generated when absent).
/// The gateway creates no spans of its own, so a valid incoming value goes upstream unchanged;
/// an absent or invalid one is replaced by a new trace.
enum TraceParent {
    /// `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`, lowercase, ids not all zero.
    static func isValid(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard bytes.count == 55, bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-"),
              bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "0") else { return false }
        func isHex(_ range: Range<Int>) -> Bool {
            bytes[range].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
        }
        func isZero(_ range: Range<Int>) -> Bool { bytes[range].allSatisfy { $0 == UInt8(ascii: "0") } }
        return isHex(3..<35) && isHex(36..<52) && isHex(53..<55) && !isZero(3..<35) && !isZero(36..<52)
    }

    /// The trace id of a valid `traceparent` (characters 3–34).
    static func traceID(of traceParent: String) -> String {
        String(traceParent.utf8.dropFirst(3).prefix(32)) ?? ""
    }

    /// The value to send upstream: the client's when valid, else a new sampled trace with random
    /// ids from the loop's id generator (128-bit trace id, 64-bit parent id; no syscall per id).
    static func upstreamValue(_ incoming: String?, ids: RequestIDGenerator) -> String {
        if let incoming, isValid(incoming) { return incoming }
        return "00-\(ids.next())-\(ids.nextShort())-01"
    }
}
