/// A response as the gateway builds it. The server connection adds the framing headers itself
/// (`date`, `content-length`, `connection`, `x-request-id`), so a responder can't get them wrong.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Close the connection after this response (the request left the stream unusable).
    public var closeConnection: Bool

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [], closeConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.closeConnection = closeConnection
    }
}
