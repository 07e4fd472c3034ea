import SwitchyardIO

/// The Redis client of one event loop: a few pipelined connections to one server, used
/// round-robin, on this loop only (not `Sendable` by design; create one per loop).
///
/// - `send`'s completion runs exactly once, on the loop, never inside `send`.
/// - Every command has a deadline (`commandTimeoutMilliseconds`, 5 ms by default) kept by the
///   client's own timerfd (the loop's wheel ticks at 100 ms): when it passes, the completion gets
///   `.timeout` at once and the late reply is discarded when it comes.
/// - A connection that fails fails its commands in flight with `.unavailable` and reconnects
///   after a backoff doubling from `reconnectMinimumSeconds` to `reconnectMaximumSeconds`; while
///   no connection is up, `send` answers `.unavailable` on the next turn. Nothing blocks the loop.
/// - Writes are batched: commands sent in one turn of the loop go out in one `write` per
///   connection, at the start of the next turn (the timerfd armed for "now").
public final class RedisClient {
    public struct Configuration: Sendable {
        public var connectionCount: Int
        public var commandTimeoutMilliseconds: Double
        public var connectTimeoutSeconds: Double
        public var reconnectMinimumSeconds: Double
        public var reconnectMaximumSeconds: Double
        /// Commands in flight per connection beyond which `send` answers `.overloaded`.
        public var maxInFlightPerConnection: Int
        public var parserLimits: RESPParser.Limits

        public init(connectionCount: Int = 2, commandTimeoutMilliseconds: Double = 5,
                    connectTimeoutSeconds: Double = 1, reconnectMinimumSeconds: Double = 0.1,
                    reconnectMaximumSeconds: Double = 2, maxInFlightPerConnection: Int = 4096,
                    parserLimits: RESPParser.Limits = RESPParser.Limits()) {
            precondition(connectionCount > 0 && commandTimeoutMilliseconds > 0)
            self.connectionCount = connectionCount
            self.commandTimeoutMilliseconds = commandTimeoutMilliseconds
            self.connectTimeoutSeconds = connectTimeoutSeconds
            self.reconnectMinimumSeconds = reconnectMinimumSeconds
            self.reconnectMaximumSeconds = reconnectMaximumSeconds
            self.maxInFlightPerConnection = maxInFlightPerConnection
            self.parserLimits = parserLimits
        }
    }

    public unowned(unsafe) let loop: EventLoop
    public let address: SocketAddress
    public let configuration: Configuration
    /// Commands written first on every new connection (before anything sent through it), their
    /// replies ignored: `SCRIPT LOAD` for the rate-limit script.
    let connectCommands: [[String]]
    /// Where problems are reported (a dropped connection); silent by default.
    public var logger: ((String) -> Void)?

    private var connections: [RedisConnection] = []
    private var timer: PreciseTimer!
    private var nextConnection = 0
    private var toFlush: [RedisConnection] = []
    private var deferred: [() -> Void] = []
    private let timeoutNanoseconds: UInt64
    public private(set) var isClosed = false

    /// Connects `configuration.connectionCount` connections to `address` (non-blocking; commands
    /// sent before a connection is up wait in it, within their deadline).
    /// Throws only when the loop has no room for the client's timer.
    public init(loop: EventLoop, address: SocketAddress, configuration: Configuration = Configuration(),
                connectCommands: [[String]] = []) throws {
        self.loop = loop
        self.address = address
        self.configuration = configuration
        self.connectCommands = connectCommands
        self.timeoutNanoseconds = UInt64(configuration.commandTimeoutMilliseconds * 1_000_000)
        timer = try PreciseTimer(loop: loop) { [unowned self] in self.timerFired() }
        connections = (0..<configuration.connectionCount).map { RedisConnection(client: self, index: $0) }
        for connection in connections { connection.connect() }
    }

    /// Dropping a client without `close()` abandons its commands in flight (their completions
    /// never run); call `close()` first.
    deinit {
        if !isClosed {
            for connection in connections { connection.detach() }
            timer?.close()
        }
    }

