/// A host as written in an address or URL of the configuration: an IP literal or a DNS name.
///
/// Parsed here rather than left to the resolver so that a typo (`10.0.0.256`, `exa mple.com`) is a
/// configuration error with a line number instead of a connect failure at the first request, and so
/// the loopback rule for plain-HTTP upstreams looks at the address itself, not at its spelling.
enum NetworkHost: Equatable {
    case ipv4([UInt8])
    case ipv6([UInt16])
    /// Lowercased; DNS is case-insensitive, and one spelling keeps comparisons and logs simple.
    case name(String)

    /// `text` without the brackets of an IPv6 literal.
    init?(_ text: Substring) {
        if let address = Self.ipv4(text) {
            self = .ipv4(address)
        } else if text.contains(":") {
            guard let address = Self.ipv6(text) else { return nil }
            self = .ipv6(address)
        } else if Self.isHostName(text) {
            self = .name(text.lowercased())
        } else {
            return nil
        }
    }

    /// 127.0.0.0/8, ::1 and `localhost`: the only places plain HTTP may go, since traffic to them
    /// never leaves the machine.
    var isLoopback: Bool {
        switch self {
        case .ipv4(let bytes): bytes[0] == 127
        case .ipv6(let groups): groups == [0, 0, 0, 0, 0, 0, 0, 1]
        case .name(let name): name == "localhost"
        }
    }

    private static func ipv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            // Leading zeros are refused: some resolvers read them as octal, so "010" is ambiguous.
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCIIDigit),
                  part.count == 1 || part.first != "0", let byte = UInt8(part) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    private static func ipv6(_ text: Substring) -> [UInt16]? {
        func groups(_ part: Substring) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, let v4 = ipv4(piece) {
                    result += [UInt16(v4[0]) << 8 | UInt16(v4[1]), UInt16(v4[2]) << 8 | UInt16(v4[3])]
                } else {
                    guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit),
                          let group = UInt16(piece, radix: 16) else { return nil }
                    result.append(group)
                }
            }
            return result
        }
        if let gap = text.firstRange(of: "::") {
            let tail = text[gap.upperBound...]
            guard tail.firstRange(of: "::") == nil,
                  let head = groups(text[..<gap.lowerBound]), let rest = groups(tail),
                  head.count + rest.count <= 7 else { return nil }
            return head + Array(repeating: 0, count: 8 - head.count - rest.count) + rest
        }
        guard let all = groups(text), all.count == 8 else { return nil }
        return all
    }

    /// RFC 1123 names; an all-digit last label is refused because no top-level domain is numeric, so
    /// such a name is a mistyped IPv4 address.
    private static func isHostName(_ text: Substring) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        guard text.count <= 253, let last = labels.last, !last.allSatisfy(\.isASCIIDigit) else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
