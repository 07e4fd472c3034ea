#if canImport(Glibc)
import Glibc
#endif

/// A host name that `getaddrinfo` could not turn into addresses, with the resolver's own reason
/// (`gai_strerror`): "Name or service not known" and "Temporary failure in name resolution" call
/// for different fixes, and `errno` says neither.
public struct NameResolutionError: Error, CustomStringConvertible, Sendable, Equatable {
    public var host: String
    public var reason: String

    public init(host: String, reason: String) {
        self.host = host
        self.reason = reason
    }

    /// The error for `getaddrinfo`'s return code `rc` (`EAI_SYSTEM` reads `errno`).
    init(host: String, code rc: Int32) {
        let reason = rc == EAI_SYSTEM ? String(cString: strerror(Glibc.errno)) : String(cString: gai_strerror(rc))
        self.init(host: host, reason: reason)
    }

    public var description: String { "\(host) does not resolve: \(reason)" }
}
