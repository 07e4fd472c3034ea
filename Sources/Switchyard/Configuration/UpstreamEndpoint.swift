import Yams

/// Where a tenant's vendor lives: `scheme://host[:port][/prefix]`, with the adapter appending the
/// vendor's documented path to `pathPrefix`.
///
/// Kept as parts rather than a URL string because the client needs each of them separately (the
/// address to connect to, the name for SNI and certificate checks, the prefix for the request line),
/// and because the rules on them are checked once here: HTTPS, or plain HTTP to loopback only.
public struct UpstreamEndpoint: Sendable, Equatable, CustomStringConvertible {
    public enum Scheme: String, Sendable {
        case https
        /// Only to loopback hosts: local vendor simulators and sidecars.
        case http
    }

    public var scheme: Scheme
    /// Lowercased host name, or an IP literal without brackets.
    public var host: String
    /// As given, or the scheme's default (443, 80).
    public var port: UInt16
    /// Empty, or starts with `/` and has no trailing `/` (so appending `/imfpush/...` never doubles it).
    public var pathPrefix: String

    /// The URL in its normal form (lowercase scheme and host, default port left out), for logs.
    public var description: String {
        let host = host.contains(":") ? "[\(host)]" : host
        let isDefaultPort = port == (scheme == .https ? 443 : 80)
        return "\(scheme.rawValue)://\(host)\(isDefaultPort ? "" : ":\(port)")\(pathPrefix)"
    }

    init(parsing text: String) throws(HostAndPort.SyntaxError) {
        typealias Failure = HostAndPort.SyntaxError
        guard let separator = text.firstRange(of: "://") else {
            throw Failure(message: "expected an absolute URL like https://host[:port][/prefix]")
        }
        let schemeText = text[..<separator.lowerBound].lowercased()
        guard let scheme = Scheme(rawValue: schemeText) else {
            throw Failure(message: "scheme \"\(schemeText)\" is not supported (expected https, or http to a loopback host)")
        }
        let rest = text[separator.upperBound...]
        let pathStart = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<pathStart]
        let path = rest[pathStart...]
        // The URL is echoed in logs and errors, so credentials have no place in it.
        guard !authority.contains("@") else {
            throw Failure(message: "must not contain user information; put credentials under credentials")
        }
        guard !path.contains("?"), !path.contains("#") else {
            throw Failure(message: "must not have a query or fragment; the adapter builds those")
        }
        guard !path.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F }) else {
            throw Failure(message: "the path must be printable ASCII without spaces (percent-encode the rest)")
        }
        let address = try HostAndPort(authority)
        if scheme == .http, !address.host.isLoopback {
            throw Failure(message: "plain http is allowed only to a loopback host (127.0.0.0/8, ::1, localhost): "
                + "anywhere else credentials and device data would cross the network unencrypted; use https")
        }
        guard address.port != 0 else {
            throw Failure(message: "the port must be a number from 1 to 65535")
        }
        self.scheme = scheme
        host = address.hostText
        port = address.port ?? (scheme == .https ? 443 : 80)
        var prefix = String(path)
        while prefix.hasSuffix("/") { prefix.removeLast() }
        pathPrefix = prefix
    }
}

extension ConfigurationDecoder {
    func upstreamEndpoint(_ node: Node, at path: ConfigurationKeyPath) -> UpstreamEndpoint? {
        guard let text = string(node, at: path) else { return nil }
        do {
            return try UpstreamEndpoint(parsing: text)
        } catch {
            report(error.message, at: path, node: node)
            return nil
        }
    }
}
