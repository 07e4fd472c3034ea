/// The outcome of one `RequestParser.parseHead` call.
public enum HeadParseResult: Equatable, Sendable {
    /// Every byte so far is a valid prefix of a head; call again when more arrive.
    case incomplete
    /// The head is complete, valid and stored in the `HTTPRequestHead`. `headLength` counts from
    /// the start of the buffer (any skipped empty lines included) through the final CRLF CRLF:
    /// drop that many bytes, and what follows is the body (or the next request).
    case complete(headLength: Int)
    /// The request is invalid; answer with `error.status` and close the connection.
    case failure(HTTPParseError)
}

/// A strict, incremental RFC 9112 request-head parser.
///
/// Strict because a gateway that is more lenient than the upstream behind it (or the reverse) is
/// how requests get smuggled: every ambiguity RFC 9112 allows a server to reject — bare LF, obs-fold,
/// whitespace before a colon, `Content-Length` with `Transfer-Encoding`, list-valued or signed
/// lengths, codings other than a lone `chunked` — is rejected here, and the framing is decided once,
/// in `HTTPRequestHead.framing`.
///
/// Incremental because clients may send a head a byte at a time. The parser remembers how far it
/// has scanned and validates each line exactly once, when its CRLF arrives, so the total work for a
/// head is O(length) however it is split; the `maxHeaderBytes` bound caps what a slow client can
/// make the connection hold. A bare LF fails at once, without waiting for the rest of the line.
///
/// One parser and one head serve a connection for its whole life: `reset()` the parser after each
/// request; the head is reset by the parser when the next request starts.
public struct RequestParser: Sendable {
    /// RFC 9112 §2.2 asks servers to ignore at least one empty line before a request line (old
    /// clients send a CRLF after a POST body); more than a few is not a client but a probe.
    public static let maxLeadingEmptyLines = 4

    public let limits: HTTPLimits

    private enum Phase: Sendable, Equatable {
        case idle, requestLine, fieldLines
        case finished(HeadParseResult)
    }

    private var phase: Phase = .idle
    /// Index of the first byte not yet examined; everything before it has been scanned once.
    private var scanned = 0
    /// Index where the line being scanned starts.
    private var lineStart = 0
    /// Index of the request line's first byte (after skipped empty lines); field offsets count from here.
    private var requestStart = 0
    private var emptyLines = 0
    /// Whether the line being scanned holds a control character other than HTAB (CR and LF end
    /// lines, so they never count). Lets the field-line parser skip re-checking clean values.
    private var lineHasControl = false

    /// How many bytes of the buffer have been examined; exposed so tests can check that no call
    /// rescans what an earlier call already saw.
    var scanOffset: Int { scanned }

    public init(limits: HTTPLimits) {
        // Field offsets are Int32; a head can never come close, but say so where it is assumed.
        precondition(limits.maxHeaderBytes > 0 && limits.maxHeaderBytes <= Int(Int32.max),
                     "maxHeaderBytes must be positive and fit the Int32 offsets of HTTPField")
        self.limits = limits
    }

    /// Prepares for the next request on the connection.
    public mutating func reset() {
        phase = .idle
        scanned = 0
        lineStart = 0
        requestStart = 0
        emptyLines = 0
        lineHasControl = false
    }

