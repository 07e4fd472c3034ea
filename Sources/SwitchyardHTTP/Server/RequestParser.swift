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
/// One parser serves a connection for its whole life, and one head's storage at a time: `reset()` the
/// parser after each request; the head is reset by the parser when the next request starts.
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
    private var scanner = HeadScanner()
    /// Index of the request line's first byte (after skipped empty lines); field offsets count from here.
    private var requestStart = 0
    private var emptyLines = 0

    /// How many bytes of the buffer have been examined; exposed so tests can check that no call
    /// rescans what an earlier call already saw.
    var scanOffset: Int { scanner.scanned }

    public init(limits: HTTPLimits) {
        // Field offsets are Int32; a head can never come close, but say so where it is assumed.
        precondition(limits.maxHeaderBytes > 0 && limits.maxHeaderBytes <= Int(Int32.max),
                     "maxHeaderBytes must be positive and fit the Int32 offsets of HTTPField")
        self.limits = limits
    }

    /// Prepares for the next request on the connection.
    public mutating func reset() {
        phase = .idle
        scanner.reset()
        requestStart = 0
        emptyLines = 0
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
        precondition(buffer.count >= scanner.scanned, "parseHead must be given every unread byte, including those already scanned")

        do throws(HTTPParseError) {
            while let line = try scanner.nextLine(in: buffer, maxHeaderBytes: limits.maxHeaderBytes) {
                if try completeLine(line, in: buffer, into: &head) {
                    let end = scanner.scanned
                    try completeHead(in: buffer, end: end, into: &head)
                    return finish(.complete(headLength: end))
                }
            }
        } catch {
            return finish(.failure(error))
        }
        return .incomplete
    }

    private mutating func finish(_ result: HeadParseResult) -> HeadParseResult {
        phase = .finished(result)
        return result
    }

    /// Handles one line (without its CRLF). Returns true when it is the empty line ending the head.
    private mutating func completeLine(
        _ line: HeadLine, in buffer: UnsafeRawBufferPointer, into head: inout HTTPRequestHead
    ) throws(HTTPParseError) -> Bool {
        switch phase {
        case .requestLine:
            if line.range.isEmpty {
                emptyLines += 1
                if emptyLines > Self.maxLeadingEmptyLines { throw .malformedRequestLine }
                return false
            }
            // No control character (HTAB included) passes the method, target or version checks,
            // so the line's control flag needs no look here.
            requestStart = line.range.lowerBound
            try parseRequestLine(line.range, in: buffer, into: &head)
            phase = .fieldLines
            return false
        case .fieldLines:
            if line.range.isEmpty { return true }
            guard head.fields.count < min(limits.maxHeaderCount, HTTPRequestHead.maxFieldCount) else { throw .tooManyHeaders }
            head.fields.append(try HeadScanner.parseFieldLine(line, in: buffer, origin: requestStart))
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

        let targetStart = index + 1
        let targetEnd: Int
        // The usual line: its target is visible ASCII up to the space before the last eight bytes
        // (` HTTP/1.1`), checked eight bytes a step (a byte a step cost a device request's long
        // target some 250 instructions, callgrind). Any other line takes the byte walk, which tells
        // its errors apart; a line the walk accepts, the check accepts with the same target.
        let versionSpace = end - 9
        if versionSpace > targetStart, buffer[versionSpace] == HTTPSyntax.sp,
           UnsafeRawBufferPointer(rebasing: buffer[targetStart..<versionSpace]).isVisibleASCII {
            targetEnd = versionSpace
        } else {
            index = targetStart
            while index < end, buffer[index] != HTTPSyntax.sp {
                guard HTTPSyntax.isVisible(buffer[index]) else { throw .invalidRequestTarget }
                index += 1
            }
            guard index > targetStart, index < end else { throw .malformedRequestLine }
            targetEnd = index
        }

        switch HTTPSyntax.parseVersion(buffer, (targetEnd + 1)..<end) {
        case .supported(let version): head.version = version
        case .unsupported: throw .unsupportedVersion
        case .malformed: throw .malformedRequestLine
        }
        head.method = method
        head.target = Int32(targetStart - requestStart)..<Int32(targetEnd - requestStart)
    }

    /// Copies the head and decides its meaning: framing (RFC 9112 §6.3), Host (§3.2), persistence
    /// (§9.3) and `Expect`. Runs once per request, over the already validated fields.
    private func completeHead(
        in buffer: UnsafeRawBufferPointer, end: Int, into head: inout HTTPRequestHead
    ) throws(HTTPParseError) {
        let section = UnsafeRawBufferPointer(rebasing: buffer[requestStart..<end])
        head.bytes.append(contentsOf: section)

        var hostCount = 0
        var framing = FramingFields()
        var expectsContinue = false
        var singletonsSeen: UInt8 = 0
        for (index, field) in head.fields.enumerated() {
            let name = Int(field.name.lowerBound)..<Int(field.name.upperBound)
            let value = Int(field.value.lowerBound)..<Int(field.value.upperBound)
            guard let known = KnownField(section, name) else { continue }
            head.note(known, at: index)
            switch known {
            case .host:
                hostCount += 1
                guard hostCount == 1 else { throw .duplicateHost }
            case .contentLength:
                try framing.recordContentLength(section, value: value)
            case .transferEncoding:
                try framing.recordTransferEncoding(value: value)
            case .connection:
                framing.recordConnection(section, value: value)
            case .expect:
                if HTTPSyntax.equalsIgnoringCase(section, value, "100-continue") { expectsContinue = true }
            case .keepAlive, .contentEncoding, .authorization, .contentType, .idempotencyKey,
                 .accept, .acceptEncoding, .requestID, .traceparent, .tracestate, .userAgent:
                break
            }
            // After the framing's own checks, so two different lengths stay the finer
            // `conflictingContentLength`; the same length twice is refused here.
            if let singleton = known.singleton {
                guard singletonsSeen & singleton.bit == 0 else { throw .duplicateField(singleton.name.description) }
                singletonsSeen |= singleton.bit
            }
        }

        if head.version == .http1_1, hostCount == 0 { throw .missingHost }
        head.framing = try framing.framing(section, version: head.version, maxBodyBytes: limits.maxBodyBytes)
        head.keepAlive = framing.keepAlive(version: head.version)
        head.expectsContinue = expectsContinue && head.version == .http1_1
    }
}