    /// Connections currently up.
    public var readyConnectionCount: Int { connections.reduce(0) { $0 + ($1.isReady ? 1 : 0) } }
    /// Commands written and not yet answered, across connections.
    public var inFlightCount: Int { connections.reduce(0) { $0 + $1.inFlightCount } }

    /// Sends `command` (`["SET", "k", "v"]`); `completion` gets the reply, a Redis error reply as
    /// `.server`, or `.timeout` / `.unavailable` / `.overloaded`: exactly once, on this loop, after
    /// `send` returned.
    public func send(_ command: [String], completion: @escaping (Result<RESPValue, RedisError>) -> Void) {
        guard let connection = pickConnection(completion) else { return }
        connection.enqueue(command, deadline: MonotonicClock.now() + timeoutNanoseconds, completion: completion)
    }

    /// The same with binary arguments.
    public func send(bytes command: [[UInt8]], completion: @escaping (Result<RESPValue, RedisError>) -> Void) {
        guard let connection = pickConnection(completion) else { return }
        connection.enqueue(bytes: command, deadline: MonotonicClock.now() + timeoutNanoseconds, completion: completion)
    }

    /// Round-robin over ready connections, then connecting ones; nil (and the failure deferred)
    /// when there is none.
    private func pickConnection(_ completion: @escaping (Result<RESPValue, RedisError>) -> Void) -> RedisConnection? {
        if isClosed {
            deferFailures([completion], error: .unavailable)
            return nil
        }
        let count = connections.count
        var connecting: RedisConnection?
        var full = false
        for offset in 0..<count {
            let connection = connections[(nextConnection + offset) % count]
            if connection.inFlightCount >= configuration.maxInFlightPerConnection {
                full = true
                continue
            }
            switch connection.state {
            case .ready:
                nextConnection = (nextConnection + offset + 1) % count
                return connection
            case .connecting:
                if connecting == nil { connecting = connection }
            case .down:
                break
            }
        }
        if let connecting {
            nextConnection = (connecting.index + 1) % count
            return connecting
        }
        deferFailures([completion], error: full ? .overloaded : .unavailable)
        return nil
    }

    /// Closes every connection; commands in flight fail with `.unavailable`. For shutdown and
    /// reconfiguration; the client can't be used afterwards.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        for connection in connections {
            if let reconnect = connection.reconnectTimer { loop.cancel(reconnect) }
            connection.reconnectTimer = nil
            connection.abort()
        }
        let late = deferred
        deferred = []
        timer.close()
        for run in late { run() }
    }

    // MARK: From connections and the timer

    func log(_ message: String) {
        logger?(message)
    }

    func connectionNeedsFlush(_ connection: RedisConnection) {
        toFlush.append(connection)
        timer.arm(at: 1)
    }

    func armTimer(at instant: UInt64) {
        timer.arm(at: instant)
    }

    func deferFailures(_ completions: [(Result<RESPValue, RedisError>) -> Void], error: RedisError) {
        guard !completions.isEmpty else { return }
        if isClosed {
            // The timerfd is gone; the wheel's next tick (≤ 100 ms) is soon enough after `close`.
            loop.schedule(afterSeconds: 0) {
                for completion in completions { completion(.failure(error)) }
            }
            return
        }
        for completion in completions { deferred.append { completion(.failure(error)) } }
        timer.arm(at: 1)
    }

    private func timerFired() {
        if !toFlush.isEmpty {
            let flushing = toFlush
            toFlush.removeAll(keepingCapacity: true)
            for connection in flushing { connection.flush() }
        }
        if !deferred.isEmpty {
            let running = deferred
            deferred.removeAll()
            for run in running { run() }
        }
        let now = MonotonicClock.now()
        var expired: [(Result<RESPValue, RedisError>) -> Void] = []
        var next = UInt64.max
        for connection in connections {
            let deadline = connection.expire(now: now, into: &expired)
            if deadline != 0 { next = min(next, deadline) }
        }
        for completion in expired { completion(.failure(.timeout)) }
        if next != .max && !isClosed { timer.arm(at: next) }
    }
}
