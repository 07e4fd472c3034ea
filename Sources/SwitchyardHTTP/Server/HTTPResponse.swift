/// A response as the gateway builds it. The server connection adds the framing headers itself
/// (`date`, `content-length`, `connection`, `x-request-id`), so a responder can't get them wrong.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    /// Lines the responder wrote as bytes (`FieldLines`), sent after `headers`: values formatted
    /// from numbers on every answer (the rate limit's), which as `String`s would cost an
    /// allocation each. In one of the loop's reused arrays, handed back once written.
    public var encodedHeaders: [UInt8] = []
    public var body: [UInt8]
    /// Close the connection after this response (the request left the stream unusable).
    public var closeConnection: Bool

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [], closeConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.closeConnection = closeConnection
    }

    /// Every header line, `headers` then the encoded ones read back: for tests and tools.
    public var fields: [(name: String, value: String)] {
        headers + FieldLines.decode(encodedHeaders)
    }
}
