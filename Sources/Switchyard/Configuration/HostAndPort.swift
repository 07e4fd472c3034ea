/// The `host[:port]` part of an address or URL, split the way RFC 3986 does: IPv6 literals in brackets.
struct HostAndPort {
    /// Says what is wrong in words an operator can act on; never contains the text that was parsed.
    struct SyntaxError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    let host: NetworkHost
    /// The host as written, lowercased and without brackets: what a socket or TLS SNI expects.
    let hostText: String
    let port: UInt16?

    init(_ text: Substring) throws(SyntaxError) {
        let hostText: Substring
        let portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw SyntaxError(message: "unclosed \"[\" in an IPv6 address")
            }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else {
                throw SyntaxError(message: "expected \":port\" after the bracketed IPv6 address")
            }
            portText = rest.isEmpty ? nil : rest.dropFirst()
            guard case .ipv6 = NetworkHost(hostText) else {
                throw SyntaxError(message: "not a valid IPv6 address inside the brackets")
            }
        } else {
            let colons = text.count(where: { $0 == ":" })
            guard colons <= 1 else {
                throw SyntaxError(message: "IPv6 addresses must be in brackets, like [::1]:8443")
            }
            let colon = text.firstIndex(of: ":")
            hostText = text[..<(colon ?? text.endIndex)]
            portText = colon.map { text[text.index(after: $0)...] }
        }
        guard let host = NetworkHost(hostText) else {
            throw SyntaxError(message: "not a valid IP address or host name")
        }
        self.host = host
        self.hostText = hostText.lowercased()
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isWholeNumber }),
                  let port = UInt16(portText) else {
                throw SyntaxError(message: "the port must be a number from 0 to 65535")
            }
            self.port = port
        } else {
            self.port = nil
        }
    }
}
