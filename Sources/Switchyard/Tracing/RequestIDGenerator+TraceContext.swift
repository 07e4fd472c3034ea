import SwitchyardHTTP
import W3CTraceContext

extension RequestIDGenerator {
    /// A random trace id (128 bits) from the loop's pool: no syscall per id (API.md §2: ids the
    /// gateway makes are not guessable from one another). Never all zero, which W3C reserves.
    func traceID() -> TraceID {
        var random = PooledRandom(ids: self)
        var id = TraceID.random(using: &random)
        while id == .null { id = TraceID.random(using: &random) }
        return id
    }

    /// A random span id (64 bits), never all zero.
    func spanID() -> SpanID {
        var random = PooledRandom(ids: self)
        var id = SpanID.random(using: &random)
        while id == .null { id = SpanID.random(using: &random) }
        return id
    }
}

/// The loop's random pool as the `RandomNumberGenerator` W3CTraceContext's `random(using:)` takes.
private struct PooledRandom: RandomNumberGenerator {
    let ids: RequestIDGenerator

    mutating func next() -> UInt64 {
        ids.nextBits()
    }
}
