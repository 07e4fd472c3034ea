/// One RESP2 reply (plus RESP3's `_` null, which is read as `.null`).
public enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    case bulkString([UInt8])
    case array([RESPValue])
    /// `$-1`, `*-1` or `_`.
    case null

    /// The text of a simple or bulk string (bulk strings decoded as UTF-8, lossily).
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    public var array: [RESPValue]? {
        if case .array(let values) = self { return values }
        return nil
    }
}

/// Why a Redis command has no reply.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The per-command deadline passed first; a late reply is discarded.
    case timeout
    /// No connection to Redis (refused, reset, closed, reconnecting), or the client was closed.
    case unavailable
    /// Too many commands in flight on every connection.
    case overloaded
    /// Redis answered with an error reply (`-ERR …`, `-NOSCRIPT …`).
    case server(String)
    /// The reply could not be read, or did not have the expected shape.
    case protocolError(String)

    public var description: String {
        switch self {
        case .timeout: "redis: timeout"
        case .unavailable: "redis: unavailable"
        case .overloaded: "redis: too many commands in flight"
        case .server(let message): "redis: \(message)"
        case .protocolError(let message): "redis protocol error: \(message)"
        }
    }
}
