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
    public var admission: AnyObject? {
        get { decided === Undecided.none ? nil : decided }
        set { decided = newValue ?? Undecided.none }
    }
    /// `admission` stored without an optional: with a reference-counted optional, Swift 6.3 copied
    /// the whole request where the server made it and handed it on, and destroyed the original
    /// (about 250 instructions a request, callgrind), as it did the `UpstreamRequest` it returned
    /// (`UpstreamRequest.segment`).
    private var decided: AnyObject

    public init(head: HTTPRequestHead, body: [UInt8], requestID: RequestID, isTLS: Bool, client: SocketAddress? = nil,
                admission: AnyObject? = nil) {
        self.head = head
        self.body = body
        self.requestID = requestID
        self.isTLS = isTLS
        self.client = client
        decided = admission ?? Undecided.none
    }
}

/// What `HTTPRequest.decided` holds when the responder decided nothing.
private final class Undecided: Sendable {
    static let none = Undecided()
}
