import SwitchyardIO

/// What a head's `Content-Length`, `Transfer-Encoding` and `Connection` fields say, collected while
/// its fields are walked once, and the framing and persistence decided from them (RFC 9112 §6.3,
/// §9.3).
///
/// Requests and responses obey the same strict rules here, so both parsers share this: repeated
/// identical lengths are allowed, different ones are not; `Transfer-Encoding` must be one field
/// holding a lone `chunked`, never next to a `Content-Length` and never in HTTP/1.0. Whatever two
/// implementations could frame differently is refused rather than guessed.
struct FramingFields {
    private var transferEncoding: Range<Int>? = nil
    private var contentLength: Int? = nil
    private var connectionClose = false
    private var connectionKeepAlive = false

    mutating func recordContentLength(_ section: UnsafeRawBufferPointer, value: Range<Int>) throws(HTTPParseError) {
        guard let length = Self.parseDecimal(section, value) else { throw .invalidContentLength }
        // Repeated identical lengths are allowed (RFC 9112 §6.3 item 5); different ones are the
        // textbook desynchronisation.
        if let previous = contentLength, previous != length { throw .conflictingContentLength }
        contentLength = length
    }

    mutating func recordTransferEncoding(value: Range<Int>) throws(HTTPParseError) {
        guard transferEncoding == nil else { throw .duplicateTransferEncoding }
        transferEncoding = value
    }

    mutating func recordConnection(_ section: UnsafeRawBufferPointer, value: Range<Int>) {
        HTTPSyntax.forEachListElement(section, value) { element in
            if HTTPSyntax.equalsIgnoringCase(section, element, "close") { connectionClose = true }
            if HTTPSyntax.equalsIgnoringCase(section, element, "keep-alive") { connectionKeepAlive = true }
        }
    }

    /// How the body is delimited; `.none` when neither field is present (for a request: no body;
    /// for a response: read until the connection closes). A length above `maxBodyBytes` is refused
    /// here, before any of the body is read.
    func framing(_ section: UnsafeRawBufferPointer, version: HTTPVersion, maxBodyBytes: Int) throws(HTTPParseError) -> BodyFraming {
        if let codings = transferEncoding {
            if contentLength != nil { throw .contentLengthWithTransferEncoding }
            // HTTP/1.0 has no chunked coding; a 1.0 message with Transfer-Encoding is framed
            // differently by different implementations (RFC 9112 §6.1), so it is refused.
            if version == .http1_0 { throw .transferEncodingInHTTP10 }
            // Only a lone `chunked`: any other coding we would have to undo ourselves, and a list
            // (`gzip, chunked`) or a near-miss (`xchunked`) is what smuggling probes send.
            guard HTTPSyntax.equalsIgnoringCase(section, codings, "chunked") else { throw .unsupportedTransferEncoding }
            return .chunked
        }
        if let length = contentLength {
            guard length <= maxBodyBytes else { throw .bodyTooLarge }
            return .contentLength(length)
        }
        return .none
    }

    /// Whether the connection may carry another message: for HTTP/1.1 unless `Connection` lists
    /// `close`, for HTTP/1.0 only if it lists `keep-alive` (and not `close`).
    func keepAlive(version: HTTPVersion) -> Bool {
        switch version {
        case .http1_1: !connectionClose
        case .http1_0: connectionKeepAlive && !connectionClose
        }
    }

    /// `1*DIGIT`, at most 18 digits so the value always fits an `Int` without overflow checks.
    static func parseDecimal(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var length = 0
        for index in range {
            let byte = buffer[index]
            guard ASCII.isDigit(byte) else { return nil }
            length = length &* 10 &+ Int(byte &- UInt8(ascii: "0"))
        }
        return length
    }
}
