/// The request method, recognised without building a `String`.
///
/// Methods are case-sensitive (RFC 9110 §9.1), so `get` is `.other`, not `.get`. The exact bytes of
/// any method, known or not, stay in `HTTPRequestHead.bytes` and are available as
/// `HTTPRequestHead.methodName`.
public enum HTTPMethod: Sendable, Equatable {
    case get, head, post, put, patch, delete, options, trace, connect, other

    /// Whether a repeated request has the same effect as one (RFC 9110 §9.2.2). The upstream pool
    /// retries only such requests; an unknown method is assumed not to be.
    public var isIdempotent: Bool {
        switch self {
        case .get, .head, .put, .delete, .options, .trace: true
        case .post, .patch, .connect, .other: false
        }
    }

    /// The method's name as HTTP spells it; nil for a method the parser does not know.
    public var name: StaticString? {
        switch self {
        case .get: "GET"
        case .head: "HEAD"
        case .post: "POST"
        case .put: "PUT"
        case .patch: "PATCH"
        case .delete: "DELETE"
        case .options: "OPTIONS"
        case .trace: "TRACE"
        case .connect: "CONNECT"
        case .other: nil
        }
    }

    /// Recognises the method token `bytes[range]`, which the caller has already checked to be a
    /// non-empty token. Compares lengths first so that most methods cost one or two byte loads.
    static func recognise(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> HTTPMethod {
        func equals(_ literal: StaticString) -> Bool {
            guard literal.utf8CodeUnitCount == range.count else { return false }
            let start = literal.utf8Start
            for offset in 0..<range.count where bytes[range.lowerBound + offset] != start[offset] {
                return false
            }
            return true
        }
        switch (range.count, bytes[range.lowerBound]) {
        case (3, UInt8(ascii: "G")): return equals("GET") ? .get : .other
        case (3, UInt8(ascii: "P")): return equals("PUT") ? .put : .other
        case (4, UInt8(ascii: "H")): return equals("HEAD") ? .head : .other
        case (4, UInt8(ascii: "P")): return equals("POST") ? .post : .other
        case (5, UInt8(ascii: "P")): return equals("PATCH") ? .patch : .other
        case (5, UInt8(ascii: "T")): return equals("TRACE") ? .trace : .other
        case (6, UInt8(ascii: "D")): return equals("DELETE") ? .delete : .other
        case (7, UInt8(ascii: "O")): return equals("OPTIONS") ? .options : .other
        case (7, UInt8(ascii: "C")): return equals("CONNECT") ? .connect : .other
        default: return .other
        }
    }
}
