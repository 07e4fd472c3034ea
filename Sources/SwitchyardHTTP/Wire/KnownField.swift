/// The field names whose meaning the parsers themselves decide (framing, persistence, `Host`,
/// `Expect`, content coding) or that a request may carry only once, recognised from the name's
/// bytes without building a `String`.
enum KnownField {
    case host, expect, connection, keepAlive, contentLength, contentEncoding, transferEncoding
    case authorization, contentType, idempotencyKey
    case other

    /// API.md §2: fields a request must not repeat (besides `Host` and `Transfer-Encoding`, which
    /// have errors of their own). Given twice, one reader takes the first and another the last:
    /// two tenants' tokens, two media types, two keys. The bit marks the field in a set; the
    /// name is the error's, never the client's spelling.
    var singleton: (bit: UInt8, name: String)? {
        switch self {
        case .contentLength: (1 << 0, "Content-Length")
        case .contentEncoding: (1 << 1, "Content-Encoding")
        case .authorization: (1 << 2, "Authorization")
        case .contentType: (1 << 3, "Content-Type")
        case .idempotencyKey: (1 << 4, "Idempotency-Key")
        case .host, .expect, .connection, .keepAlive, .transferEncoding, .other: nil
        }
    }

    init(_ buffer: UnsafeRawBufferPointer, _ name: Range<Int>) {
        // The length tells the candidates apart, so most names cost one comparison.
        switch name.count {
        case 4: self = HTTPSyntax.equalsIgnoringCase(buffer, name, "host") ? .host : .other
        case 6: self = HTTPSyntax.equalsIgnoringCase(buffer, name, "expect") ? .expect : .other
        case 10:
            if HTTPSyntax.equalsIgnoringCase(buffer, name, "connection") {
                self = .connection
            } else {
                self = HTTPSyntax.equalsIgnoringCase(buffer, name, "keep-alive") ? .keepAlive : .other
            }
        case 12: self = HTTPSyntax.equalsIgnoringCase(buffer, name, "content-type") ? .contentType : .other
        case 13: self = HTTPSyntax.equalsIgnoringCase(buffer, name, "authorization") ? .authorization : .other
        case 14: self = HTTPSyntax.equalsIgnoringCase(buffer, name, "content-length") ? .contentLength : .other
        case 15: self = HTTPSyntax.equalsIgnoringCase(buffer, name, "idempotency-key") ? .idempotencyKey : .other
        case 16: self = HTTPSyntax.equalsIgnoringCase(buffer, name, "content-encoding") ? .contentEncoding : .other
        case 17: self = HTTPSyntax.equalsIgnoringCase(buffer, name, "transfer-encoding") ? .transferEncoding : .other
        default: self = .other
        }
    }
}
