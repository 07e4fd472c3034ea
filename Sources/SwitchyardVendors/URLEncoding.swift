import Foundation
import SwitchyardIO

/// Percent-encoding for the pieces of a vendor URL or form that come from a request (a device
/// id in a path, a scope in a form body): everything but RFC 3986's unreserved characters is
/// encoded, so no value can add a path segment, a query or a header line.
enum URLEncoding {
    /// One path segment: `/`, `?`, `#`, `%` and everything beyond unreserved ASCII encoded.
    static func pathSegment(_ text: String) -> String {
        encode(text, spaceAsPlus: false)
    }

    /// One `application/x-www-form-urlencoded` name or value (space as `+`).
    static func formComponent(_ text: String) -> String {
        encode(text, spaceAsPlus: true)
    }

    /// `Basic base64(user:password)`.
    static func basicAuthorization(user: String, password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    private static func encode(_ text: String, spaceAsPlus: Bool) -> String {
        // Most values (ICCIDs, IMEIs, ids) need no escape: the text itself, nothing copied.
        if text.allUTF8(isUnreserved) { return text }
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case _ where isUnreserved(byte):
                out.append(byte)
            case UInt8(ascii: " ") where spaceAsPlus:
                out.append(UInt8(ascii: "+"))
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 3986's unreserved characters: ALPHA, DIGIT, `-`, `.`, `_`, `~`.
    @inline(__always)
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        ASCII.isAlpha(byte) || ASCII.isDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
    }
}
