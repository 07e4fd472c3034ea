import Yams

/// An address a listener binds to (`listen`, `admin`).
///
/// The socket layer binds IP literals and nothing else: resolving a name at bind time can yield several
/// addresses or change between reloads, so only IP literals and `localhost` are accepted, and
/// `localhost` is stored as `127.0.0.1`. Port 0 asks the kernel for a free port, which tests use.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// An IPv4 literal (`0.0.0.0`) or an IPv6 literal without brackets (`::1`).
    public var host: String
    public var port: UInt16

    /// `host:port`, with brackets around an IPv6 host, as it would be written in the configuration.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

extension ListenAddress {
    init(parsing text: String) throws(HostAndPort.SyntaxError) {
        let missingPort = HostAndPort.SyntaxError(message: "expected host:port, like 0.0.0.0:8443 or [::1]:8443")
        // Checked first so that a bare port ("8443") is not judged as a host name.
        guard text.contains(":") else { throw missingPort }
        let parsed = try HostAndPort(Substring(text))
        guard let port = parsed.port else { throw missingPort }
        switch parsed.host {
        case .ipv4, .ipv6:
            host = parsed.hostText
        case .name("localhost"):
            host = "127.0.0.1"
        case .name:
            throw HostAndPort.SyntaxError(message: "listen on an IP address or localhost, not a host name")
        }
        self.port = port
    }
}

extension ConfigurationDecoder {
    func listenAddress(_ node: Node, at path: ConfigurationKeyPath) -> ListenAddress? {
        string(node, at: path).flatMap { listenAddress($0, at: path, node: node) }
    }

    /// The admin listener is on by default, so turning it off is spelt out (`off`, or YAML's `false`)
    /// rather than done by deleting the key. The outer optional is `nil` after a reported problem.
    func adminAddress(_ node: Node, at path: ConfigurationKeyPath) -> ListenAddress?? {
        guard let text = string(node, at: path) else { return nil }
        if text == "off" || text == "false" { return .some(nil) }
        return listenAddress(text, at: path, node: node).map { .some($0) }
    }

    private func listenAddress(_ text: String, at path: ConfigurationKeyPath, node: Node) -> ListenAddress? {
        do {
            return try ListenAddress(parsing: text)
        } catch {
            report("\(quoted(text)): \(error.message)", at: path, node: node)
            return nil
        }
    }
}
