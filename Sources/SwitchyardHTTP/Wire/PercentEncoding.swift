import SwitchyardIO

/// Percent-encoding for the pieces of a URL or a form that come from a request (a device id in a
/// path, a scope in a form body): everything but RFC 3986's unreserved characters is encoded, so
/// no value can add a path segment, a query or a header line.
public enum PercentEncoding {
    /// `text` encoded: `/`, `?`, `#`, `%` and everything beyond unreserved ASCII as `%XX`, a space
    /// as `+` in a form (`spaceAsPlus`).
    public static func encode(_ text: String, spaceAsPlus: Bool) -> String {
        // Most values (ICCIDs, IMEIs, ids) need no escape: the text itself, nothing copied.
        if text.withContiguousUTF8({ isUnreserved(UnsafeRawBufferPointer($0)) }) { return text }
        let hex: StaticString = "0123456789ABCDEF"
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case _ where isUnreserved(byte):
                out.append(byte)
            case UInt8(ascii: " ") where spaceAsPlus:
                out.append(UInt8(ascii: "+"))
            default:
                out += [UInt8(ascii: "%"), hex.utf8Start[Int(byte >> 4)], hex.utf8Start[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `text` encoded as `encode(_:spaceAsPlus:)` encodes a `String`: the text itself, held in place,
    /// when it needs no escape (an ICCID, an IMEI).
    public static func encode(_ text: CompactString, spaceAsPlus: Bool) -> CompactString {
        text.withUTF8 { isUnreserved(UnsafeRawBufferPointer($0)) } ? text : CompactString(encode(text.description, spaceAsPlus: spaceAsPlus))
    }

    /// RFC 3986 percent-decoding of `bytes` (a path segment: `+` stays `+`); nil for a bad escape.
    /// The result may be any bytes: whether they are UTF-8 is the caller's question.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "%") else {
                decoded.append(bytes[index])
                index += 1
                continue
            }
            guard index + 2 < bytes.count, let high = ASCII.hexValue(bytes[index + 1]), let low = ASCII.hexValue(bytes[index + 2]) else {
                return nil
            }
            decoded.append(high << 4 | low)
            index += 3
        }
        return decoded
    }

    /// Whether every byte is unreserved: letters, digits and `-` sixteen a step (the run a field name
    /// is made of, `HTTPSyntax.nameRunEnd`), `.`, `_` and `~` one by one. A control-center call's
    /// ICCID is checked on every request; a byte a step, that was some 230 instructions (callgrind).
    static func isUnreserved(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        while true {
            index = HTTPSyntax.nameRunEnd(bytes, from: index, to: bytes.count)
            guard index < bytes.count else { return true }
            guard isUnreserved(bytes[index]) else { return false }
            index += 1
        }
    }

    /// RFC 3986's unreserved characters: ALPHA, DIGIT, `-`, `.`, `_`, `~`.
    @inline(__always)
    public static func isUnreserved(_ byte: UInt8) -> Bool {
        ASCII.isAlpha(byte) || ASCII.isDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
    }
}
