import Foundation
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON
import SwitchyardRedis
import Synchronization

/// The gateway's request pipeline: the `/devices` API behind the TLS listener.
///
/// `respond` reads as the request's way through the gateway (docs/ARCHITECTURE.md): route,
/// authenticate, check scope, read the body, tenant rate limit, then the tenant's adapter
/// validates and translates, and `DeviceCall` spends the vendor quota, calls the vendor and
/// translates back. Each step is one call into the module that owns it.
///
/// `@unchecked Sendable`: everything is immutable after `init` except the per-loop contexts and
/// Redis stores, and each of those is touched only on its own loop (`[exchange.loop.index]`).
public final class Gateway: HTTPResponder, @unchecked Sendable {
    /// What each loop owns: the configuration's state as this loop sees it, its token cache,
    /// upstream client and pool, gzip stream, trace ids.
    final class LoopContext {
        /// Replaced on reload, on this loop, between requests (`Gateway.apply`).
        var state: GatewayState
        let cache = AuthenticationCache()
        let client: UpstreamClient
        let gzip = GzipEncoder()
        /// For `Content-Encoding: gzip` request bodies: one inflate stream per loop, reset per body.
        let gunzip = GzipDecoder()
        let traceIDs = RequestIDGenerator()
        let accessLog: AccessLog?

        init(state: GatewayState, client: UpstreamClient, accessLog: AccessLog?) {
            self.state = state
            self.client = client
            self.accessLog = accessLog
        }

        /// The request's answer: logged, then sent. `started` is the loop's clock at arrival.
        func finish(_ exchange: HTTPExchange, _ request: HTTPRequest, _ response: HTTPResponse, tenant: String?, started: UInt64) {
            accessLog?.record(request.head, requestID: request.requestID, status: response.status, tenant: tenant, started: started)
            exchange.respond(response)
        }

        /// Gzip for a client that takes it, when the body is large enough to gain (API.md: 1 KiB).
        func compress(_ response: HTTPResponse, for request: HTTPRequest) -> HTTPResponse {
            guard response.body.count >= ContentNegotiation.minimumGzipBytes, ContentNegotiation.acceptsGzip(request.head) else {
                return response
            }
            var compressed = response
            compressed.body = gzip.compress(response.body)
            compressed.headers.append(("content-encoding", "gzip"))
            compressed.headers.append(("vary", "accept-encoding"))
            return compressed
        }
    }

    private let adapter: @Sendable (TenantConfiguration) -> any VendorAdapter
    /// The latest state, for the next reload to build on (loops read their own copy).
    private let current: Mutex<GatewayState>
    private let loops: [EventLoop]
    private let contexts: [LoopContext]
    /// One per loop with `rateLimit.store: redis://…`.
    private let stores: [RedisRateLimitStore]?
    private let storeFailures = Atomic<Int>(0)
    /// Every loop's upstream calls, counted together.
    public let upstreamStatistics = UpstreamStatistics()

    /// Builds the credentials, limits and tenant routes of `configuration` for `loops`, with
    /// `adapter` making each tenant's vendor adapter; throws when a key can't be used (an
    /// unreadable JWKS file, a malformed key) or the Redis address doesn't resolve, which must
    /// stop startup (a vendor's name that doesn't resolve does not, see `TenantRoute`). Runs
    /// before the loops' threads start (Redis clients register with their loop).
    public init(configuration: GatewayConfiguration, loops: [EventLoop],
                adapter: @escaping @Sendable (TenantConfiguration) -> any VendorAdapter,
                log: (@Sendable (String) -> Void)? = nil) throws {
        let state = try GatewayState(configuration: configuration, loopCount: loops.count, adapter: adapter, previous: nil)
        self.adapter = adapter
        current = Mutex(state)
        self.loops = loops
        // Room for every connection a busy loop may have in flight to one vendor, so a burst does
        // not end in closing connections it will open again a moment later (idle ones still
        // expire after idleTimeoutSeconds).
        let upstreamLimits = UpstreamLimits(connectTimeoutSeconds: configuration.limits.upstreamConnectTimeoutSeconds,
                                            timeoutSeconds: configuration.limits.upstreamTimeoutSeconds,
                                            maxResponseBodyBytes: configuration.limits.maxUpstreamBodyBytes, maxIdlePerKey: 256)
        let statistics = upstreamStatistics
        contexts = loops.map { loop in
            LoopContext(state: state, client: UpstreamClient(loop: loop, limits: upstreamLimits, statistics: statistics),
                        accessLog: configuration.accessLog == .stdout ? AccessLog(loop: loop) : nil)
        }
        if case .redis(let host, let port) = configuration.rateLimit.store {
            guard let address = try SocketAddress.resolve(host: host, port: port).first else {
                throw IOError("resolving \(host):\(port)")
            }
            stores = try loops.map { loop in
                let client = try RedisClient(loop: loop, address: address, connectCommands: RedisRateLimitStore.connectCommands)
                client.logger = log.map { log in { log("rate-limit store (loop \(loop.index)): \($0)") } }
                return RedisRateLimitStore(client: client)
            }
        } else {
            stores = nil
        }
    }

