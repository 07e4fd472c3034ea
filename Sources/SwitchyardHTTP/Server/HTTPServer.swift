import SwitchyardIO

/// An HTTP/1.1 server on a set of loops: a `SO_REUSEPORT` listener per loop, TLS or plain, one
/// `HTTPServerConnection` per accepted socket, and a graceful shutdown.
///
/// Build it before the loops' threads start (listeners register with their loop, and a loop's
/// tables are touched by its own thread only once it runs); after that, reach it only through
/// `beginShutdown()` and the read-only properties.
///
/// `@unchecked Sendable`: `states`, its one mutable member, is filled in `init` (a `var` only
/// because the listeners' accept closures capture `self`) and each element is a `LoopBound`.
public final class HTTPServer: @unchecked Sendable {
    public let limits: ServerLimits
    public let responder: any HTTPResponder
    public let statistics = HTTPServerStatistics()
    public let connectionLimit: ConnectionLimit
    /// Memory held by request bodies being read, across this server's loops.
    public let pendingBodies: PendingBodyBudget
    /// The address the listeners are bound to (with the kernel's port when the configuration said 0).
    public let address: SocketAddress
    private let loops: [EventLoop]
    /// Each loop's own, checked to be touched on that loop only (`beginShutdown` sends it there).
    private var states: [LoopBound<LoopState>] = []

    /// The connections living on one loop and its per-loop helpers. Its connections hold it
    /// directly (they live on the same loop); everything else reaches it through `states`.
    final class LoopState {
        /// The certificate and key new connections on this loop get (`replaceTLS`); nil for plain HTTP.
        var tls: TLSContext?
        let requestIDs = RequestIDGenerator()
        let dates = DateCache()
        var listener: Listener?
        var connections: [ObjectIdentifier: HTTPServerConnection] = [:]

        func remove(_ connection: HTTPServerConnection) {
            connections[ObjectIdentifier(connection)] = nil
        }
    }

    /// Binds one listener per loop to `address`, refusing (`EADDRINUSE`) an address another
    /// process already listens on. With port 0 the first bind picks the port and the others join it.
    public init(
        address: SocketAddress,
        loops: [EventLoop],
        tls: TLSContext?,
        limits: ServerLimits,
        connectionLimit: ConnectionLimit,
        responder: any HTTPResponder
    ) throws {
        precondition(!loops.isEmpty)
        self.limits = limits
        self.responder = responder
        self.connectionLimit = connectionLimit
        self.pendingBodies = PendingBodyBudget(maximum: limits.maxPendingBodyBytes)
        self.loops = loops
        // One process per address: another gateway there would share it through SO_REUSEPORT.
        try Socket.ensureNoListener(on: address)
        var bound = address
        var fds: [Int32] = []
        do {
            for _ in loops {
                let fd = try Socket.listen(on: bound)
                fds.append(fd)
                if bound.port == 0 { bound = try SocketAddress.local(of: fd) }
            }
        } catch {
            fds.forEach(Socket.close)
            throw error
        }
        self.address = bound
        for (loop, fd) in zip(loops, fds) {
            let state = LoopState()
            state.tls = tls
            states.append(LoopBound(state, loop: loop))
            state.listener = try Listener(fd: fd, loop: loop, limit: connectionLimit) { [unowned self] connection, peer in
                self.accept(connection, peer: peer, on: loop, state: state)
            }
        }
    }

    private func accept(_ fd: Int32, peer: SocketAddress?, on loop: EventLoop, state: LoopState) {
        statistics.recordAccept()
        let channel: Channel
        do {
            channel = try Channel(fd: fd, loop: loop, tls: state.tls)
        } catch {
            connectionLimit.release()
            return
        }
        let connection = HTTPServerConnection(channel: channel, server: self, shared: state, peer: peer)
        state.connections[ObjectIdentifier(connection)] = connection
        channel.delegate = connection
    }

    /// Stops accepting on every loop and lets each connection finish what it started: idle ones
    /// close now, busy ones after their current response. Returns at once; watch
    /// `openConnections` to see the drain finish.
    public func beginShutdown() {
        for bound in states {
            bound.loop.execute { _ in
                let state = bound.value
                state.listener?.close()
                state.listener = nil
                for connection in Array(state.connections.values) { connection.drain() }
            }
        }
    }

    /// A new certificate and key (a reload): each loop's next handshakes use `context`, connections
    /// already open keep the pair they were made with. A server built without TLS stays plain.
    public func replaceTLS(_ context: TLSContext) {
        for bound in states {
            bound.loop.execute { _ in
                let state = bound.value
                if state.tls != nil { state.tls = context }
            }
        }
    }

    /// Connections open on this server (accepted and not yet closed), across its loops.
    public var openConnections: Int { connectionLimit.current }
}
