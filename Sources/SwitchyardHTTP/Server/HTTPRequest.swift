/// A complete request: the parsed head, the (de-chunked) body and the request's id.
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: [UInt8]
    /// The client's `X-Request-Id` when it was sane, else one we generated.
    public var requestID: String
    /// Whether the client reached us over TLS (the admin listener is plain).
    public var isTLS: Bool
}
