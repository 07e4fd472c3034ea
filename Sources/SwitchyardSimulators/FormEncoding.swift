import SwitchyardHTTP
import SwitchyardIO

/// `application/x-www-form-urlencoded` (WHATWG URL §5), used by the mobilefirst-push token
/// endpoint, vodlix bodies and every query string.
enum FormEncoding {
    /// Name-value pairs in order; `+` is a space and bad percent escapes are kept literally.
    static func pairs(_ text: Substring) -> [(name: String, value: String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { part in
            let name: Substring
            let value: Substring
            if let equals = part.firstIndex(of: "=") {
                name = part[..<equals]
                value = part[part.index(after: equals)...]
            } else {
                name = part
                value = ""
            }
            return (decode(name), decode(value))
        }
    }

    static func pairs(_ text: String) -> [(name: String, value: String)] {
        pairs(text[...])
    }

    /// The first value of each name.
    static func dictionary(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in pairs(text) where result[name] == nil {
            result[name] = value
        }
        return result
    }

    static func dictionary(_ bytes: [UInt8]) -> [String: String] {
        dictionary(String(decoding: bytes, as: UTF8.self))
    }

    /// Percent-decoding (and `+` as space): lenient, as servers are.
    static func decode(_ text: Substring, plusIsSpace: Bool = true) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+") && plusIsSpace {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), iterator.count >= 2,
                      let high = ASCII.hexValue(iterator[iterator.startIndex]),
                      let low = ASCII.hexValue(iterator[iterator.startIndex + 1]) {
                bytes.append(high << 4 | low)
                iterator.removeFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
