import SwitchyardIO

/// The upstream HTTP/1.1 client of one event loop: sends calls to `UpstreamTarget`s over a
/// keep-alive pool, all on the loop's thread, never blocking it.
///
/// - **Connections**: a non-blocking connect (`Channel.connect`, `TCP_NODELAY`), then for HTTPS a
///   TLS handshake that verifies the chain and the host name; both within
///   `connectTimeoutSeconds`. A failed connect moves on to the target's next address.
/// - **Pool**: idle connections per `UpstreamPoolKey`, newest first (LIFO keeps few connections
///   warm and lets the rest expire), at most `maxIdlePerKey`, each closed after
///   `idleTimeoutSeconds` (or the server's `Keep-Alive: timeout` less a second). A connection
///   the server closes while idle leaves the pool when its EOF arrives; before reuse it must
///   pass `HTTPClientConnection.isReusable`, which asks the socket itself only for a call the
///   retry rule would not send again. A connection carries one call at a time.
/// - **Deadline**: `timeoutSeconds` from `send` to the complete answer, retry included. It lives
///   in the connection's own channel deadline, so a call costs no timer of its own.
/// - **Retry**: once, only for an idempotent method (`HTTPMethod.isIdempotent`), only when a
///   *reused* connection failed (closed or reset) before any byte of the answer: the classic race
///   with a server closing an idle connection. The retry goes on a new connection. A POST is never
///   retried, a timeout never is, and neither is a fresh connection's failure.
/// - **Retry budget** (API.md §7): retries in flight to one upstream (`UpstreamPoolKey`) are at most
///   20 % of its calls in flight, and at least 3, so a vendor whose connections all break at once
///   (a restart, a load balancer dropping its pool) gets a few retries, not a second wave of every
///   call. A call the budget refuses ends with its error (counted: `retriesRefused`).
///
/// Not thread-safe, by design: create one per loop, and call it on that loop only (debug builds
/// check). `send`'s completion runs exactly once, on the loop, and never before `send` has returned.
public final class UpstreamClient {
    /// Strong like `Channel.loop`, lent to each call without a retain.
    public let loop: EventLoop
    public let limits: UpstreamLimits
    public let statistics: UpstreamStatistics
    /// One inflate stream per loop, reused for every gzip answer.
    let gzip = GzipDecoder()
    /// The loop's pools, held here too: reached through `loop`, each call on one was wrapped in a
    /// retain and a release, where one in `self`'s own `let` is lent as it is.
    private let byteArrays: ArrayPool<UInt8>
    private let fieldLists: ArrayPool<(name: String, value: String)>

    /// By `UpstreamPoolKey.index`, nil for a key this loop has not called yet: bounded by the
    /// targets ever configured. An emptied pool stays, so a connection going back and forth costs
    /// no allocation.
    private var pools: [UpstreamPool?] = []
    /// Depth of `send` calls on the stack: a call that ends while one is running is reported on
    /// a later turn of the loop, so no completion runs inside `send`.
    private var sending = 0
    private var nextAddress = 0
    private var isShutDown = false

    public init(loop: EventLoop, limits: UpstreamLimits, statistics: UpstreamStatistics = UpstreamStatistics()) {
        precondition(limits.maxResponseHeaderBytes < loop.readBuffers.bufferCapacity,
                     "a response head must fit the loop's read buffer, or it could never complete")
        self.loop = loop
        self.limits = limits
        self.statistics = statistics
        byteArrays = loop.byteArrays
        fieldLists = loop.fieldLists
    }

    /// Idle connections in the pool, across keys.
    public var idleConnectionCount: Int {
        pools.reduce(0) { $0 + ($1?.idle.count ?? 0) }
    }

    /// Sends `request` to `target`; `completion` gets the response (any status) or the reason
    /// there is none, exactly once, on this loop, after `send` returned.
    ///
    /// The request is taken (`consuming`), and the call made of it moves from here to its
    /// connection and back to `complete` without a copy: each copy would retain every string and
    /// array it holds.
    public func send(
        _ request: consuming UpstreamRequest, to target: UpstreamTarget,
        completion: @escaping (Result<UpstreamResponse, UpstreamError>) -> Void
    ) {
        send(request, to: target, completion: .closure(completion))
    }

