/// The limits one listener enforces on its clients (API.md §4 `limits`).
public struct ServerLimits: Sendable, Equatable {
    public var http: HTTPLimits
    /// From accept to a complete head, and between the pieces of a body.
    public var headerTimeoutSeconds: Double
    /// How long a keep-alive connection may wait for its next request.
    public var idleTimeoutSeconds: Double

    public init(http: HTTPLimits = HTTPLimits(), headerTimeoutSeconds: Double = 10, idleTimeoutSeconds: Double = 60) {
        self.http = http
        self.headerTimeoutSeconds = headerTimeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }
}
