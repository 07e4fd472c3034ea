#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 socket address. Names are resolved only at startup (`resolve`), never on a
/// loop: a DNS lookup blocks.
public struct SocketAddress: Sendable, Equatable, CustomStringConvertible {
    public enum Family: Sendable, Equatable { case ipv4, ipv6 }

    private var storage: sockaddr_storage
    public let family: Family

    public init(ipv4 address: in_addr, port: UInt16) {
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        sin.sin_addr = address
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            withUnsafeBytes(of: sin) { raw.copyMemory(from: $0) }
        }
        self.storage = storage
        self.family = .ipv4
    }

    public init(ipv6 address: in6_addr, port: UInt16) {
        var sin6 = sockaddr_in6()
        sin6.sin6_family = sa_family_t(AF_INET6)
        sin6.sin6_port = port.bigEndian
        sin6.sin6_addr = address
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            withUnsafeBytes(of: sin6) { raw.copyMemory(from: $0) }
        }
        self.storage = storage
        self.family = .ipv6
    }

    /// A numeric address (`127.0.0.1`, `::1`, `[::1]`) and a port; nil if `host` is not numeric.
    public init?(numericHost host: String, port: UInt16) {
        var host = host
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            self.init(ipv4: v4, port: port)
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            self.init(ipv6: v6, port: port)
            return
        }
        return nil
    }

    /// Resolves `host` (numeric or a name) with `getaddrinfo`. Blocking: never on a loop.
    public static func resolve(host: String, port: UInt16) throws(NameResolutionError) -> [SocketAddress] {
        if let numeric = SocketAddress(numericHost: host, port: port) { return [numeric] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else { throw NameResolutionError(host: host, code: rc) }
        defer { freeaddrinfo(first) }
        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let sa = info.pointee.ai_addr {
                switch Int32(info.pointee.ai_family) {
                case AF_INET:
                    let sin = UnsafeRawPointer(sa).loadUnaligned(as: sockaddr_in.self)
                    addresses.append(SocketAddress(ipv4: sin.sin_addr, port: port))
                case AF_INET6:
                    let sin6 = UnsafeRawPointer(sa).loadUnaligned(as: sockaddr_in6.self)
                    addresses.append(SocketAddress(ipv6: sin6.sin6_addr, port: port))
                default:
                    break
                }
            }
            cursor = info.pointee.ai_next
        }
        if addresses.isEmpty { throw NameResolutionError(host: host, reason: "no IPv4 or IPv6 address") }
        return addresses
    }

    /// Reads the address a socket is bound to (for port 0: the one the kernel chose).
    public static func local(of fd: Int32) throws -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { throw IOError("getsockname") }
        return try SocketAddress(storage: storage)
    }

    init(storage: sockaddr_storage) throws {
        switch Int32(storage.ss_family) {
        case AF_INET:
            let sin = withUnsafeBytes(of: storage) { $0.loadUnaligned(as: sockaddr_in.self) }
            self.init(ipv4: sin.sin_addr, port: UInt16(bigEndian: sin.sin_port))
        case AF_INET6:
            let sin6 = withUnsafeBytes(of: storage) { $0.loadUnaligned(as: sockaddr_in6.self) }
            self.init(ipv6: sin6.sin6_addr, port: UInt16(bigEndian: sin6.sin6_port))
        default:
            throw IOError("unsupported address family", errno: EAFNOSUPPORT)
        }
    }

    public var port: UInt16 {
        switch family {
        case .ipv4: return UInt16(bigEndian: withUnsafeBytes(of: storage) { $0.loadUnaligned(as: sockaddr_in.self) }.sin_port)
        case .ipv6: return UInt16(bigEndian: withUnsafeBytes(of: storage) { $0.loadUnaligned(as: sockaddr_in6.self) }.sin6_port)
        }
    }

    /// The same address with another port.
    public func withPort(_ port: UInt16) -> SocketAddress {
        var copy = self
        withUnsafeMutableBytes(of: &copy.storage) { raw in
            // sin_port and sin6_port sit at the same offset (2) in both layouts.
            raw.storeBytes(of: port.bigEndian, toByteOffset: 2, as: UInt16.self)
        }
        return copy
    }

    public var host: String {
        String(unsafeUninitializedCapacity: Self.maxHostTextCount) { buffer in
            writeHostText(to: UnsafeMutableRawPointer(buffer.baseAddress!))
        }
    }

    /// The most bytes `writeHostText` writes (`INET6_ADDRSTRLEN` without its terminator).
    public static let maxHostTextCount = 45

    /// Writes the address as text (`192.0.2.1`, `2001:db8::1`) at `target`, which has room for
    /// `maxHostTextCount` bytes, and returns how many it wrote: for a writer that copies it on (a
    /// span) without a `String` in between. IPv4 is formatted here: glibc's `inet_ntop` goes
    /// through `sprintf`, several times the cost.
    public func writeHostText(to target: UnsafeMutableRawPointer) -> Int {
        switch family {
        case .ipv4:
            let address = withUnsafeBytes(of: storage) { $0.loadUnaligned(as: sockaddr_in.self) }.sin_addr
            let value = UInt32(bigEndian: address.s_addr)
            var count = 0
            for shift in stride(from: 24, through: 0, by: -8) {
                let octet = UInt8(truncatingIfNeeded: value >> UInt32(shift))
                if shift < 24 { target.storeBytes(of: UInt8(ascii: "."), toByteOffset: count, as: UInt8.self); count += 1 }
                if octet >= 100 { target.storeBytes(of: UInt8(ascii: "0") + octet / 100, toByteOffset: count, as: UInt8.self); count += 1 }
                if octet >= 10 { target.storeBytes(of: UInt8(ascii: "0") + octet / 10 % 10, toByteOffset: count, as: UInt8.self); count += 1 }
                target.storeBytes(of: UInt8(ascii: "0") + octet % 10, toByteOffset: count, as: UInt8.self)
                count += 1
            }
            return count
        case .ipv6:
            var address = withUnsafeBytes(of: storage) { $0.loadUnaligned(as: sockaddr_in6.self) }.sin6_addr
            var text = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0)) // 48 bytes, INET6_ADDRSTRLEN + 2
            return withUnsafeMutableBytes(of: &text) { raw in
                let characters = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
                inet_ntop(AF_INET6, &address, characters, socklen_t(raw.count))
                let count = strlen(characters)
                target.copyMemory(from: raw.baseAddress!, byteCount: count)
                return count
            }
        }
    }

    public var description: String {
        family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    var length: socklen_t {
        socklen_t(family == .ipv4 ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
        try withUnsafePointer(to: storage) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, length) }
        }
    }

    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        lhs.family == rhs.family && lhs.description == rhs.description
    }
}
