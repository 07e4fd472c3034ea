import Synchronization

/// What makes two upstream connections interchangeable: the same scheme, host (which is also the
/// TLS server name that was verified), port and trust settings. Verification itself is always on,
/// so the CA bundle is the only TLS setting that varies.
///
/// Each distinct key has a number (`index`), given when the first key like it is made and the same
/// for every key made like it after, reloads included: a loop's `UpstreamClient` finds its pool for a
/// call by that number in an array, where a dictionary lookup hashed and compared two strings on
/// every call. The numbers are the process's, one for each scheme, host, port and CA bundle ever
/// configured, so they stay few: a reload that keeps a vendor keeps its pool.
public struct UpstreamPoolKey: Hashable, Sendable, CustomStringConvertible {
    public let scheme: UpstreamTarget.Scheme
    public let host: String
    public let port: UInt16
    /// The CA bundle's path; nil for the system trust store (and for plain HTTP).
    public let caFile: String?
    /// Dense from 0, one per distinct key in this process: equal keys have equal indexes.
    public let index: Int

    public init(scheme: UpstreamTarget.Scheme, host: String, port: UInt16, caFile: String?) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.caFile = caFile
        let identity = Identity(scheme: scheme, host: host, port: port, caFile: caFile)
        index = Self.indexes.withLock { indexes in
            if let index = indexes[identity] { return index }
            let index = indexes.count
            indexes[identity] = index
            return index
        }
    }

    /// The key's parts, as the registry tells keys apart.
    private struct Identity: Hashable {
        let scheme: UpstreamTarget.Scheme
        let host: String
        let port: UInt16
        let caFile: String?
    }

    /// Every key made so far, by its number: taken only when a target is built (startup, reload).
    private static let indexes = Mutex<[Identity: Int]>([:])

    public func hash(into hasher: inout Hasher) {
        hasher.combine(index)
    }

    public static func == (lhs: UpstreamPoolKey, rhs: UpstreamPoolKey) -> Bool {
        lhs.index == rhs.index
    }

    public var description: String {
        "\(scheme.rawValue)://\(host.contains(":") ? "[\(host)]" : host):\(port)" + (caFile.map { " (CA \($0))" } ?? "")
    }
}
