import SwitchyardIO

/// Why an upstream's response head could not be accepted.
public enum ResponseParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not `HTTP-version SP 3DIGIT [SP reason-phrase]`, a status outside 100–599, or a control
    /// character in the reason phrase.
    case malformedStatusLine
    /// `HTTP/d.d` other than 1.1 and 1.0.
    case unsupportedVersion
    /// 101 Switching Protocols: we never ask to upgrade, so the stream is no longer HTTP/1.1.
    case unexpectedSwitchingProtocols
    /// A field-line, framing or size rule shared with the request side (`RequestParser`).
    case message(HTTPParseError)

    /// For logs and a problem's `detail`: what is wrong, in words (never the vendor's bytes, never
    /// a Swift type).
    public var description: String {
        switch self {
        case .malformedStatusLine: "the status line is malformed"
        case .unsupportedVersion: "an HTTP version other than 1.1 and 1.0"
        case .unexpectedSwitchingProtocols: "101 Switching Protocols, which was not asked for"
        case .message(.bodyTooLarge): "the body is larger than the limit"
        case .message(.headerTooLarge), .message(.tooManyHeaders): "the head is larger than the limit"
        case .message(.contentLengthWithTransferEncoding): "both Content-Length and Transfer-Encoding"
        case .message(.conflictingContentLength): "Content-Length fields with different values"
        case .message(.duplicateTransferEncoding): "Transfer-Encoding twice"
        case .message(.transferEncodingInHTTP10): "Transfer-Encoding in HTTP/1.0"
        case .message(let error):
            // The request-side sentences of the other cases read as well for an answer.
            String(error.detail.prefix(1).lowercased() + error.detail.dropFirst().dropLast())
        }
    }
}

/// The outcome of one `ResponseParser.parseHead` call.
public enum ResponseHeadParseResult: Equatable, Sendable {
    /// Every byte so far is a valid prefix of a head; call again when more arrive.
    case incomplete
    /// The head is complete and stored in the `HTTPResponseHead`; drop `headLength` bytes and what
    /// follows is the body. A 1xx head (`head.isInterim`) has no body: reset the parser and parse
    /// the next head of the same response.
    case complete(headLength: Int)
    /// The response is invalid; the connection cannot be used any more.
    case failure(ResponseParseError)
}

/// A strict, incremental RFC 9112 response-head parser: the client-side twin of `RequestParser`,
/// sharing its line scanner (`HeadScanner`), its field-line rules and its framing rules
/// (`FramingFields`), so that the gateway reads both directions by one standard.
///
/// Strict in the same way: bare LF, obs-fold, whitespace before a colon, `Content-Length` next to
/// `Transfer-Encoding`, conflicting lengths, codings other than a lone `chunked`, and oversized
/// heads or bodies are errors. A response is framed by the request too: an answer to HEAD, a 1xx,
/// 204 or 304 has no body whatever its fields say (RFC 9112 §6.3), which is why `parseHead` takes
/// the request's method.
public struct ResponseParser: Sendable {
    /// `maxHeaderBytes` bounds the head, `maxHeaderCount` its field lines, `maxBodyBytes` a
    /// `Content-Length` (and, in the client, chunked and close-delimited bodies too).
    public let limits: HTTPLimits

    private enum Phase: Sendable, Equatable {
        case idle, statusLine, fieldLines
        case finished(ResponseHeadParseResult)
    }

    private var phase: Phase = .idle
    private var scanner = HeadScanner()

    public init(limits: HTTPLimits) {
        precondition(limits.maxHeaderBytes > 0 && limits.maxHeaderBytes <= Int(Int32.max),
                     "maxHeaderBytes must be positive and fit the Int32 offsets of HTTPField")
        self.limits = limits
    }

    /// Prepares for the next head (the next response, or the final head after a 1xx).
    public mutating func reset() {
        phase = .idle
        scanner.reset()
    }

    /// Parses as much of the head as `buffer` holds. `buffer` is every unread byte of the
    /// connection, starting where the response starts; on `.incomplete`, call again with the same
    /// bytes plus more. After `.complete` or `.failure` the same result comes back until `reset()`.
    public mutating func parseHead(
        _ buffer: UnsafeRawBufferPointer, requestMethod: HTTPMethod, into head: inout HTTPResponseHead
    ) -> ResponseHeadParseResult {
        switch phase {
        case .finished(let result):
            return result
        case .idle:
            head.reset()
            phase = .statusLine
        case .statusLine, .fieldLines:
            break
        }
        precondition(buffer.count >= scanner.scanned, "parseHead must be given every unread byte, including those already scanned")

        do throws(ResponseParseError) {
            while let line = try nextLine(in: buffer) {
                if phase == .statusLine {
                    try Self.parseStatusLine(line, in: buffer, into: &head)
                    phase = .fieldLines
                } else if !line.range.isEmpty {
                    try appendField(line, in: buffer, to: &head)
                } else {
                    let end = scanner.scanned
                    try completeHead(in: buffer, end: end, requestMethod: requestMethod, into: &head)
                    return finish(.complete(headLength: end))
                }
            }
        } catch {
            return finish(.failure(error))
        }
        return .incomplete
    }

    private mutating func nextLine(in buffer: UnsafeRawBufferPointer) throws(ResponseParseError) -> HeadLine? {
        do {
            return try scanner.nextLine(in: buffer, maxHeaderBytes: limits.maxHeaderBytes)
        } catch {
            throw .message(error)
        }
    }

