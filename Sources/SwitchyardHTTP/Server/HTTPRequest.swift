import SwitchyardIO

/// A complete request: the parsed head, the (de-chunked) body and the request's id.
public struct HTTPRequest {
    public var head: HTTPRequestHead
    public var body: [UInt8]
    /// The client's `X-Request-Id` when it was sane, else one we generated.
    public var requestID: RequestID
    /// Whether the client reached us over TLS (the admin listener is plain).
    public var isTLS: Bool
    /// The client's address, when the server knows it.
    public var client: SocketAddress?
    /// What the responder decided from the head (`HeadDecision.admit`), handed back with the body.
    public var admission: AnyObject?

    public init(head: HTTPRequestHead, body: [UInt8], requestID: RequestID, isTLS: Bool, client: SocketAddress? = nil,
                admission: AnyObject? = nil) {
        self.head = head
        self.body = body
        self.requestID = requestID
        self.isTLS = isTLS
        self.client = client
        self.admission = admission
    }
}
