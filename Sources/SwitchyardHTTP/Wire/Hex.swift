
/// Lowercase hex for trace context ids, read and written in place: W3C headers and OTLP/JSON both
/// spell ids this way (OTLP/JSON deliberately not base64).
public enum Hex {
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

    /// The bytes of `id` (a tuple of `UInt8`: `TraceID.Bytes`, `SpanID.Bytes`; a big-endian integer) as digits at `offset`,
    /// four bytes at a time (`digits`): ids are written on every request, twice per span.
    public static func write<Bytes>(_ id: Bytes, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        precondition(MemoryLayout<Bytes>.size % 4 == 0 && offset + 2 * MemoryLayout<Bytes>.size <= buffer.count)
        let target = UnsafeMutableRawPointer(buffer.baseAddress! + offset)
        withUnsafeBytes(of: id) { raw in
            for index in stride(from: 0, to: raw.count, by: 4) {
                let group = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt32.self))
                target.storeBytes(of: digits(group).littleEndian, toByteOffset: 2 * index, as: UInt64.self)
            }
        }
    }

    /// The eight digits of four bytes (the first in the lowest bits) as one word, the first digit
    /// in its lowest byte: each byte spread to 16 bits, its high nibble to the lower byte and its
    /// low nibble to the upper one, then every nibble made a digit at once (`0`–`9` add 0x30,
    /// `a`–`f` 0x57; a nibble plus 6 carries into bit 4 exactly when it is 10 or more).
    static func digits(_ group: UInt32) -> UInt64 {
        let bytes = UInt64(group)
        let spread = (bytes & 0xFF) | (bytes & 0xFF00) << 8 | (bytes & 0xFF_0000) << 16 | (bytes & 0xFF00_0000) << 24
        let nibbles = (spread >> 4) & 0x000F_000F_000F_000F | (spread & 0x000F_000F_000F_000F) << 8
        let letters = ((nibbles &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        return nibbles &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
    }

    /// `id`'s bytes as a string of lowercase digits (32 for a trace id, 16 for a span id).
    public static func string<Bytes>(_ id: Bytes) -> String {
        let count = MemoryLayout<Bytes>.size * 2
        return String(unsafeUninitializedCapacity: count) { buffer in
            write(id, into: buffer, at: 0)
            return count
        }
    }
}
