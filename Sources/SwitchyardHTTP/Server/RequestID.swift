import SwitchyardIO

/// Request ids: the client's `X-Request-Id` when it is sane, else a new one.
///
/// A generated id is 32 lowercase hex digits holding 128 random bits (API.md §2: ids the gateway
/// makes are not guessable from one another), drawn from the loop's `RandomPool` so an id costs no
/// syscall. One generator per loop.
public final class RequestIDGenerator {
    private let random = RandomPool()

    public init() {}

    /// A new 32-hex-digit id (128 random bits).
    public func next() -> String {
        hex(random.next(), random.next())
    }

    /// 64 random bits from the same pool: for ids kept as numbers (W3C trace and span ids).
    public func nextBits() -> UInt64 {
        random.next()
    }

    private func hex(_ high: UInt64, _ low: UInt64) -> String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            RequestIDGenerator.writeHex(high, into: buffer, at: 0)
            RequestIDGenerator.writeHex(low, into: buffer, at: 16)
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
        return value.allUTF8 { $0 >= 0x21 && $0 <= 0x7E }
    }
}
