/// Why a request was refused while reading its head or its chunked body.
///
/// Every case is fatal for the connection: after a framing error the server cannot know where the
/// next request starts, so it answers with `status` and closes. Cases are fine-grained so that logs
/// and metrics tell smuggling attempts (`contentLengthWithTransferEncoding`, `obsoleteLineFolding`,
/// `whitespaceBeforeColon`, …) apart from clients that are merely broken.
public enum HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    // Request line.
    case malformedRequestLine
    case invalidRequestTarget
    case unsupportedVersion
    // Line structure and field lines (head and trailer section).
    case bareLineFeed
    case bareCarriageReturn
    case obsoleteLineFolding
    case malformedHeaderField
    case invalidFieldName
    case whitespaceBeforeColon
    case invalidFieldValue
    case headerTooLarge
    case tooManyHeaders
    // Host and message framing (RFC 9112 §3.2, §6).
    case missingHost
    case duplicateHost
    /// A field a request may carry only once came twice; the associated value is the field's
    /// canonical name (from `KnownField`, never the client's bytes).
    case duplicateField(String)
    case contentLengthWithTransferEncoding
    case unsupportedTransferEncoding
    case duplicateTransferEncoding
    case transferEncodingInHTTP10
    case invalidContentLength
    case conflictingContentLength
    case bodyTooLarge
    // Chunked body.
    case invalidChunkSize
    case chunkSizeOverflow
    case chunkExtensionTooLong
    case malformedChunk
    case trailerTooLarge
    // Deadlines and the server's own protection: not malformed, but refused before dispatch all the same.
    /// Part of a head arrived, the rest not within `headerTimeoutSeconds`.
    case headTimeout
    /// The body did not arrive within `bodyTimeoutSeconds` of its head.
    case bodyTimeout
    /// The server's pending-body budget is spent; a new body is not read.
    case overloaded

    /// The response status: 431 when the field section is too large, 413 when the body is, 400 for
    /// everything else. A transfer coding other than `chunked` could be 501 (RFC 9112 §6.1) and an
    /// unknown version 505, but both are smuggling vectors as much as unsupported features, and
    /// API.md promises one answer for every malformed request: 400 `invalid_request`, then close.
    public var status: Int {
        switch self {
        case .headerTooLarge, .tooManyHeaders, .trailerTooLarge: 431
        case .bodyTooLarge: 413
        case .headTimeout, .bodyTimeout: 408
        case .overloaded: 503
        default: 400
        }
    }

    /// The detail, for logs.
    public var description: String { detail }

    /// One sentence for the problem document's `detail`. Fixed text only: the request's bytes are
    /// never echoed, so nothing a client sent can be reflected into a response or a log line.
    public var detail: String {
        switch self {
        case .malformedRequestLine:
            "The request line must be a method, a request target and an HTTP version separated by single spaces."
        case .invalidRequestTarget:
            "The request target may contain only visible ASCII characters."
        case .unsupportedVersion:
            "Only HTTP/1.1 and HTTP/1.0 are supported."
        case .bareLineFeed:
            "Lines must end with CRLF; a bare line feed was received."
        case .bareCarriageReturn:
            "A carriage return must be followed by a line feed."
        case .obsoleteLineFolding:
            "Field lines must not start with whitespace (obsolete line folding is not accepted)."
        case .malformedHeaderField:
            "A header field line has no colon."
        case .invalidFieldName:
            "A header field name is empty or contains a character that is not allowed in a token."
        case .whitespaceBeforeColon:
            "Whitespace is not allowed between a header field name and the colon."
        case .invalidFieldValue:
            "A header field value contains a control character."
        case .headerTooLarge:
            "The request header section is too large."
        case .tooManyHeaders:
            "The request has too many header fields."
        case .missingHost:
            "An HTTP/1.1 request must have a Host header field."
        case .duplicateHost:
            "A request must not have more than one Host header field."
        case .duplicateField(let name):
            "A request must not have more than one \(name) header field."
        case .contentLengthWithTransferEncoding:
            "A request must not have both Content-Length and Transfer-Encoding."
        case .unsupportedTransferEncoding:
            "The only supported Transfer-Encoding is a single chunked coding."
        case .duplicateTransferEncoding:
            "A request must not have more than one Transfer-Encoding header field."
        case .transferEncodingInHTTP10:
            "Transfer-Encoding is not allowed in an HTTP/1.0 request."
        case .invalidContentLength:
            "Content-Length must be a non-negative decimal integer of at most 18 digits."
        case .conflictingContentLength:
            "The request has Content-Length header fields with different values."
        case .bodyTooLarge:
            "The request body is too large."
        case .invalidChunkSize:
            "A chunk size must be a hexadecimal number."
        case .chunkSizeOverflow:
            "A chunk size has more than 15 hexadecimal digits."
        case .chunkExtensionTooLong:
            "A chunk extension is too long."
        case .malformedChunk:
            "A chunk is malformed: its data must be followed by CRLF and its extensions must be printable."
        case .trailerTooLarge:
            "The chunked body's trailer section is too large."
        case .headTimeout:
            "The request head did not arrive in time."
        case .bodyTimeout:
            "The request body did not arrive in time."
        case .overloaded:
            "The gateway is holding as many unfinished request bodies as it allows; retry shortly."
        }
    }
}