    /// Each tenant's upstream in the running configuration, for `UpstreamRefresher`.
    var upstreams: [(tenant: String, target: UpstreamTarget)] {
        current.withLock { $0 }.routes.map { ($0.key, $0.value.target) }
    }

    /// Rate-limit decisions that the Redis store could not make (deadline passed, connection
    /// down), and that `onStoreFailure` decided instead.
    public var storeFailureCount: Int { storeFailures.load(ordering: .relaxed) }

    /// The gateway's counters in Prometheus' text format, for the admin listener's `/metrics`.
    public func metricsText() -> String {
        let upstream = upstreamStatistics
        var lines = [
            "# TYPE switchyard_rate_limit_store_failures_total counter",
            "switchyard_rate_limit_store_failures_total \(storeFailureCount)",
            "# TYPE switchyard_upstream_requests_total counter",
            "switchyard_upstream_requests_total \(upstream.requestCount)",
            "# TYPE switchyard_upstream_connections_opened_total counter",
            "switchyard_upstream_connections_opened_total \(upstream.connectionsOpened)",
            "# TYPE switchyard_upstream_connections_reused_total counter",
            "switchyard_upstream_connections_reused_total \(upstream.connectionsReused)",
            "# TYPE switchyard_upstream_failures_total counter",
        ]
        for kind in UpstreamError.Kind.allCases {
            lines.append("switchyard_upstream_failures_total{kind=\"\(kind)\"} \(upstream.failures(kind))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reload: builds the state of `configuration` beside the running one (blocking: files, DNS;
    /// call it off the loops) and hands it to every loop, which switches between requests. Throws,
    /// leaving everything as it was, when the new state can't be built. Returns the settings that
    /// changed but take effect only on restart.
    public func apply(_ configuration: GatewayConfiguration) throws -> [String] {
        let previous = current.withLock { $0 }
        let state = try GatewayState(configuration: configuration, loopCount: loops.count, adapter: adapter, previous: previous)
        current.withLock { $0 = state }
        for (loop, context) in zip(loops, contexts) {
            nonisolated(unsafe) let context = context
            loop.execute { _ in context.state = state }
        }
        return previous.restartOnlyChanges(in: configuration)
    }

    /// Closes the Redis connections and the upstream pools, each on its own loop; for shutdown.
    public func close() {
        for (index, loop) in loops.enumerated() {
            nonisolated(unsafe) let context = contexts[index]
            nonisolated(unsafe) let store = stores?[index]
            loop.execute { _ in
                context.client.shutdown()
                context.accessLog?.flush()
                store?.client.close()
            }
        }
    }

    public func respond(to request: HTTPRequest, exchange: HTTPExchange) {
        let loop = exchange.loop.index
        let started = exchange.loop.now
        // The configuration as this loop sees it; the request keeps it to the end, reload or not.
        let state = contexts[loop].state
        switch admit(request, state: state, loop: loop) {
        case .answer(let response, let tenant):
            contexts[loop].finish(exchange, request, response, tenant: tenant, started: started)
        case .limit(let route, let tenant, let body):
            // 5. Tenant rate limit (GCRA); only admitted requests count.
            guard let stores, let policy = state.policies[tenant] else {
                return operate(request, route: route, state: state, tenant: tenant, body: body,
                               limit: state.rateLimiter.check(tenant: tenant), exchange: exchange, started: started)
            }
            stores[loop].check(tenant: tenant, policy: policy) { [self] result in
                let limit = switch result {
                case .success(let decision): decision
                case .failure: decideWithoutStore(tenant, state: state)
                }
                operate(request, route: route, state: state, tenant: tenant, body: body, limit: limit, exchange: exchange, started: started)
            }
        }
    }

    /// `onStoreFailure`: `local` counts in this process (the limit then holds per instance),
    /// `open` admits (still stating the policy), `closed` refuses as if over the limit. Never a 500,
    /// never a wait: the store's own deadline (a few milliseconds) already passed, or it failed at once.
    private func decideWithoutStore(_ tenant: String, state: GatewayState) -> RateLimitDecision {
        storeFailures.add(1, ordering: .relaxed)
        switch state.onStoreFailure {
        case .local: return state.rateLimiter.check(tenant: tenant)
        case .open: return state.rateLimiter.peek(tenant: tenant).admittedAnyway()
        case .closed: return state.rateLimiter.peek(tenant: tenant).refused(retryAfterSeconds: 1)
        }
    }

    private enum Admission {
        /// Refused before the rate limit (or routed nowhere): the answer is final; `tenant` once known.
        case answer(HTTPResponse, tenant: String?)
        /// Authenticated, in scope, body read: the tenant's rate limit decides next.
        case limit(route: Route, tenant: String, body: JSONValue?)
    }

    /// What the head alone decides (steps 1–3).
    private enum HeadAdmission {
        case answer(HTTPResponse, tenant: String?)
        case admitted(Route, Credential)
    }

    /// API.md §2: route, credential and scope are decided from the head, so a request that no
    /// body could make acceptable is answered before its body is read (and its connection closed).
    public func refusalBeforeBody(_ head: HTTPRequestHead, requestID: String, loop: EventLoop) -> HTTPResponse? {
        let context = contexts[loop.index]
        guard case .answer(let response, let tenant) = admitHead(head, requestID: requestID, state: context.state, loop: loop.index) else {
            return nil
        }
        context.accessLog?.record(head, requestID: requestID, status: response.status, tenant: tenant, started: loop.now)
        return response
    }

    private func admit(_ request: HTTPRequest, state: GatewayState, loop: Int) -> Admission {
        switch admitHead(request.head, requestID: request.requestID, state: state, loop: loop) {
        case .answer(let response, let tenant):
            return .answer(response, tenant: tenant)
        case .admitted(let route, let credential):
            // 4. The body: JSON only, inflated if gzip, within the limits; a bad one costs no budget.
            switch readBody(request, limits: state.limits, gunzip: contexts[loop].gunzip) {
            case .success(let body): return .limit(route: route, tenant: credential.tenant, body: body)
            case .failure(var problem):
                state.rateLimiter.peek(tenant: credential.tenant).appendHeaders(to: &problem.headers)
                return .answer(problem.response(requestID: request.requestID), tenant: credential.tenant)
            }
        }
    }

    private func admitHead(_ head: HTTPRequestHead, requestID: String, state: GatewayState, loop: Int) -> HeadAdmission {
        // 1. Route: a path that is no resource, or a method it doesn't take, needs no credential.
        let route = Route(method: head.method, path: head.path)
        let scope: Scope
        switch route {
        case .notFound:
            return .answer(Problem(.notFound, detail: "No resource at this path.").response(requestID: requestID), tenant: nil)
        case .methodNotAllowed(let allow):
            return .answer(Problem(.methodNotAllowed, detail: "This resource does not take \(head.methodName).",
                           headers: [("allow", allow)]).response(requestID: requestID), tenant: nil)
        case .upsertDevice, .updateDevice:
            scope = .devicesWrite
        case .bulkUpdate:
            scope = .devicesBulk
        }

        // 2. Authenticate: the tenant comes from the credential and nowhere else.
        let credential: Credential
        switch state.authenticator.authenticate(
            authorizationHeader: head.firstValue("authorization"),
            now: Date().timeIntervalSince1970, cache: contexts[loop].cache
        ) {
        case .success(let found):
            credential = found
        case .failure(let failure):
            return .answer(Problem(.unauthenticated, detail: failure.detail,
                           headers: [("www-authenticate", failure.wwwAuthenticate)]).response(requestID: requestID), tenant: nil)
        }

        // 3. Scope. The rate limit is only peeked at: a refused request costs no budget.
        guard credential.scopes.contains(scope) else {
            var headers: [(name: String, value: String)] = [
                ("www-authenticate", "Bearer error=\"insufficient_scope\", scope=\"\(scope.rawValue)\""),
            ]
            state.rateLimiter.peek(tenant: credential.tenant).appendHeaders(to: &headers)
            return .answer(Problem(.insufficientScope, detail: "This operation needs the \(scope.rawValue) scope.",
                           headers: headers).response(requestID: requestID), tenant: credential.tenant)
        }
        return .admitted(route, credential)
    }

    /// `Accept` (406), `Content-Type` (415), `Content-Encoding` (gzip within `maxBodyBytes`,
    /// else 413; other codings 415), then strict JSON (400). nil for an empty body.
    private func readBody(_ request: HTTPRequest, limits: Limits, gunzip: GzipDecoder) -> Result<JSONValue?, Problem> {
        let head = request.head
        guard ContentNegotiation.acceptsJSON(head) else {
            return .failure(Problem(.notAcceptable, detail: "Answers are application/json or application/problem+json; Accept admits neither."))
        }
        guard !request.body.isEmpty else { return .success(nil) }
        guard ContentNegotiation.isJSON(head) else {
            return .failure(Problem(.unsupportedMediaType, detail: "The body must be application/json (UTF-8)."))
        }
        var bytes = request.body
        switch head.firstValue("content-encoding")?.lowercased() {
        case nil, "identity":
            break
        case "gzip":
            do {
                bytes = try gunzip.decompress(bytes, limit: limits.maxBodyBytes)
            } catch .tooLarge {
                return .failure(Problem(.payloadTooLarge, detail: "The body inflates past \(limits.maxBodyBytes) bytes."))
            } catch {
                return .failure(Problem(.invalidRequest, detail: "The gzip body could not be decoded: \(error)."))
            }
        default:
            return .failure(Problem(.unsupportedMediaType, detail: "The only content coding accepted is gzip."))
        }
        do {
            return .success(try JSONParser.parse(bytes))
        } catch {
            return .failure(Problem(.invalidRequest, detail: "The body is not valid JSON: \(error)."))
        }
    }

    private func operate(_ request: HTTPRequest, route: Route, state: GatewayState, tenant: String, body: JSONValue?,
                         limit: RateLimitDecision, exchange: HTTPExchange, started: UInt64) {
        let context = contexts[exchange.loop.index]
        func answer(_ problem: Problem) {
            var problem = problem
            limit.appendHeaders(to: &problem.headers)
            context.finish(exchange, request, context.compress(problem.response(requestID: request.requestID), for: request),
                           tenant: tenant, started: started)
        }
        guard limit.admitted else {
            // `limit`'s headers, added by `answer`, carry the Retry-After.
            return answer(Problem(.rateLimited, detail: "The tenant's rate limit is spent; retry after \(limit.retryAfterSeconds ?? 1) s."))
        }
        guard let tenantRoute = state.routes[tenant] else {
            // The state's authenticator admits its own tenants only; an API key's tenant is one of them.
            return answer(Problem(.internalError, detail: "The tenant has no route."))
        }
        // 6. The tenant's adapter: what the vendor can do, validation, translation.
        let adapter = tenantRoute.adapter
        let now = Date().timeIntervalSince1970
        let deviceRequest: Result<DeviceRequest, Problem>
        switch route {
        case .upsertDevice:
            guard adapter.supportsUpsert else {
                return answer(Problem(.unsupportedOperation, detail: "This tenant's vendor cannot register devices; update one with PATCH /devices/{id}."))
            }
            deviceRequest = body.map { DeviceRequest.single(.upsert, pathID: nil, body: $0, adapter: adapter, now: now) } ?? .failure(Self.missingBody)
        case .updateDevice(let id):
            deviceRequest = body.map { DeviceRequest.single(.update, pathID: id, body: $0, adapter: adapter, now: now) } ?? .failure(Self.missingBody)
        case .bulkUpdate:
            deviceRequest = body.map { DeviceRequest.bulk(body: $0, adapter: adapter, maxDevices: state.limits.maxBulkDevices, now: now) }
                ?? .failure(Self.missingBody)
        case .methodNotAllowed, .notFound:
            preconditionFailure("admit answers requests that route nowhere")
        }
        switch deviceRequest {
        case .failure(let problem):
            answer(problem)
        case .success(let deviceRequest):
            // 7. Vendor quota, upstream call, translation back.
            DeviceCall(context: context, route: tenantRoute, quota: state.vendorQuota, loops: loops,
                       request: request, exchange: exchange, limit: limit, deviceRequest: deviceRequest, started: started).start()
        }
    }

    private static let missingBody = Problem(.invalidRequest, detail: "The request needs a JSON body.")

    public func rejection(for error: HTTPParseError, requestID: String) -> HTTPResponse {
        Problem(parseError: error).response(requestID: requestID)
    }
}
