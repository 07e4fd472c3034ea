/// A loop's listening socket: accepts until `EAGAIN` and hands each new fd to `accept`.
///
/// When the process is out of file descriptors (`EMFILE`) or at its connection cap, accepting
/// pauses for `backoffSeconds` and retries from a deadline, instead of spinning on a backlog
/// that stays readable.
public final class Listener: EventHandler {
    public unowned let loop: EventLoop
    public let fd: Int32
    public let address: SocketAddress
    private var registration: Registration?
    private let limit: ConnectionLimit
    private let accept: (Int32, SocketAddress?) -> Void
    private var paused = false
    public static let backoffSeconds = 0.1
    /// Times accepting paused on `EMFILE`/`ENFILE` or the connection cap.
    public private(set) var backoffs = 0

    /// `accept` receives an fd for which one unit of `limit` is held (whoever closes it releases
    /// it) and the peer's address.
    public init(fd: Int32, loop: EventLoop, limit: ConnectionLimit, accept: @escaping (Int32, SocketAddress?) -> Void) throws {
        self.fd = fd
        self.loop = loop
        self.limit = limit
        self.accept = accept
        self.address = try SocketAddress.local(of: fd)
        self.registration = try loop.register(fd: fd, events: [.readable, .edgeTriggered], handler: self)
    }

    public func handleEvents(_ events: EpollEvents) {
        if !paused { acceptAll() }
    }

    public func handleDeadline() {
        paused = false
        acceptAll()
    }

    private func acceptAll() {
        while registration != nil {
            guard limit.tryAcquire() else {
                pause()
                return
            }
            switch Socket.accept(fd) {
            case .accepted(let connection, let peer):
                accept(connection, peer)
            case .wouldBlock:
                limit.release()
                return
            case .transient:
                limit.release()
            case .exhausted, .failed:
                limit.release()
                pause()
                return
            }
        }
    }

    private func pause() {
        guard let registration else { return }
        paused = true
        backoffs += 1
        loop.setDeadline(registration, afterSeconds: Listener.backoffSeconds)
    }

    /// Stops accepting for good: the first step of a graceful shutdown.
    public func close() {
        guard let registration else { return }
        loop.deregister(registration)
        self.registration = nil
        Socket.close(fd)
    }
}
