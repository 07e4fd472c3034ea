/// The application behind an `HTTPServer`: the gateway's pipeline, or the admin endpoints.
///
/// Called on the connection's loop. `respond` may answer at once or later (after an upstream
/// call), always on the same loop, through the `HTTPExchange`.
public protocol HTTPResponder: AnyObject, Sendable {
    func respond(to request: HTTPRequest, exchange: HTTPExchange)
    /// The answer to a request that could not be parsed (a problem document). The connection
    /// closes after it: after a framing error nothing more on the stream can be trusted.
    func rejection(for error: HTTPParseError, requestID: String) -> HTTPResponse
}

/// The handle a responder answers through, once. Answering a connection that closed meanwhile
/// is a no-op, so a late upstream answer can never land on another client's connection.
public struct HTTPExchange {
    unowned let connection: HTTPServerConnection
    let sequence: UInt64

    public func respond(_ response: HTTPResponse) {
        connection.complete(sequence: sequence, with: response)
    }

    /// The loop this exchange lives on; a responder that goes off-loop must come back here.
    public var loop: EventLoopReference { EventLoopReference(loop: connection.channel.loop) }
}

import SwitchyardIO

/// A sendable way back to a connection's loop for work that finished elsewhere.
public struct EventLoopReference: Sendable {
    public let loop: EventLoop
}
