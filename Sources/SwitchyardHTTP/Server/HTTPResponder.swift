import SwitchyardIO

/// The application behind an `HTTPServer`: the gateway's pipeline, the admin endpoints, a vendor
/// simulator.
///
/// Called on the connection's loop. `respond` may answer at once or later (after an upstream
/// call), always on the same loop, through the `HTTPExchange`.
public protocol HTTPResponder: AnyObject, Sendable {
    /// Decides from the head alone, before any of the body is read, whether the request is
    /// refused (API.md §2: no valid credential, no resource at the path, a method it does not
    /// take). A refusal is sent at once and the connection closes with the body unread, so a
    /// client without a credential can't make the server hold or wait for a body. Admitted, the
    /// body is read and `respond` gets the request with what was decided here
    /// (`HTTPRequest.admission`), so nothing is decided twice. Called on the connection's loop.
    func admit(_ head: HTTPRequestHead, requestID: RequestID, client: SocketAddress?, loop: EventLoop) -> HeadDecision
    /// The request is lent: the server made it for this call, moving its head in rather than
    /// copying it, and takes back the head the responder leaves in it, as the storage the
    /// connection parses its next head into. A responder that keeps the head swaps it for one it
    /// has done with (the gateway's request hands back the previous request's); one that reads the
    /// request and answers leaves it. Either way, no head is copied and none allocated.
    func respond(to request: inout HTTPRequest, exchange: HTTPExchange)
    /// The answer to a request that could not be parsed (a problem document). The connection
    /// closes after it: after a framing error nothing more on the stream can be trusted.
    func rejection(for error: HTTPParseError, requestID: RequestID) -> HTTPResponse
}

/// What a responder decided from a request's head.
public enum HeadDecision {
    /// Answer with this, without reading the body.
    case refuse(HTTPResponse)
    /// Read the body, then `respond`; the object (the responder's own, or nil) comes back as the
    /// request's `admission`.
    case admit(AnyObject?)
}

extension HTTPResponder {
    /// Responders that decide everything from the whole request (the admin endpoints, the
    /// simulators) read every body.
    public func admit(_ head: HTTPRequestHead, requestID: RequestID, client: SocketAddress?, loop: EventLoop) -> HeadDecision {
        .admit(nil)
    }
}
