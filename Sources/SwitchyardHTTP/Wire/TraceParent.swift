import W3CTraceContext

/// A W3C Trace Context `traceparent` (API.md §2): `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`.
///
/// Read here rather than with W3CTraceContext's `TraceContext(traceParentHeaderValue:)`, which
/// copies the value into an array (an allocation on every request that has the header), throws
/// an error (another) for a malformed one, and refuses any version but 00, where the spec says a
/// later version is read as 00 (its first four fields; what follows them is ignored). The
/// package's id and flag types are used as they are: plain bytes, nothing allocated.
public struct TraceParent: Sendable {
    public var traceID: TraceID
    public var parentID: SpanID
    public var flags: TraceFlags

    /// Nil for an invalid value: not lowercase hex where hex belongs, an id all zeros, version
    /// `ff`, a version-00 value of another length, or a later version whose fifth field does not
    /// start with `-`.
    public init?(_ value: String) {
        let parsed = value.utf8.withContiguousStorageIfAvailable(Self.parse) ?? Array(value.utf8).withUnsafeBufferPointer(Self.parse)
        guard let parsed else { return nil }
        self = parsed
    }

    public init(traceID: TraceID, parentID: SpanID, flags: TraceFlags) {
        self.traceID = traceID
        self.parentID = parentID
        self.flags = flags
    }

    /// The length of a version-00 value.
    static let length = 55

    /// The version-00 value (what a vendor is told, whatever version came in: a version-00 value
    /// comes out as it came, its hex being lowercase, a later one as its first four fields), written into a
    /// buffer on the stack: it goes on every vendor call, so no `String` is made for it.
    public func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.length) { buffer in
            buffer[0] = UInt8(ascii: "0")
            buffer[1] = UInt8(ascii: "0")
            buffer[2] = UInt8(ascii: "-")
            Hex.write(traceID.bytes, into: buffer, at: 3)
            buffer[35] = UInt8(ascii: "-")
            Hex.write(parentID.bytes, into: buffer, at: 36)
            buffer[52] = UInt8(ascii: "-")
            Hex.write(flags.rawValue, into: buffer, at: 53)
            return try body(UnsafeBufferPointer(buffer))
        }
    }

    /// The version-00 value as text (tests, logs).
    public var headerValue: String {
        withUTF8 { String(decoding: $0, as: UTF8.self) }
    }

    private static let dash = UInt8(ascii: "-")

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> TraceParent? {
        guard bytes.count >= 55, let version = Hex.byte(bytes[0], bytes[1]), version != 0xFF,
              bytes[2] == dash, bytes[35] == dash, bytes[52] == dash else { return nil }
        if version == 0 {
            guard bytes.count == 55 else { return nil }
        } else {
            guard bytes.count == 55 || bytes[55] == dash else { return nil }
        }
        var trace = TraceID.null.bytes
        var parent = SpanID.null.bytes
        let readTrace = withUnsafeMutableBytes(of: &trace) { Hex.read(bytes, from: 3, into: $0) }
        let readParent = withUnsafeMutableBytes(of: &parent) { Hex.read(bytes, from: 36, into: $0) }
        guard readTrace, readParent, let flags = Hex.byte(bytes[53], bytes[54]) else { return nil }
        let parsed = TraceParent(traceID: TraceID(bytes: trace), parentID: SpanID(bytes: parent), flags: TraceFlags(rawValue: flags))
        guard parsed.traceID != .null, parsed.parentID != .null else { return nil }
        return parsed
    }
}
