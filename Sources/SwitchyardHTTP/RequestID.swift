/// Request ids: the client's `X-Request-Id` when it is sane, else a new one.
///
/// A generated id is 32 lowercase hex digits: 64 random bits drawn once per loop, then a
/// per-loop counter. Unique across loops and restarts without a syscall or a lock per request;
/// an id needs to be unique, not unguessable.
public final class RequestIDGenerator {
    private let prefix: UInt64
    private var counter: UInt64 = 0

    public init() {
        prefix = UInt64.random(in: .min ... .max)
    }

    public func next() -> String {
        counter &+= 1
        return String(unsafeUninitializedCapacity: 32) { buffer in
            RequestIDGenerator.writeHex(prefix, into: buffer, at: 0)
            RequestIDGenerator.writeHex(counter, into: buffer, at: 16)
            return 32
        }
    }

    private static func writeHex(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        let digits: StaticString = "0123456789abcdef"
        var value = value
        for i in stride(from: offset + 15, through: offset, by: -1) {
            buffer[i] = digits.utf8Start[Int(value & 0xF)]
            value >>= 4
        }
    }

    /// API.md: an id the client sent is echoed only if it is 1…128 visible ASCII characters, so
    /// it can't smuggle a header or a log line.
    public static func isSane(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard !utf8.isEmpty, utf8.count <= 128 else { return false }
        return utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }
}
