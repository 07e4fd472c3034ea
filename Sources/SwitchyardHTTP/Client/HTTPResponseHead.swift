/// How the body of a response is delimited (RFC 9112 §6.3), decided once by `ResponseParser`.
public enum ResponseBodyFraming: Sendable, Equatable {
    /// No body at all: an answer to HEAD, a 1xx, 204 or 304, whatever its fields say. (Not
    /// `none`, which an optional framing would confuse with `nil`.)
    case noBody
    case contentLength(Int)
    case chunked
    /// Neither `Content-Length` nor `Transfer-Encoding`: the body runs until the server closes,
    /// so the connection cannot be reused.
    case untilClose
}

/// The `Content-Encoding` of a response body.
public enum ContentCoding: Sendable, Equatable {
    case identity
    case gzip
    /// Anything else (`br`, `deflate`, a list of codings): we asked for gzip only, so a client
    /// cannot read it.
    case unsupported
}

/// A parsed response head: a private copy of its bytes plus offsets, the status and the decisions
/// on framing, persistence and content coding.
///
/// A connection parses into one reused head; an `UpstreamResponse` takes the finished head with it.
/// Fields are looked up by name through `HTTPFieldSection` (`firstValue`, `values`, `contains`).
public struct HTTPResponseHead: Sendable, HTTPFieldSection {
    /// The head section from the first byte of the status line through the final CRLF CRLF.
    public internal(set) var bytes: [UInt8]
    public internal(set) var version: HTTPVersion
    /// 100 to 599.
    public internal(set) var status: Int
    /// The reason phrase's bytes (possibly empty); clients are to ignore it (RFC 9112 §4).
    public internal(set) var reason: Range<Int32>
    public internal(set) var fields: [HTTPField]
    public internal(set) var framing: ResponseBodyFraming
    /// Whether the connection may carry another exchange after this one, as far as the head says
    /// (`Connection: close`, HTTP/1.0 without `keep-alive`); a close-delimited body also ends it.
    public internal(set) var keepAlive: Bool
    /// `Keep-Alive: timeout=N`: how long the server keeps an idle connection open, when it says.
    public internal(set) var keepAliveTimeoutSeconds: Int?
    public internal(set) var contentCoding: ContentCoding

    public init() {
        bytes = []
        version = .http1_1
        status = 0
        reason = 0..<0
        fields = []
        framing = .noBody
        keepAlive = false
        keepAliveTimeoutSeconds = nil
        contentCoding = .identity
    }

    /// Forgets the response but keeps the storage.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
        version = .http1_1
        status = 0
        reason = 0..<0
        framing = .noBody
        keepAlive = false
        keepAliveTimeoutSeconds = nil
        contentCoding = .identity
    }

    /// An interim answer (1xx): another head follows for the same request.
    public var isInterim: Bool { status < 200 }

    public var reasonPhrase: String {
        bytes.withUnsafeBytes { HTTPSyntax.decode($0, reason) }
    }
}