    /// Sends `request` to `target` as `send(_:to:completion:)` does, telling `observer` how it
    /// ended with `tag`: the same call without a closure to allocate.
    public func send(_ request: consuming UpstreamRequest, to target: UpstreamTarget, observer: any UpstreamCallObserver, tag: Int) {
        send(request, to: target, completion: .observer(observer, tag: tag))
    }

    private func send(_ request: consuming UpstreamRequest, to target: UpstreamTarget, completion: UpstreamCompletion) {
        loop.assertCurrent()
        sending += 1
        defer { sending -= 1 }
        statistics.recordRequest()
        let pool = pool(for: target.poolKey)
        pool.calls += 1
        let problem = request.validationProblem()
        var call = UpstreamCall(
            request: consume request, target: target, pool: pool, completion: completion,
            deadline: loop.now + MonotonicClock.nanoseconds(seconds: limits.timeoutSeconds)
        )
        if let problem {
            complete(consume call, with: .failure(UpstreamError(.invalidRequest(problem))))
            return
        }
        if let connection = takeIdleConnection(from: pool, checkingSocket: !Self.mayRetry(call)) {
            statistics.recordConnectionReused()
            call.reusedConnection = true
            connection.begin(reusing: consume call)
        } else {
            connect(consume call)
        }
    }

    /// The pool of `key`, made on its first call.
    private func pool(for key: UpstreamPoolKey) -> UpstreamPool {
        if key.index < pools.count, let pool = pools[key.index] { return pool }
        if key.index >= pools.count { pools.append(contentsOf: repeatElement(nil, count: key.index + 1 - pools.count)) }
        let pool = UpstreamPool()
        pools[key.index] = pool
        return pool
    }

    /// Closes every idle connection and stops pooling: connections busy with a call close when
    /// it ends. For shutdown.
    public func shutdown() {
        isShutDown = true
        let connections = pools.flatMap { $0?.idle ?? [] }
        for pool in pools { pool?.idle.removeAll() }
        for connection in connections {
            connection.isPooled = false
            connection.close()
        }
    }

    // MARK: Connecting

    /// Opens a new connection for `call`, trying the target's addresses in turn from a rotating
    /// start; the request is written as soon as the handshake is done.
    private func connect(_ call: consuming UpstreamCall) {
        call.reusedConnection = false
        let target = call.target
        let addresses = target.addresses
        guard !addresses.isEmpty else {
            complete(call, with: .failure(UpstreamError(.resolutionFailed("\(target.host) has not resolved yet"))))
            return
        }
        if call.addressesTried == 0 {
            call.firstAddress = nextAddress % addresses.count
            nextAddress &+= 1
        }
        var lastErrno: Int32 = 0
        while call.addressesTried < addresses.count {
            let address = addresses[(call.firstAddress + call.addressesTried) % addresses.count]
            call.addressesTried += 1
            let channel: Channel
            do {
                channel = try Channel.connect(to: address, loop: loop, tls: target.tls.map { ($0, target.host) })
            } catch let error as IOError {
                lastErrno = error.errno
                continue
            } catch {
                complete(call, with: .failure(UpstreamError(.tlsFailed("\(error)"))))
                return
            }
            statistics.recordConnectionOpened()
            let connection = HTTPClientConnection(channel: channel, pool: call.pool, client: self, limits: limits)
            let connectDeadline = loop.now + MonotonicClock.nanoseconds(seconds: limits.connectTimeoutSeconds)
            connection.begin(connecting: call, connectDeadline: connectDeadline)
            return
        }
        complete(call, with: .failure(UpstreamError(.connectFailed(errno: lastErrno))))
    }

    // MARK: From connections

    /// A call's connection failed. The next address after a failed connect; one retry on a new
    /// connection when the rule allows it (see the type's documentation); else the error.
    func callFailed(_ call: consuming UpstreamCall, _ error: UpstreamError, mayRetry: Bool) {
        let inTime = loop.now < call.deadline
        if case .connectFailed = error.cause, call.addressesTried < call.target.addresses.count, inTime {
            connect(call)
            return
        }
        if mayRetry, !call.retried, call.request.method.isIdempotent, inTime {
            guard call.pool.allowsRetry else {
                statistics.recordRetryRefused()
                complete(call, with: .failure(error))
                return
            }
            call.pool.retries += 1
            call.retried = true
            call.addressesTried = 0
            statistics.recordRetry()
            connect(call)
            return
        }
        complete(call, with: .failure(error))
    }

