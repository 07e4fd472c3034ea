/// The limits one listener enforces on its clients (API.md §4 `limits`).
public struct ServerLimits: Sendable, Equatable {
    public var http: HTTPLimits
    /// From accept to a complete first head (TLS handshake included), and from the first byte of
    /// each later head to its end.
    public var headerTimeoutSeconds: Double
    /// From a complete head to the end of its body, however steadily the body trickles in.
    public var bodyTimeoutSeconds: Double
    /// How long a keep-alive connection may wait for its next request, and how long output may
    /// wait for a client that does not read, without progress.
    public var idleTimeoutSeconds: Double
    /// What unfinished request bodies may hold across the server's loops (`PendingBodyBudget`).
    public var maxPendingBodyBytes: Int
    /// Output that may be queued for a client that does not read (API.md §2: 256 KiB). Once half
    /// of it waits, no further request is parsed from the connection (pipelined requests wait)
    /// until the client has read everything.
    public var maxPendingOutputBytes: Int

    public init(http: HTTPLimits = HTTPLimits(), headerTimeoutSeconds: Double = 10, bodyTimeoutSeconds: Double = 30,
                idleTimeoutSeconds: Double = 60, maxPendingBodyBytes: Int = 256 * 1_048_576,
                maxPendingOutputBytes: Int = 256 * 1024) {
        self.http = http
        self.headerTimeoutSeconds = headerTimeoutSeconds
        self.bodyTimeoutSeconds = bodyTimeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maxPendingBodyBytes = maxPendingBodyBytes
        self.maxPendingOutputBytes = maxPendingOutputBytes
    }
}
