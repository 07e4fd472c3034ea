import Synchronization
import SwitchyardIO

/// Where upstream calls go: scheme, host, port, the addresses the host resolves to, and for HTTPS
/// the TLS context that verifies the server.
///
/// Built at startup or reload and shared by every loop's `UpstreamClient`. Only the addresses
/// change afterwards: `refreshAddresses()` resolves the name again off the loops (API.md §4:
/// every `limits.dnsRefreshSeconds`), and each new connection takes the latest list, so a vendor
/// that moves is followed without a reload while open connections keep their peer. A name that
/// has never resolved leaves the list empty and its calls fail with `resolutionFailed` (503
/// `upstream_unavailable`) until it does; a name that stops resolving keeps its last addresses.
/// Certificate verification is not a setting: an HTTPS target always checks the chain (against
/// `caFile` or the system store) and that the certificate names `host` (a DNS SAN, or an IP SAN
/// for an address literal), which is also sent as SNI.
public final class UpstreamTarget: Sendable, CustomStringConvertible {
    public enum Scheme: String, Sendable, CaseKeyed {
        case https
        /// Plain HTTP: local simulators and sidecars (the configuration allows it to loopback only).
        case http
    }

    public let scheme: Scheme
    /// A lower-case name or an IP literal without brackets.
    public let host: String
    public let port: UInt16
    /// Whether `host` is a name to resolve (not an address literal or pinned addresses).
    public let resolvesName: Bool
    /// `getaddrinfo`, unless a test stands in for the network's DNS.
    private let resolver: Resolver
    public let caFile: String?
    /// The client context for HTTPS, nil for HTTP.
    public let tls: TLSContext?
    public let poolKey: UpstreamPoolKey
    /// The `Host` field's value: the host, bracketed if IPv6, with the port unless it is the default.
    let hostField: String
    /// `https://host[:port]` as a URL starts (the port only when not the scheme's), for logs and
    /// a client span's `url.full`.
    public let origin: String
    /// Read once per new connection, written by `refreshAddresses()`: a lock taken that rarely
    /// costs the loops nothing measurable, and a state swapped whole is never seen half-written.
    private let resolution: Mutex<Resolution>

    /// Turns a name and port into addresses, blocking.
    public typealias Resolver = @Sendable (_ host: String, _ port: UInt16) throws(NameResolutionError) -> [SocketAddress]

    private struct Resolution {
        var addresses: [SocketAddress]
        /// Why the latest attempt failed; nil once the name resolved.
        var failure: UpstreamError?
    }

    /// Tried in turn (each new connection starts at the next one); empty while the name has not
    /// resolved.
    public var addresses: [SocketAddress] { resolution.withLock { $0.addresses } }

    /// Why the name did not resolve the last time it was tried (the addresses before it, if any,
    /// are still used); nil when it did, or has not been tried.
    public var resolutionFailure: UpstreamError? { resolution.withLock { $0.failure } }

    /// Resolves `host` (blocking: never on a loop) and prepares the target; throws when it does
    /// not resolve. `tls` lets targets share one context per CA bundle; without it, HTTPS targets
    /// build their own from `caFile`.
    public convenience init(
        scheme: Scheme, host: String, port: UInt16? = nil, caFile: String? = nil, tls: TLSContext? = nil
    ) throws(UpstreamError) {
        try self.init(scheme: scheme, host: host, port: port, pinned: nil, caFile: caFile, tls: tls,
                      resolver: SocketAddress.resolve)
        if let failure = refreshAddresses() { throw failure }
    }

    /// A target with addresses already known: for pinned addresses, and for tests that connect to
    /// loopback while verifying some other name. Never re-resolved.
    public convenience init(
        scheme: Scheme, host: String, port: UInt16? = nil, addresses: [SocketAddress],
        caFile: String? = nil, tls: TLSContext? = nil
    ) throws(UpstreamError) {
        guard !addresses.isEmpty else { throw UpstreamError(.resolutionFailed("\(host) was given no addresses")) }
        try self.init(scheme: scheme, host: host, port: port, pinned: addresses, caFile: caFile, tls: tls,
                      resolver: SocketAddress.resolve)
    }

    /// A target whose name is resolved later, by `refreshAddresses()` (an address literal needs
    /// no resolver and is ready at once): what the gateway builds, so that a vendor whose name
    /// does not resolve yet stops neither startup nor a reload.
    public convenience init(
        unresolvedScheme scheme: Scheme, host: String, port: UInt16? = nil, caFile: String? = nil, tls: TLSContext? = nil,
        resolver: @escaping Resolver = SocketAddress.resolve
    ) throws(UpstreamError) {
        try self.init(scheme: scheme, host: host, port: port, pinned: nil, caFile: caFile, tls: tls, resolver: resolver)
    }

    private init(
        scheme: Scheme, host: String, port: UInt16?, pinned: [SocketAddress]?, caFile: String?, tls: TLSContext?,
        resolver: @escaping Resolver
    ) throws(UpstreamError) {
        let port = port ?? (scheme == .https ? 443 : 80)
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        // The host goes into the Host field and the SNI extension: anything beyond a name or an
        // address literal (spaces, `/`, `@`, controls) would be header injection or a confused URL.
        guard !bare.isEmpty, bare.utf8.allSatisfy({ HTTPSyntax.isHostCharacter($0) }) else {
            throw UpstreamError(.invalidRequest("\"\(host)\" is not a host name or address"))
        }
        self.scheme = scheme
        self.host = bare
        self.port = port
        let literal = SocketAddress(numericHost: bare, port: port)
        resolvesName = pinned == nil && literal == nil
        self.resolver = resolver
        resolution = Mutex(Resolution(addresses: (pinned ?? literal.map { [$0] } ?? []).map { $0.withPort(port) }))
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
        let hostLiteral = bare.contains(":") ? "[\(bare)]" : bare
        let isDefaultPort = port == (scheme == .https ? 443 : 80)
        self.hostField = isDefaultPort ? hostLiteral : "\(hostLiteral):\(port)"
        self.origin = "\(scheme.rawValue)://\(hostField)"
    }

    /// Resolves the name again (blocking: never on a loop); new connections use the answer. On
    /// failure the addresses it had are kept, since a resolver's hiccup must not take a working
    /// vendor away, and the failure is returned. Nothing to do for a literal or pinned addresses.
    @discardableResult
    public func refreshAddresses() -> UpstreamError? {
        guard resolvesName else { return nil }
        do {
            let fresh = try resolver(host, port).map { $0.withPort(port) }
            resolution.withLock { $0 = Resolution(addresses: fresh) }
            return nil
        } catch {
            let failure = UpstreamError(.resolutionFailed(error.description))
            resolution.withLock { $0.failure = failure }
            return failure
        }
    }

    public var description: String { poolKey.description }
}

extension HTTPSyntax {
    /// Letters, digits, `-`, `.`, `_` and, for IPv6 literals, `:` and `%` (a zone id).
    static func isHostCharacter(_ byte: UInt8) -> Bool {
        ASCII.isAlpha(byte) || ASCII.isDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "%")
    }
}