    /// A connection answered its call and may carry another: into the pool, unless it is full.
    func connectionFinished(_ connection: HTTPClientConnection, keepAliveTimeoutSeconds: Int?) {
        var seconds = limits.idleTimeoutSeconds
        // A second's margin: the server's own timer and our 100 ms wheel must not race.
        if let serverTimeout = keepAliveTimeoutSeconds { seconds = min(seconds, Double(serverTimeout) - 1) }
        guard !isShutDown, limits.maxIdlePerKey > 0, seconds > 0 else {
            connection.close()
            return
        }
        connection.park(until: loop.now + MonotonicClock.nanoseconds(seconds: seconds))
        connection.isPooled = true
        let pool = connection.pool
        pool.idle.append(connection)
        if pool.idle.count > limits.maxIdlePerKey {
            let oldest = pool.idle.removeFirst()
            oldest.isPooled = false
            oldest.close()
        }
    }

    /// A connection's channel closed: forget it if it was idle in the pool.
    func connectionClosed(_ connection: HTTPClientConnection) {
        guard connection.isPooled else { return }
        connection.isPooled = false
        connection.pool.idle.removeAll { $0 === connection }
    }

    /// Whether a new call that fails on a reused connection before its answer would be sent again
    /// (the retry rule above, as far as it is known before sending: the method and the budget).
    private static func mayRetry(_ call: borrowing UpstreamCall) -> Bool {
        call.request.method.isIdempotent && call.pool.allowsRetry
    }

    /// The most recently parked connection of `pool` that passes the liveness check; the ones
    /// that fail it are closed on the way. `checkingSocket` asks the socket too
    /// (`HTTPClientConnection.isReusable`): a system call, made only for a call that could not be
    /// sent again if the connection turned out closed. A connection whose answer is still being
    /// read (a call made from the completion of the one it just carried: the next batch of a bulk
    /// update, a migration's mirrored change) is left in the pool for a later call, not closed: its
    /// end of file, if one came with the answer, is not known until the read is over.
    private func takeIdleConnection(from pool: UpstreamPool, checkingSocket: Bool) -> HTTPClientConnection? {
        let now = loop.now
        var reading: [HTTPClientConnection] = []
        defer { pool.idle.append(contentsOf: reading.reversed()) }
        while let connection = pool.idle.popLast() {
            if connection.isReading {
                reading.append(connection)
                continue
            }
            connection.isPooled = false
            if connection.isReusable(now: now, checkingSocket: checkingSocket) { return connection }
            connection.close()
        }
        return nil
    }

    // MARK: Completion

    /// Counts the outcome and runs the completion: now, or on the loop's next turn when `send` is
    /// on the stack (a connect refused at once, a reused socket that fails on its first write).
    /// The request's body and header lines, and the answer's body once the completion has read
    /// it, go back to the loop's arrays for the next call.
    func complete(_ call: consuming UpstreamCall, with result: consuming Result<UpstreamResponse, UpstreamError>) {
        defer {
            byteArrays.give(moving: &call.request.body)
            fieldLists.give(moving: &call.request.headers)
        }
        call.pool.calls -= 1
        if call.retried { call.pool.retries -= 1 }
        switch result {
        case .success: statistics.recordResponse()
        case .failure(let error): statistics.recordFailure(error.kind)
        }
        guard sending > 0 else {
            call.completion(result)
            // Taken apart, the body moves in (`give(moving:)`) rather than being shared until the result goes.
            if case .success(var response) = consume result { byteArrays.give(moving: &response.body) }
            return
        }
        let deferred = DeferredCompletion(completion: call.completion, result: result)
        loop.execute { _ in deferred.run() }
    }
}

/// A completion carried to the next turn of the same loop through `EventLoop.execute`, whose
/// tasks must be `Sendable`. `@unchecked` is sound because it never leaves the loop's thread: it
/// is made on the loop and run by the loop.
private final class DeferredCompletion: @unchecked Sendable {
    let completion: UpstreamCompletion
    let result: Result<UpstreamResponse, UpstreamError>

    init(completion: UpstreamCompletion, result: Result<UpstreamResponse, UpstreamError>) {
        self.completion = completion
        self.result = result
    }

    func run() {
        completion(result)
    }
}
