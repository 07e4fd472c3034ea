import Dispatch
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardRedis
import SwitchyardVendors
import Synchronization

/// The gateway: the `/devices` API behind the TLS listener, as an `HTTPResponder`.
///
/// `Pipeline.swift` is the request's way through it, phase by phase; this file holds what the
/// phases work with: each loop's `GatewayLoop`, the configuration's state and its reload, the
/// metrics.
///
/// `@unchecked Sendable`: everything is immutable after `init` but `current`, which is under its
/// mutex, and the loops' contexts, which `LoopBound` confines to their loops.
public final class Gateway: HTTPResponder, @unchecked Sendable {
    private let adapter: @Sendable (TenantConfiguration) -> any VendorAdapter
    /// The latest state, for the next reload to build on (loops read their own copy).
    private let current: Mutex<GatewayState>
    private let loops: [EventLoop]
    /// Each loop's own, checked to be touched on that loop only.
    let contexts: [LoopBound<GatewayLoop>]
    /// What `/metrics` says: the loops' events, recorded off the loops.
    public let metrics = GatewayMetrics()
    /// Each loop's upstream counters, its own so that no atomic bounces between the loops' caches.
    private let upstreamStatistics: [UpstreamStatistics]
    /// Spans and their export, when `observability.tracing` is set; its counters are public.
    public let tracer: Tracer?
    /// Where the gateway's own warnings go (store outages, circuit transitions).
    private let log: @Sendable (String) -> Void

    /// Builds the credentials, limits and tenant routes of `configuration` for `loops`, with
    /// `adapter` making each tenant's vendor adapter; throws when a key can't be used (an
    /// unreadable JWKS file, a malformed key) or the Redis address doesn't resolve, which must
    /// stop startup (a vendor's name that doesn't resolve does not, see `TenantRoute`). Runs
    /// before the loops' threads start (Redis clients register with their loop). `upstream`
    /// makes each loop's vendor client: `UpstreamClient` on the wire, a scripted vendor in the
    /// pipeline's tests.
    public init(configuration: GatewayConfiguration, loops: [EventLoop],
                adapter: @escaping @Sendable (TenantConfiguration) -> any VendorAdapter = VendorAdapters.adapter(for:),
                upstream: (EventLoop, UpstreamLimits, UpstreamStatistics) -> any UpstreamTransport = UpstreamClient.init,
                log: (@Sendable (String) -> Void)? = nil) throws {
        let log = log ?? { _ in }
        self.log = log
        let state = try GatewayState(configuration: configuration, loopCount: loops.count, adapter: adapter, previous: nil, log: log)
        self.adapter = adapter
        current = Mutex(state)
        self.loops = loops
        // Room for every connection a busy loop may have in flight to one vendor, so a burst does
        // not end in closing connections it will open again a moment later (idle ones still
        // expire after idleTimeoutSeconds).
        let upstreamLimits = UpstreamLimits(connectTimeoutSeconds: configuration.limits.upstreamConnectTimeoutSeconds,
                                            timeoutSeconds: configuration.limits.upstreamTimeoutSeconds,
                                            maxResponseBodyBytes: configuration.limits.maxUpstreamBodyBytes, maxIdlePerKey: 256)
        var storeAddress: SocketAddress?
        if case .redis(let host, let port) = configuration.rateLimit.store {
            guard let address = try SocketAddress.resolve(host: host, port: port).first else {
                throw IOError("resolving \(host):\(port)")
            }
            storeAddress = address
        }
        let metrics = metrics
        let upstreamStatistics = loops.map { _ in UpstreamStatistics() }
        self.upstreamStatistics = upstreamStatistics
        let tracer = try configuration.observability.tracing.map { try Tracer(settings: $0, exporterLoopIndex: loops.count, log: log) }
        self.tracer = tracer
        let idempotency = configuration.idempotency
        let localIdempotency = MemoryIdempotencyStore(ttlSeconds: idempotency.ttlSeconds, maxBytes: idempotency.maxMemoryBytes)
        // Names this process's vendorConcurrency leases apart from every other replica's.
        let processID = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        contexts = try loops.map { loop in
            let store = try storeAddress.map { address in
                let timeout = Double(configuration.rateLimit.storeTimeoutMilliseconds)
                let client = try RedisClient(loop: loop, address: address, configuration: RedisClient.Configuration(commandTimeoutMilliseconds: timeout),
                                             connectCommands: RedisScript.connectCommands)
                client.logger = { log("rate-limit store (loop \(loop.index)): \($0)") }
                return RedisRateLimitStore(client: client)
            }
            let statistics = upstreamStatistics[loop.index]
            return try LoopBound(GatewayLoop(loop: loop, loops: loops, state: state, upstream: upstream(loop, upstreamLimits, statistics),
                                         metrics: LoopMetrics(sink: metrics),
                                         accessLog: configuration.accessLog == .stdout ? AccessLog(loop: loop) : nil, store: store,
                                         spans: tracer.map { SpanRecorder(loop: loop, tracer: $0) },
                                         idempotency: (store.flatMap { store in
                                             idempotency.store == .memory ? nil : RedisIdempotencyStore(
                                                 client: store.client, ttlSeconds: idempotency.ttlSeconds)
                                         } ?? localIdempotency, localIdempotency), processID: processID),
                             loop: loop)
        }
    }

