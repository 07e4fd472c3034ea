import SwitchyardIO

/// Where upstream calls go: scheme, host, port, the addresses the host resolved to, and for HTTPS
/// the TLS context that verifies the server.
///
/// Built at startup or reload, never on a loop: resolving a name blocks. Immutable afterwards, so
/// one target is shared by every loop's `UpstreamClient`. Certificate verification is not a
/// setting: an HTTPS target always checks the chain (against `caFile` or the system store) and
/// that the certificate names `host` (a DNS SAN, or an IP SAN for an address literal), which is
/// also sent as SNI.
public final class UpstreamTarget: Sendable, CustomStringConvertible {
    public enum Scheme: String, Sendable, Hashable {
        case https
        /// Plain HTTP: local simulators and sidecars (the configuration allows it to loopback only).
        case http
    }

    public let scheme: Scheme
    /// A lower-case name or an IP literal without brackets.
    public let host: String
    public let port: UInt16
    /// Tried in turn (each new connection starts at the next one); at least one.
    public let addresses: [SocketAddress]
    public let caFile: String?
    /// The client context for HTTPS, nil for HTTP.
    public let tls: TLSContext?
    public let poolKey: UpstreamPoolKey
    /// The `Host` field's value: the host, bracketed if IPv6, with the port unless it is the default.
    let hostField: String

    /// Resolves `host` (blocking: startup and reload only) and prepares the target. `tls` lets
    /// targets share one context per CA bundle; without it, HTTPS targets build their own from
    /// `caFile`.
    public convenience init(
        scheme: Scheme, host: String, port: UInt16? = nil, caFile: String? = nil, tls: TLSContext? = nil
    ) throws(UpstreamError) {
        let port = port ?? (scheme == .https ? 443 : 80)
        let addresses: [SocketAddress]
        do {
            addresses = try SocketAddress.resolve(host: host, port: port)
        } catch {
            throw UpstreamError(.resolutionFailed("\(host): \(error)"))
        }
        try self.init(scheme: scheme, host: host, port: port, addresses: addresses, caFile: caFile, tls: tls)
    }

    /// A target with addresses already known: for pinned addresses, and for tests that connect to
    /// loopback while verifying some other name.
    public init(
        scheme: Scheme, host: String, port: UInt16? = nil, addresses: [SocketAddress],
        caFile: String? = nil, tls: TLSContext? = nil
    ) throws(UpstreamError) {
        let port = port ?? (scheme == .https ? 443 : 80)
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        // The host goes into the Host field and the SNI extension: anything beyond a name or an
        // address literal (spaces, `/`, `@`, controls) would be header injection or a confused URL.
        guard !bare.isEmpty, bare.utf8.allSatisfy({ HTTPSyntax.isHostCharacter($0) }) else {
            throw UpstreamError(.invalidRequest("\"\(host)\" is not a host name or address"))
        }
        guard !addresses.isEmpty else { throw UpstreamError(.resolutionFailed("\(host): no addresses")) }
        self.scheme = scheme
        self.host = bare
        self.port = port
        self.addresses = addresses.map { $0.withPort(port) }
        self.caFile = scheme == .https ? caFile : nil
        switch scheme {
        case .https:
            if let tls {
                self.tls = tls
            } else {
                do {
                    self.tls = try TLSContext.client(caFile: caFile)
                } catch {
                    throw UpstreamError(.tlsFailed("\(error)"))
                }
            }
        case .http:
            self.tls = nil
        }
        self.poolKey = UpstreamPoolKey(scheme: scheme, host: bare, port: port, caFile: self.caFile)
        let literal = bare.contains(":") ? "[\(bare)]" : bare
        let isDefaultPort = port == (scheme == .https ? 443 : 80)
        self.hostField = isDefaultPort ? literal : "\(literal):\(port)"
    }

    public var description: String { poolKey.description }
}

extension HTTPSyntax {
    /// Letters, digits, `-`, `.`, `_` and, for IPv6 literals, `:` and `%` (a zone id).
    static func isHostCharacter(_ byte: UInt8) -> Bool {
        isAlpha(byte) || isDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "%")
    }
}
