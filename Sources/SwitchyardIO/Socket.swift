import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// The socket calls the loops make, each returning a typed result instead of `-1` and `errno`.
/// Every socket is non-blocking and close-on-exec from birth.
public enum Socket {
    /// A listening socket with `SO_REUSEPORT`, so each loop binds its own listener to the same
    /// address and the kernel spreads new connections across loops without a shared accept lock.
    public static func listen(on address: SocketAddress, backlog: Int32 = 4096, reusePort: Bool = true) throws -> Int32 {
        let fd = try bound(to: address, reusePort: reusePort)
        guard Glibc.listen(fd, backlog) == 0 else {
            let error = IOError("listen(\(address))")
            Glibc.close(fd)
            throw error
        }
        return fd
    }

    /// Throws `bind(address) failed: Address already in use` when a socket already listens on
    /// `address` (or on its port's wildcard address), including another process's.
    ///
    /// The listeners set `SO_REUSEPORT` so that each loop has its own; the kernel lets any process
    /// of the same user join such a group, so a second gateway started on the same address would
    /// silently take part of the traffic, scrapes and reloads (API.md §4 forbids it). A probe bound
    /// without `SO_REUSEPORT` is refused while anyone listens there, and is closed at once. A second
    /// process starting in the very same instant could still slip between probe and bind.
    public static func ensureNoListener(on address: SocketAddress) throws {
        guard address.port != 0 else { return }
        Glibc.close(try bound(to: address, reusePort: false))
    }

    private static func bound(to address: SocketAddress, reusePort: Bool) throws -> Int32 {
        let domain = address.family == .ipv4 ? AF_INET : AF_INET6
        let fd = Glibc.socket(domain, switchyard_SOCK_NONBLOCK_CLOEXEC_STREAM, 0)
        guard fd >= 0 else { throw IOError("socket") }
        do {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, name: "SO_REUSEADDR")
            if reusePort { try setOption(fd, SOL_SOCKET, switchyard_SO_REUSEPORT, 1, name: "SO_REUSEPORT") }
            if address.family == .ipv6 { try setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1, name: "IPV6_V6ONLY") }
            let rc = address.withSockaddr { Glibc.bind(fd, $0, $1) }
            guard rc == 0 else { throw IOError("bind(\(address))") }
        } catch {
            Glibc.close(fd)
            throw error
        }
        return fd
    }

    public enum AcceptResult {
        case accepted(Int32, peer: SocketAddress?)
        case wouldBlock
        /// Out of file descriptors: the caller backs off instead of spinning on a full backlog.
        case exhausted(IOError)
        /// The peer gave up before we accepted (`ECONNABORTED`, `EPROTO`…): try the next one.
        case transient
        case failed(IOError)
    }

    public static func accept(_ listener: Int32) -> AcceptResult {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { switchyard_accept4(listener, $0, &length) }
        }
        // The peer's address comes with the accept at no extra cost; an odd family is no address.
        if fd >= 0 { return .accepted(fd, peer: try? SocketAddress(storage: storage)) }
        switch errno {
        case EAGAIN, EWOULDBLOCK: return .wouldBlock
        case EMFILE, ENFILE, ENOBUFS, ENOMEM: return .exhausted(IOError("accept4"))
        case ECONNABORTED, EPROTO, EINTR, EPERM: return .transient
        default: return .failed(IOError("accept4"))
        }
    }

    /// A non-blocking connect. `inProgress` is the usual outcome (`EINPROGRESS`): the caller
    /// waits for writability, then reads the result with `pendingError`.
    public static func connect(to address: SocketAddress) throws -> (descriptor: Int32, inProgress: Bool) {
        let domain = address.family == .ipv4 ? AF_INET : AF_INET6
        let fd = Glibc.socket(domain, switchyard_SOCK_NONBLOCK_CLOEXEC_STREAM, 0)
        guard fd >= 0 else { throw IOError("socket") }
        let rc = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        if rc == 0 { return (fd, false) }
        let error = errno
        if error == EINPROGRESS || error == EINTR { return (fd, true) }
        Glibc.close(fd)
        throw IOError("connect(\(address))", errno: error)
    }

    /// `SO_ERROR`: the outcome of a non-blocking connect, nil when it succeeded.
    public static func pendingError(_ fd: Int32) -> Int32? {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return errno }
        return error == 0 ? nil : error
    }

    /// True when the peer has sent nothing and not closed: a non-blocking one-byte peek answers
    /// `EAGAIN`. The liveness check before a pooled connection is reused, catching a close that
    /// arrived but whose event the loop has not processed yet.
    public static func isQuiet(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
    }

    /// Bytes of `fd`'s output the peer's TCP has acknowledged; nil where the kernel does not say
    /// (before Linux 4.1). The peer acknowledges only what its receive buffer has room for, so the
    /// count moves as fast as the peer reads, however much the kernels buffer in between.
    public static func bytesAcknowledged(_ fd: Int32) -> UInt64? {
        var acknowledged: UInt64 = 0
        return switchyard_tcp_bytes_acked(fd, &acknowledged) == 0 ? acknowledged : nil
    }

    public static func setNoDelay(_ fd: Int32) {
        _ = try? setOption(fd, Int32(IPPROTO_TCP), switchyard_TCP_NODELAY, 1, name: "TCP_NODELAY")
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ option: Int32, _ value: Int32, name: String) throws {
        var value = value
        guard setsockopt(fd, level, option, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw IOError("setsockopt(\(name))")
        }
    }

    public enum IOResult: Equatable {
        case bytes(Int)
        case wouldBlock
        case endOfFile
        case failed(Int32)
    }

    @inlinable
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 { return .bytes(n) }
            if n == 0 { return .endOfFile }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed(errno)
            }
        }
    }

    /// `send` with `MSG_NOSIGNAL`: a peer that went away is an error to handle, not a signal.
    @inlinable
    public static func write(_ fd: Int32, from buffer: UnsafeRawBufferPointer) -> IOResult {
        while true {
            let n = Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            if n >= 0 { return .bytes(n) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed(errno)
            }
        }
    }

    public static func shutdownWrite(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Closes with an immediate RST instead of a FIN: for peers we refuse to talk to further
    /// (garbage on the TLS port) so that no lingering state stays behind.
    public static func abort(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        _ = Glibc.close(fd)
    }
}
