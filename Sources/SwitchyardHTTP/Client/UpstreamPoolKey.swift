/// What makes two upstream connections interchangeable: the same scheme, host (which is also the
/// TLS server name that was verified), port and trust settings. Verification itself is always on,
/// so the CA bundle is the only TLS setting that varies.
///
/// The hash is computed once, when the target is built, so a pool lookup per call hashes one
/// `Int` instead of two strings.
public struct UpstreamPoolKey: Hashable, Sendable, CustomStringConvertible {
    public let scheme: UpstreamTarget.Scheme
    public let host: String
    public let port: UInt16
    /// The CA bundle's path; nil for the system trust store (and for plain HTTP).
    public let caFile: String?
    private let precomputedHash: Int

    public init(scheme: UpstreamTarget.Scheme, host: String, port: UInt16, caFile: String?) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.caFile = caFile
        var hasher = Hasher()
        hasher.combine(scheme)
        hasher.combine(host)
        hasher.combine(port)
        hasher.combine(caFile)
        self.precomputedHash = hasher.finalize()
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(precomputedHash)
    }

    public static func == (lhs: UpstreamPoolKey, rhs: UpstreamPoolKey) -> Bool {
        lhs.precomputedHash == rhs.precomputedHash && lhs.port == rhs.port && lhs.scheme == rhs.scheme
            && lhs.host == rhs.host && lhs.caFile == rhs.caFile
    }

    public var description: String {
        "\(scheme.rawValue)://\(host.contains(":") ? "[\(host)]" : host):\(port)" + (caFile.map { " (CA \($0))" } ?? "")
    }
}