    /// Parses as much of the head as `buffer` holds.
    ///
    /// `buffer` is every unread byte of the connection, starting where the request starts; when
    /// the result is `.incomplete`, call again with the same bytes plus whatever has arrived (the
    /// storage may move; only offsets are remembered) and the same `head`. After `.complete` or
    /// `.failure`, further calls return the same result until `reset()`.
    public mutating func parseHead(_ buffer: UnsafeRawBufferPointer, into head: inout HTTPRequestHead) -> HeadParseResult {
        switch phase {
        case .finished(let result):
            return result
        case .idle:
            head.reset()
            phase = .requestLine
        case .requestLine, .fieldLines:
            break
        }
        // A shorter buffer means the caller dropped bytes we already accounted for: continuing would
        // parse a different request from the one validated so far.
        precondition(buffer.count >= scanned, "parseHead must be given every unread byte, including those already scanned")

        let limit = min(buffer.count, limits.maxHeaderBytes)
        var index = scanned
        do throws(HTTPParseError) {
            while index < limit {
                // Eight bytes at a time while none is a control character: CR, LF and anything a
                // field value may not contain are all controls, and a head has few of them.
                if index &+ 8 <= limit {
                    // In bounds by the check above; an unaligned load is sound for any UInt64.
                    let word = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                    let controls = HTTPSyntax.controlBytes(word)
                    if controls == 0 {
                        index &+= 8
                        continue
                    }
                    index &+= controls.trailingZeroBitCount &>> 3
                }
                let byte = buffer[index]
                if byte >= HTTPSyntax.sp && byte != HTTPSyntax.del {
                    index &+= 1
                    continue
                }
                if byte == HTTPSyntax.lf { throw HTTPParseError.bareLineFeed }
                if byte != HTTPSyntax.cr {
                    // HTAB is fine in a value; other controls are not, but which error that is
                    // depends on where in the line they are, so the line's parser decides.
                    if byte != HTTPSyntax.htab { lineHasControl = true }
                    index &+= 1
                    continue
                }
                // A CR as the last byte available: wait for the next one to know if it is a line end.
                guard index + 1 < limit else { break }
                guard buffer[index + 1] == HTTPSyntax.lf else { throw HTTPParseError.bareCarriageReturn }
                let line = lineStart..<index
                index += 2
                if try completeLine(line, in: buffer, into: &head) {
                    try completeHead(in: buffer, end: index, into: &head)
                    return finish(.complete(headLength: index))
                }
                lineStart = index
                lineHasControl = false
            }
        } catch {
            return finish(.failure(error))
        }
        scanned = index
        if buffer.count > limits.maxHeaderBytes { return finish(.failure(.headerTooLarge)) }
        return .incomplete
    }

    private mutating func finish(_ result: HeadParseResult) -> HeadParseResult {
        phase = .finished(result)
        return result
    }

    /// Handles one line (without its CRLF). Returns true when it is the empty line ending the head.
    private mutating func completeLine(
        _ line: Range<Int>, in buffer: UnsafeRawBufferPointer, into head: inout HTTPRequestHead
    ) throws(HTTPParseError) -> Bool {
        switch phase {
        case .requestLine:
            if line.isEmpty {
                emptyLines += 1
                if emptyLines > Self.maxLeadingEmptyLines { throw .malformedRequestLine }
                return false
            }
            requestStart = line.lowerBound
            try parseRequestLine(line, in: buffer, into: &head)
            phase = .fieldLines
            return false
        case .fieldLines:
            if line.isEmpty { return true }
            guard head.fields.count < limits.maxHeaderCount else { throw .tooManyHeaders }
            head.fields.append(try parseFieldLine(line, in: buffer))
            return false
        case .idle, .finished:
            preconditionFailure("lines are only completed while a head is being parsed")
        }
    }

    /// `method SP request-target SP HTTP-version`, exactly one space each (RFC 9112 §3).
    private func parseRequestLine(
        _ line: Range<Int>, in buffer: UnsafeRawBufferPointer, into head: inout HTTPRequestHead
    ) throws(HTTPParseError) {
        let end = line.upperBound
        var index = line.lowerBound
        while index < end, HTTPSyntax.isTokenCharacter(buffer[index]) { index += 1 }
        guard index > line.lowerBound, index < end, buffer[index] == HTTPSyntax.sp else { throw .malformedRequestLine }
        let method = HTTPMethod.recognise(buffer, line.lowerBound..<index)

        index += 1
        let targetStart = index
        while index < end, buffer[index] != HTTPSyntax.sp {
            guard HTTPSyntax.isVisible(buffer[index]) else { throw .invalidRequestTarget }
            index += 1
        }
        guard index > targetStart, index < end else { throw .malformedRequestLine }
        let targetEnd = index

        head.version = try Self.parseVersion(buffer, (index + 1)..<end)
        head.method = method
        head.target = Int32(targetStart - requestStart)..<Int32(targetEnd - requestStart)
    }

