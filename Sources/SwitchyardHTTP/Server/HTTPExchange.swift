import SwitchyardIO

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
