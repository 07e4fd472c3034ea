import SwitchyardIO

/// The handle a responder answers through, once. Answering a connection that closed meanwhile
/// is a no-op, so a late upstream answer can never land on another client's connection.
public struct HTTPExchange {
    private enum Peer {
        /// Strong: an answer may come after the client went away and the server forgot the
        /// connection (a slow upstream); the exchange keeps it alive until then, and `complete`
        /// turns the late answer away.
        case connection(HTTPServerConnection, sequence: UInt64)
        /// A responder driven without a server: its tests (`PipelineTests`).
        case callback(EventLoop, (HTTPResponse) -> Void)
    }

    private let peer: Peer

    init(connection: HTTPServerConnection, sequence: UInt64) {
        peer = .connection(connection, sequence: sequence)
    }

    /// An exchange with no connection behind it, whose answer goes to `respond`: drives a
    /// responder in-process, on `loop`, without sockets (the gateway's pipeline tests).
    public init(loop: EventLoop, respond: @escaping (HTTPResponse) -> Void) {
        peer = .callback(loop, respond)
    }

    public func respond(_ response: consuming HTTPResponse) {
        switch peer {
        case .connection(let connection, let sequence): connection.complete(sequence: sequence, with: response)
        case .callback(_, let respond): respond(response)
        }
    }

    /// The loop this exchange lives on: where a responder schedules a delayed answer, and where
    /// work finished elsewhere must come back to (`loop.execute`).
    public var loop: EventLoop {
        switch peer {
        case .connection(let connection, _): connection.channel.loop
        case .callback(let loop, _): loop
        }
    }

    /// The connection the misbehaviours below act on; they exist for the simulators, which are
    /// always served by a real server.
    private var served: (connection: HTTPServerConnection, sequence: UInt64) {
        guard case .connection(let connection, let sequence) = peer else {
            preconditionFailure("raw answers and resets need a connection; this exchange has none")
        }
        return (connection, sequence)
    }

    /// Misbehaviour on purpose, for the vendor simulators' fault injection: writes `bytes` as
    /// they are (the caller's own status line and framing, or garbage), then closes if asked, or
    /// else takes the next request as if `bytes` had been a complete response (a hand-framed
    /// chunked answer on a keep-alive connection). Never used by the gateway.
    public func respondRaw(_ bytes: [UInt8], thenClose close: Bool) {
        let (connection, sequence) = served
        connection.completeRaw(sequence: sequence, bytes: bytes, close: close)
    }

    /// Misbehaviour on purpose: writes `bytes` (a cut answer, garbage), then resets the
    /// connection (RST) instead of closing it. Never used by the gateway.
    public func respondRawThenReset(_ bytes: [UInt8]) {
        let (connection, sequence) = served
        connection.completeRawThenReset(sequence: sequence, bytes: bytes)
    }

    /// Misbehaviour on purpose: writes `bytes` (interim heads) and never answers further; the
    /// connection stays open until the peer or the idle timeout closes it. Never used by the gateway.
    public func respondRawAndStall(_ bytes: [UInt8]) {
        let (connection, sequence) = served
        connection.completeRawAndStall(sequence: sequence, bytes: bytes)
    }

    /// Resets the connection (RST) instead of answering: the simulators' "connection reset".
    public func resetConnection() {
        let (connection, sequence) = served
        connection.reset(sequence: sequence)
    }
}
