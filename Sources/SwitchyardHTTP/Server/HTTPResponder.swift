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
    /// client without a credential can't make the server hold or wait for a body. nil reads the
    /// body and calls `respond`. Called on the connection's loop.
    func refusalBeforeBody(_ head: HTTPRequestHead, requestID: String, loop: EventLoop) -> HTTPResponse?
    func respond(to request: HTTPRequest, exchange: HTTPExchange)
    /// The answer to a request that could not be parsed (a problem document). The connection
    /// closes after it: after a framing error nothing more on the stream can be trusted.
    func rejection(for error: HTTPParseError, requestID: String) -> HTTPResponse
}

extension HTTPResponder {
    /// Responders that decide everything from the whole request (the admin endpoints, the
    /// simulators) read every body.
    public func refusalBeforeBody(_ head: HTTPRequestHead, requestID: String, loop: EventLoop) -> HTTPResponse? { nil }
}
