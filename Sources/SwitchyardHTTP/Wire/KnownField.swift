import SwitchyardIO

/// The field names the parsers decide themselves (framing, persistence, `Host`, `Expect`, content
/// coding), that a request may carry only once, or that the gateway reads on every request,
/// recognised from the name's bytes without building a `String`.
///
/// A request head notes where each one's first line is (`HTTPRequestHead.withFirstValue(_:_:)`),
/// so the lookups every request makes go straight to their line instead of comparing every name.
public enum KnownField: Int, CaseIterable, Sendable {
    case host, expect, connection, keepAlive, contentLength, contentEncoding, transferEncoding
    case authorization, contentType, idempotencyKey
    case accept, acceptEncoding, requestID, traceparent, tracestate, userAgent

    /// The name as the lookups by name spell it.
    public var lowercaseName: StaticString {
        switch self {
        case .host: "host"
        case .expect: "expect"
        case .connection: "connection"
        case .keepAlive: "keep-alive"
        case .contentLength: "content-length"
        case .contentEncoding: "content-encoding"
        case .transferEncoding: "transfer-encoding"
        case .authorization: "authorization"
        case .contentType: "content-type"
        case .idempotencyKey: "idempotency-key"
        case .accept: "accept"
        case .acceptEncoding: "accept-encoding"
        case .requestID: "x-request-id"
        case .traceparent: "traceparent"
        case .tracestate: "tracestate"
        case .userAgent: "user-agent"
        }
    }

    /// API.md §2: fields a request must not repeat (besides `Host` and `Transfer-Encoding`, which
    /// have errors of their own). Given twice, one reader takes the first and another the last:
    /// two tenants' tokens, two media types, two keys. The bit marks the field in a set; the
    /// name is the error's, never the client's spelling: a `StaticString`, not a `String`, which
    /// was released for every known field line of every request.
    var singleton: (bit: UInt8, name: StaticString)? {
        switch self {
        case .contentLength: (1 << 0, "Content-Length")
        case .contentEncoding: (1 << 1, "Content-Encoding")
        case .authorization: (1 << 2, "Authorization")
        case .contentType: (1 << 3, "Content-Type")
        case .idempotencyKey: (1 << 4, "Idempotency-Key")
        case .host, .expect, .connection, .keepAlive, .transferEncoding: nil
        case .accept, .acceptEncoding, .requestID, .traceparent, .tracestate, .userAgent: nil
        }
    }

    /// The field `buffer[name]` names, nil for any other; `name` already read as `tchar`, as the
    /// parsers' fields are (`HTTPSyntax.equalsFieldName`). The length and the first letter tell
    /// the candidates apart, so a name costs at most one comparison.
    init?(_ buffer: UnsafeRawBufferPointer, _ name: Range<Int>) {
        guard !name.isEmpty else { return nil }
        let candidate: KnownField
        switch (name.count, ASCII.lowercased(buffer[name.lowerBound])) {
        case (4, UInt8(ascii: "h")): candidate = .host
        case (6, UInt8(ascii: "e")): candidate = .expect
        case (6, UInt8(ascii: "a")): candidate = .accept
        case (10, UInt8(ascii: "c")): candidate = .connection
        case (10, UInt8(ascii: "k")): candidate = .keepAlive
        case (10, UInt8(ascii: "t")): candidate = .tracestate
        case (10, UInt8(ascii: "u")): candidate = .userAgent
        case (11, UInt8(ascii: "t")): candidate = .traceparent
        case (12, UInt8(ascii: "c")): candidate = .contentType
        case (12, UInt8(ascii: "x")): candidate = .requestID
        case (13, UInt8(ascii: "a")): candidate = .authorization
        case (14, UInt8(ascii: "c")): candidate = .contentLength
        case (15, UInt8(ascii: "i")): candidate = .idempotencyKey
        case (15, UInt8(ascii: "a")): candidate = .acceptEncoding
        case (16, UInt8(ascii: "c")): candidate = .contentEncoding
        case (17, UInt8(ascii: "t")): candidate = .transferEncoding
        default: return nil
        }
        guard HTTPSyntax.equalsFieldName(buffer, name, candidate.lowercaseName) else { return nil }
        self = candidate
    }
}
