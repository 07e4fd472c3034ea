import SwitchyardHTTP
import W3CTraceContext

extension RequestIDGenerator {
    /// A random trace id (128 bits) from the loop's pool: no syscall per id (API.md §2: ids the
    /// gateway makes are not guessable from one another). Never all zero, which W3C reserves.
    ///
    /// Made from its bytes, most significant first as W3CTraceContext's `random(using:)` writes
    /// them: that generic function, not inlined, took a generator holding this object, which was
    /// retained and released for every id (callgrind).
    func traceID() -> TraceID {
        while true {
            let (high, low) = (nextBits(), nextBits())
            guard high | low != 0 else { continue }
            return withUnsafeBytes(of: (high.bigEndian, low.bigEndian)) { TraceID(bytes: $0.load(as: TraceID.Bytes.self)) }
        }
    }

    /// A random span id (64 bits), never all zero.
    func spanID() -> SpanID {
        while true {
            let bits = nextBits()
            guard bits != 0 else { continue }
            return withUnsafeBytes(of: bits.bigEndian) { SpanID(bytes: $0.load(as: SpanID.Bytes.self)) }
        }
    }
}
