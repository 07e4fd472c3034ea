import SwitchyardIO

/// One TCP connection to Redis, pipelined: commands are written as they come, any number in
/// flight, and replies are matched to them in order (Redis answers each connection FIFO).
///
/// A command whose deadline passed keeps its place in the queue with its completion removed, so
/// the late reply is read and discarded and the queue stays in step with the server. On close
/// every command still waiting fails with `.unavailable` (on the next turn, through the client),
/// and the client reconnects it with backoff. Used on its client's loop only.
public final class RedisConnection: ChannelDelegate {
    enum State { case down, connecting, ready }

    struct Pending {
        /// nil once answered by a timeout: the reply is discarded.
        var completion: ((Result<RESPValue, RedisError>) -> Void)?
        /// Monotonic ns; 0 for none (the client's own connect-time commands).
        var deadline: UInt64
    }

    unowned let client: RedisClient
    /// The client's loop, held here so `detach` (run from the client's deinit) need not touch it.
    private unowned(unsafe) let loop: EventLoop
    let index: Int
    private(set) var channel: Channel?
    private(set) var state = State.down
    private var pending: [Pending] = []
    private var head = 0
    /// Entries before this index (from `head`) can no longer time out.
    private var expiryCursor = 0
    private var parser: RESPParser
    var needsFlush = false
    var reconnectTimer: Registration?
    var backoffSeconds: Double

    init(client: RedisClient, index: Int) {
        self.client = client
        self.loop = client.loop
        self.index = index
        self.parser = RESPParser(limits: client.configuration.parserLimits)
        self.backoffSeconds = client.configuration.reconnectMinimumSeconds
    }

    /// Commands written and not yet answered (timed-out ones included until their reply comes).
    public var inFlightCount: Int { pending.count - head }
    public var isReady: Bool { state == .ready }
    /// Whether the loss of this connection was logged and its return should be: one line each
    /// way per outage, not one per reconnect attempt.
    private var outageLogged = false

    // MARK: Connecting

    func connect() {
        reconnectTimer = nil
        guard state == .down else { return }
        do {
            let channel = try Channel.connect(to: client.address, loop: client.loop, tls: nil)
            channel.delegate = self
            self.channel = channel
            state = .connecting
            channel.setDeadline(afterSeconds: client.configuration.connectTimeoutSeconds)
            for command in client.connectCommands {
                enqueue(command, deadline: 0, completion: nil)
            }
        } catch {
            scheduleReconnect()
        }
    }

    private func scheduleReconnect() {
        guard !client.isClosed, reconnectTimer == nil else { return }
        let delay = backoffSeconds
        backoffSeconds = min(backoffSeconds * 2, client.configuration.reconnectMaximumSeconds)
        reconnectTimer = client.loop.schedule(afterSeconds: delay) { [weak self] in
            self?.reconnectTimer = nil
            self?.connect()
        }
    }

    // MARK: Commands

    /// Writes the command (flushed on the client's next timer turn) and queues its completion.
    func enqueue(_ command: [String], deadline: UInt64, completion: ((Result<RESPValue, RedisError>) -> Void)?) {
        guard let channel else { return }
        RESPEncoder.encodeCommand(command, into: channel.outbound)
        append(Pending(completion: completion, deadline: deadline))
    }

    func enqueue(bytes command: [[UInt8]], deadline: UInt64, completion: ((Result<RESPValue, RedisError>) -> Void)?) {
        guard let channel else { return }
        RESPEncoder.encodeCommand(command, into: channel.outbound)
        append(Pending(completion: completion, deadline: deadline))
    }

    private func append(_ entry: Pending) {
        pending.append(entry)
        if !needsFlush {
            needsFlush = true
            client.connectionNeedsFlush(self)
        }
        if entry.deadline != 0 { client.armTimer(at: entry.deadline) }
    }

    func flush() {
        needsFlush = false
        if state == .ready { channel?.flush() }
    }

