/// The bounds on upstream calls made through one `UpstreamClient` (API.md §4 `limits`, plus the
/// pool's own).
public struct UpstreamLimits: Sendable, Equatable {
    /// TCP connect plus TLS handshake (`limits.upstreamConnectTimeoutSeconds`).
    public var connectTimeoutSeconds: Double
    /// From `send` to the complete response, retry included (`limits.upstreamTimeoutSeconds`).
    public var timeoutSeconds: Double
    public var maxResponseHeaderBytes: Int
    public var maxResponseHeaderCount: Int
    /// The body as received and, separately, after gzip decoding: a compressed answer is bounded
    /// both ways, so neither a long stream nor a zip bomb can grow memory past it.
    public var maxResponseBodyBytes: Int
    /// Idle connections kept per pool key; beyond it the least recently used one is closed.
    public var maxIdlePerKey: Int
    /// How long an idle connection is kept; shortened to one second less than a server's
    /// `Keep-Alive: timeout=N`, so we never reuse a connection the server is about to close.
    public var idleTimeoutSeconds: Double

    public init(
        connectTimeoutSeconds: Double = 2,
        timeoutSeconds: Double = 10,
        maxResponseHeaderBytes: Int = 16_384,
        maxResponseHeaderCount: Int = 100,
        maxResponseBodyBytes: Int = 4 * 1_048_576,
        maxIdlePerKey: Int = 32,
        idleTimeoutSeconds: Double = 30
    ) {
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.timeoutSeconds = timeoutSeconds
        self.maxResponseHeaderBytes = maxResponseHeaderBytes
        self.maxResponseHeaderCount = maxResponseHeaderCount
        self.maxResponseBodyBytes = maxResponseBodyBytes
        self.maxIdlePerKey = maxIdlePerKey
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }

    /// Interim (1xx) answers accepted before the final one of a call (API.md §2).
    public static let maxInterimResponses = 8

    /// The parser's view: head bounds and the body bound for `Content-Length` and chunked bodies.
    var http: HTTPLimits {
        HTTPLimits(maxHeaderBytes: maxResponseHeaderBytes, maxBodyBytes: maxResponseBodyBytes, maxHeaderCount: maxResponseHeaderCount)
    }
}