    private func appendField(_ line: HeadLine, in buffer: UnsafeRawBufferPointer, to head: inout HTTPResponseHead) throws(ResponseParseError) {
        guard head.fields.count < limits.maxHeaderCount else { throw .message(.tooManyHeaders) }
        do {
            head.fields.append(try HeadScanner.parseFieldLine(line, in: buffer, origin: 0))
        } catch {
            throw .message(error)
        }
    }

    private mutating func finish(_ result: ResponseHeadParseResult) -> ResponseHeadParseResult {
        phase = .finished(result)
        return result
    }

    /// `HTTP-version SP status-code SP reason-phrase` (RFC 9112 §4). The SP before an empty reason
    /// may be missing: servers that leave it out are common and nothing depends on the phrase.
    /// An empty line before the status line is an error: unlike a request, no allowance is made.
    private static func parseStatusLine(
        _ line: HeadLine, in buffer: UnsafeRawBufferPointer, into head: inout HTTPResponseHead
    ) throws(ResponseParseError) {
        let start = line.range.lowerBound, end = line.range.upperBound
        // The scanner flags any control but HTAB; a reason phrase may hold HTAB, nothing else.
        guard !line.hasControl, end - start >= 12, buffer[start + 8] == HTTPSyntax.sp else {
            throw .malformedStatusLine
        }
        switch HTTPSyntax.parseVersion(buffer, start..<(start + 8)) {
        case .supported(let version): head.version = version
        case .unsupported: throw .unsupportedVersion
        case .malformed: throw .malformedStatusLine
        }
        var status = 0
        for index in (start + 9)..<(start + 12) {
            guard ASCII.isDigit(buffer[index]) else { throw .malformedStatusLine }
            status = status * 10 + Int(buffer[index] &- UInt8(ascii: "0"))
        }
        guard (100...599).contains(status) else { throw .malformedStatusLine }
        if status == 101 { throw .unexpectedSwitchingProtocols }
        var reasonStart = start + 12
        if reasonStart < end {
            guard buffer[reasonStart] == HTTPSyntax.sp else { throw .malformedStatusLine }
            reasonStart += 1
        }
        head.status = status
        head.reason = Int32(reasonStart)..<Int32(end)
    }

    /// Copies the head and decides framing, persistence, `Keep-Alive: timeout` and the content
    /// coding. Runs once per head, over the already validated fields.
    private func completeHead(
        in buffer: UnsafeRawBufferPointer, end: Int, requestMethod: HTTPMethod, into head: inout HTTPResponseHead
    ) throws(ResponseParseError) {
        let section = UnsafeRawBufferPointer(rebasing: buffer[0..<end])
        head.bytes.append(contentsOf: section)

        var framing = FramingFields()
        var codings = 0
        for field in head.fields {
            let name = Int(field.name.lowerBound)..<Int(field.name.upperBound)
            let value = Int(field.value.lowerBound)..<Int(field.value.upperBound)
            switch KnownField(section, name) {
            case .contentLength:
                do { try framing.recordContentLength(section, value: value) } catch { throw .message(error) }
            case .transferEncoding:
                do { try framing.recordTransferEncoding(value: value) } catch { throw .message(error) }
            case .connection:
                framing.recordConnection(section, value: value)
            case .keepAlive:
                if let timeout = Self.keepAliveTimeout(section, value) { head.keepAliveTimeoutSeconds = timeout }
            case .contentEncoding:
                codings += 1
                head.contentCoding = Self.contentCoding(section, value)
            case .host, .expect, .authorization, .contentType, .idempotencyKey,
                 .accept, .acceptEncoding, .requestID, .traceparent, .tracestate, .userAgent, nil:
                break
            }
        }
        // Two Content-Encoding lines are a list of codings, which we never asked for.
        if codings > 1 { head.contentCoding = .unsupported }

        let hasBody = !(requestMethod == .head || head.status < 200 || head.status == 204 || head.status == 304)
        // Without a body the length describes a representation we don't read, so it is not
        // bounded; the framing rules (conflicts, codings) still hold.
        let decided: BodyFraming
        do {
            decided = try framing.framing(section, version: head.version, maxBodyBytes: hasBody ? limits.maxBodyBytes : Int.max)
        } catch {
            throw .message(error)
        }
        switch decided {
        case _ where !hasBody: head.framing = .noBody
        case .none: head.framing = .untilClose
        case .contentLength(let length): head.framing = .contentLength(length)
        case .chunked: head.framing = .chunked
        }
        head.keepAlive = framing.keepAlive(version: head.version) && head.framing != .untilClose
    }

    /// The `timeout=N` parameter of `Keep-Alive` (a de-facto header, RFC 2068 §19.7.1.1).
    private static func keepAliveTimeout(_ section: UnsafeRawBufferPointer, _ value: Range<Int>) -> Int? {
        var result: Int? = nil
        HTTPSyntax.forEachListElement(section, value) { element in
            let prefix = 8 // "timeout="
            guard element.count > prefix, element.count <= prefix + 9,
                  HTTPSyntax.equalsIgnoringCase(section, element.lowerBound..<(element.lowerBound + prefix), "timeout=")
            else { return }
            result = FramingFields.parseDecimal(section, (element.lowerBound + prefix)..<element.upperBound)
        }
        return result
    }

    private static func contentCoding(_ section: UnsafeRawBufferPointer, _ value: Range<Int>) -> ContentCoding {
        if HTTPSyntax.equalsIgnoringCase(section, value, "gzip") || HTTPSyntax.equalsIgnoringCase(section, value, "x-gzip") {
            return .gzip
        }
        if value.isEmpty || HTTPSyntax.equalsIgnoringCase(section, value, "identity") { return .identity }
        return .unsupported
    }
}