    /// Times out every command whose deadline is at or before `now`; returns their completions
    /// (the caller runs them) and the next deadline still pending here (0: none).
    func expire(now: UInt64, into expired: inout [(Result<RESPValue, RedisError>) -> Void]) -> UInt64 {
        expiryCursor = max(expiryCursor, head)
        while expiryCursor < pending.count {
            let entry = pending[expiryCursor]
            if entry.completion == nil || entry.deadline == 0 {
                expiryCursor += 1
                continue
            }
            if entry.deadline > now { return entry.deadline }
            expired.append(entry.completion!)
            pending[expiryCursor].completion = nil
            expiryCursor += 1
        }
        return 0
    }

    private func popHead() -> Pending? {
        guard head < pending.count else { return nil }
        let entry = pending[head]
        head += 1
        if head == pending.count {
            pending.removeAll(keepingCapacity: true)
            head = 0
            expiryCursor = 0
        } else if head >= 1024 && head * 2 >= pending.count {
            pending.removeFirst(head)
            expiryCursor = max(0, expiryCursor - head)
            head = 0
        }
        return entry
    }

    /// Closes the connection (the client is closing, or the stream broke).
    func abort() {
        channel?.abort()
    }

    /// The client is being deallocated without `close()`: drop everything without calling back.
    func detach() {
        if let reconnectTimer { loop.cancel(reconnectTimer) }
        reconnectTimer = nil
        pending.removeAll()
        head = 0
        expiryCursor = 0
        channel?.delegate = nil
        channel?.abort()
        channel = nil
        state = .down
    }

    // MARK: ChannelDelegate

    public func channelActive(_ channel: Channel) {
        guard state == .connecting else { return }
        state = .ready
        backoffSeconds = client.configuration.reconnectMinimumSeconds
        if outageLogged {
            outageLogged = false
            client.log("redis: connection \(index) to \(client.address) is back")
        }
        channel.clearDeadline()
        channel.flush()
    }

    public func channelRead(_ channel: Channel) {
        while state == .ready, !channel.inbound.isEmpty {
            let inbound = channel.inbound
            let parsed: (value: RESPValue, consumed: Int)?
            do {
                parsed = try parser.parse(inbound.readableBytes)
            } catch {
                client.log("redis: dropping connection \(index): unreadable reply (\(error))")
                channel.abort()
                return
            }
            guard let parsed else {
                if inbound.readableCount >= inbound.capacity {
                    client.log("redis: dropping connection \(index): a reply larger than the read buffer")
                    channel.abort()
                }
                return
            }
            channel.consumeInbound(parsed.consumed)
            guard let entry = popHead() else {
                client.log("redis: dropping connection \(index): a reply nobody asked for")
                channel.abort()
                return
            }
            if let completion = entry.completion {
                if case .error(let message) = parsed.value {
                    completion(.failure(.server(message)))
                } else {
                    completion(.success(parsed.value))
                }
            }
        }
    }

    public func channelReadEOF(_ channel: Channel) {
        channel.abort()
    }

    public func channelWritable(_ channel: Channel) {}

    public func channelDeadline(_ channel: Channel) {
        // Only the connect timeout lives here.
        if state == .connecting { channel.abort() }
    }

    public func channelClosed(_ channel: Channel) {
        guard self.channel === channel else { return }
        self.channel = nil
        if state == .ready && !client.isClosed && !outageLogged {
            outageLogged = true
            client.log("redis: connection \(index) to \(client.address) lost (\(channel.closeReason?.description ?? "closed")); "
                       + "deciding by onStoreFailure while reconnecting")
        }
        state = .down
        needsFlush = false
        parser.reset()
        var failed: [(Result<RESPValue, RedisError>) -> Void] = []
        for i in head..<pending.count {
            if let completion = pending[i].completion { failed.append(completion) }
        }
        pending.removeAll()
        head = 0
        expiryCursor = 0
        client.deferFailures(failed, error: .unavailable)
        scheduleReconnect()
    }
}