    /// Exactly `HTTP/1.1` or `HTTP/1.0`. Any other `HTTP/d.d` is a version we recognise but do not
    /// speak; anything else (lower case, extra bytes, missing digits) is not a request line.
    private static func parseVersion(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) throws(HTTPParseError) -> HTTPVersion {
        guard range.count == 8, HTTPSyntax.hasPrefix(buffer, range, "HTTP/") else { throw .malformedRequestLine }
        let major = buffer[range.lowerBound + 5], dot = buffer[range.lowerBound + 6], minor = buffer[range.lowerBound + 7]
        guard HTTPSyntax.isDigit(major), dot == UInt8(ascii: "."), HTTPSyntax.isDigit(minor) else { throw .malformedRequestLine }
        switch (major, minor) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .http1_1
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .http1_0
        default: throw .unsupportedVersion
        }
    }

    /// `field-name ":" OWS field-value OWS` (RFC 9112 §5), with offsets relative to the request line.
    private func parseFieldLine(_ line: Range<Int>, in buffer: UnsafeRawBufferPointer) throws(HTTPParseError) -> HTTPField {
        let end = line.upperBound
        var index = line.lowerBound
        // A field line can only start with whitespace as a continuation (obs-fold, or whitespace
        // between the request line and the first field): both are smuggling vectors, both rejected.
        if HTTPSyntax.isWhitespace(buffer[index]) { throw .obsoleteLineFolding }
        while index < end, HTTPSyntax.isTokenCharacter(buffer[index]) { index += 1 }
        guard index < end else { throw .malformedHeaderField }
        if buffer[index] != HTTPSyntax.colon {
            guard HTTPSyntax.isWhitespace(buffer[index]) else { throw .invalidFieldName }
            // `Name : value` is the classic way to make two parsers disagree on a name.
            var next = index
            while next < end, HTTPSyntax.isWhitespace(buffer[next]) { next += 1 }
            throw next < end && buffer[next] == HTTPSyntax.colon ? .whitespaceBeforeColon : .malformedHeaderField
        }
        guard index > line.lowerBound else { throw .invalidFieldName }
        let name = line.lowerBound..<index

        var valueStart = index + 1
        while valueStart < end, HTTPSyntax.isWhitespace(buffer[valueStart]) { valueStart += 1 }
        var valueEnd = end
        while valueEnd > valueStart, HTTPSyntax.isWhitespace(buffer[valueEnd - 1]) { valueEnd -= 1 }
        // The scan has already seen every byte of the line: only a line with a control character
        // needs its value checked byte by byte (the name's token check has caught any in the name).
        if lineHasControl {
            for position in valueStart..<valueEnd where !HTTPSyntax.isFieldValueByte(buffer[position]) {
                throw .invalidFieldValue
            }
        }
        return HTTPField(name: offsets(name), value: offsets(valueStart..<valueEnd))
    }

    private func offsets(_ range: Range<Int>) -> Range<Int32> {
        Int32(range.lowerBound - requestStart)..<Int32(range.upperBound - requestStart)
    }

    /// Copies the head and decides its meaning: framing (RFC 9112 §6.3), Host (§3.2), persistence
    /// (§9.3) and `Expect`. Runs once per request, over the already validated fields.
    private func completeHead(
        in buffer: UnsafeRawBufferPointer, end: Int, into head: inout HTTPRequestHead
    ) throws(HTTPParseError) {
        let section = UnsafeRawBufferPointer(rebasing: buffer[requestStart..<end])
        head.bytes.append(contentsOf: section)

        var hostCount = 0
        var transferEncoding: Range<Int>? = nil
        var contentLength: Int? = nil
        var connectionClose = false
        var connectionKeepAlive = false
        var expectsContinue = false
        for field in head.fields {
            let name = Int(field.name.lowerBound)..<Int(field.name.upperBound)
            let value = Int(field.value.lowerBound)..<Int(field.value.upperBound)
            switch KnownField(section, name) {
            case .host:
                hostCount += 1
                guard hostCount == 1 else { throw .duplicateHost }
            case .contentLength:
                guard let length = Self.parseContentLength(section, value) else { throw .invalidContentLength }
                // Repeated identical lengths are allowed (RFC 9112 §6.3 item 5); different ones
                // are the textbook desynchronisation.
                if let previous = contentLength, previous != length { throw .conflictingContentLength }
                contentLength = length
            case .transferEncoding:
                guard transferEncoding == nil else { throw .duplicateTransferEncoding }
                transferEncoding = value
            case .connection:
                HTTPSyntax.forEachListElement(section, value) { element in
                    if HTTPSyntax.equalsIgnoringCase(section, element, "close") { connectionClose = true }
                    if HTTPSyntax.equalsIgnoringCase(section, element, "keep-alive") { connectionKeepAlive = true }
                }
            case .expect:
                if HTTPSyntax.equalsIgnoringCase(section, value, "100-continue") { expectsContinue = true }
            case .other:
                break
            }
        }

        if head.version == .http1_1, hostCount == 0 { throw .missingHost }

        if let codings = transferEncoding {
            if contentLength != nil { throw .contentLengthWithTransferEncoding }
            // HTTP/1.0 has no chunked coding; a 1.0 message with Transfer-Encoding is framed
            // differently by different implementations (RFC 9112 §6.1), so it is refused.
            if head.version == .http1_0 { throw .transferEncodingInHTTP10 }
            // Only a lone `chunked`: any other coding we would have to undo ourselves, and a list
            // (`gzip, chunked`) or a near-miss (`xchunked`) is what smuggling probes send.
            guard HTTPSyntax.equalsIgnoringCase(section, codings, "chunked") else { throw .unsupportedTransferEncoding }
            head.framing = .chunked
        } else if let length = contentLength {
            guard length <= limits.maxBodyBytes else { throw .bodyTooLarge }
            head.framing = .contentLength(length)
        } else {
            head.framing = .none
        }

        switch head.version {
        case .http1_1: head.keepAlive = !connectionClose
        case .http1_0: head.keepAlive = connectionKeepAlive && !connectionClose
        }
        head.expectsContinue = expectsContinue && head.version == .http1_1
    }

    /// `1*DIGIT`, at most 18 digits so the value always fits an `Int` without overflow checks.
    private static func parseContentLength(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var length = 0
        for index in range {
            let byte = buffer[index]
            guard HTTPSyntax.isDigit(byte) else { return nil }
            length = length &* 10 &+ Int(byte &- UInt8(ascii: "0"))
        }
        return length
    }

    /// The fields whose meaning the parser itself must decide.
    private enum KnownField {
        case host, contentLength, transferEncoding, connection, expect, other

        init(_ buffer: UnsafeRawBufferPointer, _ name: Range<Int>) {
            // The length tells the candidates apart, so most names cost one comparison.
            switch name.count {
            case 4: self = HTTPSyntax.equalsIgnoringCase(buffer, name, "host") ? .host : .other
            case 6: self = HTTPSyntax.equalsIgnoringCase(buffer, name, "expect") ? .expect : .other
            case 10: self = HTTPSyntax.equalsIgnoringCase(buffer, name, "connection") ? .connection : .other
            case 14: self = HTTPSyntax.equalsIgnoringCase(buffer, name, "content-length") ? .contentLength : .other
            case 17: self = HTTPSyntax.equalsIgnoringCase(buffer, name, "transfer-encoding") ? .transferEncoding : .other
            default: self = .other
            }
        }
    }
}
