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

/// The handle a responder answers through, once. Answering a connection that closed meanwhile
/// is a no-op, so a late upstream answer can never land on another client's connection.
public struct HTTPExchange {
    /// Strong: an answer may come after the client went away and the server forgot the
    /// connection (a slow upstream); the exchange keeps it alive until then, and `complete`
    /// turns the late answer away.
    let connection: HTTPServerConnection
    let sequence: UInt64

    public func respond(_ response: HTTPResponse) {
        connection.complete(sequence: sequence, with: response)
    }

    /// The loop this exchange lives on: where a responder schedules a delayed answer, and where
    /// work finished elsewhere must come back to (`loop.execute`).
    public var loop: EventLoop { connection.channel.loop }

    /// Misbehaviour on purpose, for the vendor simulators' fault injection: writes `bytes` as
    /// they are (the caller's own status line and framing, or garbage), then closes if asked, or
    /// else takes the next request as if `bytes` had been a complete response (a hand-framed
    /// chunked answer on a keep-alive connection). Never used by the gateway.
    public func respondRaw(_ bytes: [UInt8], thenClose close: Bool) {
        connection.completeRaw(sequence: sequence, bytes: bytes, close: close)
    }

    /// Misbehaviour on purpose: writes `bytes` (a cut answer, garbage), then resets the
    /// connection (RST) instead of closing it. Never used by the gateway.
    public func respondRawThenReset(_ bytes: [UInt8]) {
        connection.completeRawThenReset(sequence: sequence, bytes: bytes)
    }

    /// Misbehaviour on purpose: writes `bytes` (interim heads) and never answers further; the
    /// connection stays open until the peer or the idle timeout closes it. Never used by the gateway.
    public func respondRawAndStall(_ bytes: [UInt8]) {
        connection.completeRawAndStall(sequence: sequence, bytes: bytes)
    }

    /// Resets the connection (RST) instead of answering: the simulators' "connection reset".
    public func resetConnection() {
        connection.reset(sequence: sequence)
    }
}
