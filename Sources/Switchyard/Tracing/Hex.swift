import W3CTraceContext

/// Lowercase hex for trace context ids, read and written in place: W3C headers and OTLP/JSON both
/// spell ids this way (OTLP/JSON deliberately not base64).
enum Hex {
    private static let digits: StaticString = "0123456789abcdef"

    /// One byte from two lowercase hex digits; nil for anything else (W3C allows no uppercase).
    static func byte(_ high: UInt8, _ low: UInt8) -> UInt8? {
        guard let high = value(high), let low = value(low) else { return nil }
        return high << 4 | low
    }

    private static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// Fills `target` from `2 * target.count` digits of `text` starting at `offset`; false at the
    /// first byte that is not lowercase hex.
    static func read(_ text: UnsafeBufferPointer<UInt8>, from offset: Int, into target: UnsafeMutableRawBufferPointer) -> Bool {
        for index in 0..<target.count {
            guard let byte = byte(text[offset + 2 * index], text[offset + 2 * index + 1]) else { return false }
            target[index] = byte
        }
        return true
    }

    static func write(_ byte: UInt8, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        buffer[offset] = digits.utf8Start[Int(byte >> 4)]
        buffer[offset + 1] = digits.utf8Start[Int(byte & 0xF)]
    }

    /// The bytes of `id` (a tuple of `UInt8`: `TraceID.Bytes`, `SpanID.Bytes`) as digits at `offset`.
    static func write<Bytes>(_ id: Bytes, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        withUnsafeBytes(of: id) { raw in
            for (index, byte) in raw.enumerated() { write(byte, into: buffer, at: offset + 2 * index) }
        }
    }

    /// `id`'s bytes as a string of lowercase digits (32 for a trace id, 16 for a span id).
    static func string<Bytes>(_ id: Bytes) -> String {
        let count = MemoryLayout<Bytes>.size * 2
        return String(unsafeUninitializedCapacity: count) { buffer in
            write(id, into: buffer, at: 0)
            return count
        }
    }
}