    /// The running configuration's state, as the loops have it or will at their next request.
    var runningState: GatewayState { current.withLock { $0 } }

    /// Each binding's upstream in the running configuration, for `UpstreamRefresher`.
    var upstreams: [(tenant: String, target: UpstreamTarget)] {
        runningState.bindings.map { ($0.key, $0.value.route.target) }
    }

    /// Hands every loop's metric events to `metrics` and records them. Blocks until each loop has
    /// answered, for at most `timeoutSeconds` (a loop that is stopped or stuck gives its events at
    /// the next collection), so call it off the loops: the once-a-second collection, a scrape.
    public func collectMetrics(timeoutSeconds: Double = 0.5) {
        let answered = DispatchGroup()
        for context in contexts {
            answered.enter()
            context.loop.execute { [metrics] _ in
                metrics.deliver(context.value.metrics.take())
                answered.leave()
            }
        }
        _ = answered.wait(timeout: .now() + timeoutSeconds)
        metrics.recordDelivered()
    }

    /// The Prometheus exposition of everything the gateway counts, fresh from every loop, with
    /// what `read` adds (the listeners' counters); for `/metrics`, off the loops.
    public func metricsExposition(reading read: (inout GatewayMetrics.Reading) -> Void = { _ in }) -> [UInt8] {
        collectMetrics()
        let statistics = upstreamStatistics
        return metrics.exposition { reading in
            reading.total(.upstreamRetries, [], statistics.reduce(0) { $0 + $1.retryCount })
            reading.total(.upstreamRetriesRefused, [], statistics.reduce(0) { $0 + $1.retryRefusedCount })
            for kind in UpstreamError.Kind.allCases {
                reading.total(.upstreamFailures, ["\(kind)"], statistics.reduce(0) { $0 + $1.failures(kind) })
            }
            reading.total(.undocumentedAnswers, [], ErrorCatalogue.undocumentedAnswers)
            for (tenant, binding) in runningState.bindings {
                reading.level(.circuitState, [tenant], binding.circuit.currentState.rawValue)
            }
            if let tracer {
                reading.total(.traceSpansExported, [], tracer.exportedSpanCount)
                reading.total(.traceSpansDropped, [], tracer.droppedSpanCount)
                reading.total(.traceExportsFailed, [], tracer.failedExportCount)
                reading.level(.traceSpansQueued, [], tracer.queuedSpanCount)
            }
            read(&reading)
        }
    }

    /// Reload: builds the state of `configuration` beside the running one (blocking: files, DNS;
    /// call it off the loops) and hands it to every loop, which switches between requests. Throws,
    /// leaving everything as it was, when the new state can't be built. Returns the settings that
    /// changed but take effect only on restart.
    public func apply(_ configuration: GatewayConfiguration) throws -> [String] {
        let previous = current.withLock { $0 }
        let state = try GatewayState(configuration: configuration, loopCount: loops.count, adapter: adapter, previous: previous,
                                     log: log)
        current.withLock { $0 = state }
        for context in contexts {
            context.loop.execute { _ in context.value.state = state }
        }
        return previous.restartOnlyChanges(in: configuration)
    }

    /// Closes the Redis connections and the upstream pools, each on its own loop; for shutdown.
    public func close() {
        for context in contexts {
            context.loop.execute { _ in context.value.close() }
        }
    }

    /// A request that did not parse: answered and closed by the server, counted here (on the
    /// loop that read it) by its problem code, with no tenant.
    public func rejection(for error: HTTPParseError, requestID: RequestID) -> HTTPResponse {
        let problem = Problem(parseError: error)
        contexts.first { $0.loop.isCurrent }?.value.metrics.record(.problem(problem.code, tenant: nil))
        return problem.response(requestID: requestID)
    }
}
