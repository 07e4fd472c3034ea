import Foundation
import Synchronization
import SwitchyardHTTP
import SwitchyardIO

/// The gateway's request pipeline: the `/devices` API behind the TLS listener.
///
/// `respond` reads as the request's way through the gateway (API.md's order): route,
/// authenticate, check scope, tenant rate limit, then (step 4) translate, vendor quota, call the
/// vendor, translate back. Each step is one call into the module that owns it.
///
/// `@unchecked Sendable`: everything is immutable after `init` except the per-loop token caches and
/// Redis stores, and each of those is touched only on its own loop (`[exchange.loop.index]`).
public final class Gateway: HTTPResponder, @unchecked Sendable {
    let authenticator: Authenticator
    /// The in-memory limiter: the store itself with `rateLimit.store: memory`, the fallback for
    /// `onStoreFailure: local` with Redis.
    let rateLimiter: TenantRateLimiter
    private let policies: [String: RatePolicy]
    private let onStoreFailure: RateLimitSettings.FailurePolicy
    private let caches: [AuthenticationCache]
    /// One per loop with `rateLimit.store: redis://…`.
    private let stores: [RedisRateLimitStore]?
    private let storeFailures = Atomic<Int>(0)

    /// Builds the credentials and limits of `configuration` for `loops`; throws when a key can't
    /// be used (an unreadable JWKS file, a malformed key) or the Redis address doesn't resolve,
    /// which must stop startup. Runs before the loops' threads start (Redis clients register
    /// with their loop).
    public init(configuration: GatewayConfiguration, loops: [EventLoop], log: (@Sendable (String) -> Void)? = nil) throws {
        authenticator = try Authenticator(settings: configuration.auth, tenantNames: Set(configuration.tenants.keys))
        rateLimiter = TenantRateLimiter(tenants: configuration.tenants)
        policies = configuration.tenants.compactMapValues(\.rateLimit)
        onStoreFailure = configuration.rateLimit.onStoreFailure
        caches = loops.map { _ in AuthenticationCache() }
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

    /// Rate-limit decisions that the Redis store could not make (deadline passed, connection
    /// down), and that `onStoreFailure` decided instead.
    public var storeFailureCount: Int { storeFailures.load(ordering: .relaxed) }

    /// Closes the Redis connections, each on its own loop; for shutdown.
    public func closeStores(on loops: [EventLoop]) {
        guard let stores else { return }
        for (loop, store) in zip(loops, stores) {
            nonisolated(unsafe) let store = store
            loop.execute { _ in store.client.close() }
        }
    }

    public func respond(to request: HTTPRequest, exchange: HTTPExchange) {
        let loop = exchange.loop.index
        switch admit(request, loop: loop) {
        case .answer(let response):
            exchange.respond(response)
        case .limit(let tenant):
            // 4. Tenant rate limit (GCRA); only admitted requests count.
            guard let stores, let policy = policies[tenant] else {
                exchange.respond(operate(request, limit: rateLimiter.check(tenant: tenant)))
                return
            }
            stores[loop].check(tenant: tenant, policy: policy) { [self] result in
                switch result {
                case .success(let decision):
                    exchange.respond(operate(request, limit: decision))
                case .failure:
                    exchange.respond(operate(request, limit: decideWithoutStore(tenant)))
                }
            }
        }
    }

    /// `onStoreFailure`: `local` counts in this process (the limit then holds per instance),
    /// `open` admits, `closed` refuses as if over the limit. Never a 500, never a wait: the store's
    /// own deadline (a few milliseconds) already passed, or it failed at once.
    private func decideWithoutStore(_ tenant: String) -> RateLimitDecision {
        storeFailures.add(1, ordering: .relaxed)
        switch onStoreFailure {
        case .local: return rateLimiter.check(tenant: tenant)
        case .open: return .unlimited
        case .closed: return rateLimiter.peek(tenant: tenant).refused(retryAfterSeconds: 1)
        }
    }

    private enum Admission {
        /// Refused before the rate limit (or routed nowhere): the answer is final.
        case answer(HTTPResponse)
        /// Authenticated and in scope: the tenant's rate limit decides next.
        case limit(tenant: String)
    }

    private func admit(_ request: HTTPRequest, loop: Int) -> Admission {
        let requestID = request.requestID
        // 1. Route: a path that is no resource, or a method it doesn't take, needs no credential.
        let route = Route(method: request.head.method, path: request.head.path)
        let scope: Scope
        switch route {
        case .notFound:
            return .answer(Problem(.notFound, detail: "No resource at this path.").response(requestID: requestID))
        case .methodNotAllowed(let allow):
            return .answer(Problem(.methodNotAllowed, detail: "This resource does not take \(request.head.methodName).",
                           headers: [("allow", allow)]).response(requestID: requestID))
        case .upsertDevice, .updateDevice:
            scope = .devicesWrite
        case .bulkUpdate:
            scope = .devicesBulk
        }

        // 2. Authenticate: the tenant comes from the credential and nowhere else.
        let credential: Credential
        switch authenticator.authenticate(
            authorizationHeader: request.head.firstValue("authorization"),
            now: Date().timeIntervalSince1970, cache: caches[loop]
        ) {
        case .success(let found):
            credential = found
        case .failure(let failure):
            return .answer(Problem(.unauthenticated, detail: failure.detail,
                           headers: [("www-authenticate", failure.wwwAuthenticate)]).response(requestID: requestID))
        }

        // 3. Scope. The rate limit is only peeked at: a refused request costs no budget.
        guard credential.scopes.contains(scope) else {
            var headers: [(name: String, value: String)] = [
                ("www-authenticate", "Bearer error=\"insufficient_scope\", scope=\"\(scope.rawValue)\""),
            ]
            rateLimiter.peek(tenant: credential.tenant).appendHeaders(to: &headers)
            return .answer(Problem(.insufficientScope, detail: "This operation needs the \(scope.rawValue) scope.",
                           headers: headers).response(requestID: requestID))
        }

        return .limit(tenant: credential.tenant)
    }

    private func operate(_ request: HTTPRequest, limit: RateLimitDecision) -> HTTPResponse {
        guard limit.admitted else {
            return Problem(.rateLimited, detail: "The tenant's rate limit is spent; retry after \(limit.retryAfterSeconds ?? 1) s.",
                           headers: limit.headers).response(requestID: request.requestID)
        }
        // 5. Translate, call the vendor, translate back: step 4.
        var response = Problem(.unsupportedOperation, detail: "Device operations are not available yet on this gateway.")
            .response(requestID: request.requestID)
        limit.appendHeaders(to: &response.headers)
        return response
    }

    public func rejection(for error: HTTPParseError, requestID: String) -> HTTPResponse {
        Problem(parseError: error).response(requestID: requestID)
    }
}
