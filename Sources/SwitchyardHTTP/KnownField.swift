/// The field names whose meaning the parsers themselves decide (framing, persistence, `Host`,
/// `Expect`, content coding), recognised from the name's bytes without building a `String`.
enum KnownField {
    case host, expect, connection, keepAlive, contentLength, contentEncoding, transferEncoding, other

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
        case 14: self = HTTPSyntax.equalsIgnoringCase(buffer, name, "content-length") ? .contentLength : .other
        case 16: self = HTTPSyntax.equalsIgnoringCase(buffer, name, "content-encoding") ? .contentEncoding : .other
        case 17: self = HTTPSyntax.equalsIgnoringCase(buffer, name, "transfer-encoding") ? .transferEncoding : .other
        default: self = .other
        }
    }
}
