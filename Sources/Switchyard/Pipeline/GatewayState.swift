import SwitchyardDevices
import SwitchyardIO

/// Everything the pipeline derives from one configuration: credentials, limits, tenant routes.
/// Immutable, and swapped whole on reload (`Gateway.apply`): each loop picks up the new state
/// between requests, and a request in flight keeps the state it started with, so a reload
/// neither drops nor misroutes anything.
///
/// What did not change carries over, so a reload costs clients nothing: a tenant whose vendor
/// account, upstream and CA are the same keeps its route (its upstream target and pool key, its
/// access token), and limiters whose policies are the same keep their budgets.
final class GatewayState: Sendable {
    let configuration: GatewayConfiguration
    let authenticator: Authenticator
    /// The in-memory limiter: the store itself with `rateLimit.store: memory`, the fallback for
    /// `onStoreFailure: local` with Redis.
    let rateLimiter: TenantRateLimiter
    let policies: [String: RatePolicy]
    /// Each tenant's outbound budget (`vendorQuota`), spent per upstream call: the store itself
    /// with `rateLimit.store: memory`, the fallback for `onStoreFailure: local` with Redis.
    let vendorQuota: TenantRateLimiter
    let quotaPolicies: [String: RatePolicy]
    /// Each tenant's cap on calls in flight (`vendorConcurrency`): the slots themselves with
    /// `rateLimit.store: memory`, the fallback for `onStoreFailure: local` with Redis.
    let concurrency: ConcurrencyLimiter
    let concurrencyPolicies: [String: ConcurrencyPolicy]
    /// Each vendor binding, its route, circuit, budgets and cap: a tenant's own under its name, a
    /// migration's target under `MigrationConfiguration.bindingName(of:)`. A route is kept by a
    /// reload that leaves its vendor account, upstream and CA as they were; a circuit, state and
    /// counts, by one that keeps its settings.
    let bindings: [String: VendorBinding]
    /// The bindings again, found by a name's bytes (`binding(named:)`): authentication looks its
    /// tenant's up on every request, and the dictionary hashed the name with SipHash.
    private let bindingNames: NameTable
    private let bindingList: [VendorBinding]
    /// Each migrating tenant's migration (API.md §8), by tenant.
    let migrations: [String: Migration]

    var limits: Limits { configuration.limits }
    var onStoreFailure: RateLimitSettings.FailurePolicy { configuration.rateLimit.onStoreFailure }

    /// Builds the state of `configuration`, reusing what `previous` has for unchanged tenants.
    /// Throws when a key can't be used (an unreadable JWKS file, a malformed key) or a CA file
    /// can't be loaded. Blocks (files, DNS): never call it on a loop.
    /// `log` is told each circuit's transitions and each canary's rollback.
    init(configuration: GatewayConfiguration, loopCount: Int, adapter: (TenantConfiguration) -> any VendorAdapter,
         previous: GatewayState?, log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.configuration = configuration
        authenticator = try Authenticator(settings: configuration.auth, tenantNames: Set(configuration.tenants.keys))
        let policies = configuration.tenants.compactMapValues(\.rateLimit)
        self.policies = policies
        rateLimiter = previous.flatMap { $0.policies == policies ? $0.rateLimiter : nil }
            ?? TenantRateLimiter(policies: policies)
        // Vendor budgets, routes and circuits belong to bindings: a migration's target has its own.
        let configured = configuration.vendorBindings
        let quotas = configured.compactMapValues(\.vendorQuota)
        quotaPolicies = quotas
        vendorQuota = previous.flatMap { $0.quotaPolicies == quotas ? $0.vendorQuota : nil }
            ?? TenantRateLimiter(policies: quotas, policyName: "vendor")
        let caps = configured.compactMapValues(\.vendorConcurrency)
        concurrencyPolicies = caps
        concurrency = previous.flatMap { $0.concurrencyPolicies == caps ? $0.concurrency : nil }
            ?? ConcurrencyLimiter(policies: caps, loopCount: loopCount)
        let previousBindings = previous?.configuration.vendorBindings
        // A probe that never reports is replaced after what one vendor call may take, token fetch included.
        let limits = configuration.limits
        let probeTimeout = 2 * (limits.upstreamConnectTimeoutSeconds + limits.upstreamTimeoutSeconds)
        let (rateLimiter, vendorQuota) = (rateLimiter, vendorQuota)
        bindings = try configured.mapValues { tenant in
            let kept = previous?.bindings[tenant.name]
            let route = try {
                if let route = kept?.route, let old = previousBindings?[tenant.name],
                   old.upstream == tenant.upstream, old.caFilePath == tenant.caFilePath, old.account == tenant.account,
                   route.caBundle == TenantRoute.readCABundle(tenant.caFilePath) {
                    return route
                }
                return try TenantRoute(tenant: tenant, adapter: adapter(tenant), loopCount: loopCount)
            }()
            let circuit = if let circuit = kept?.circuit, circuit.settings == tenant.circuitBreaker,
                             previous?.configuration.limits.upstreamTimeoutSeconds == limits.upstreamTimeoutSeconds {
                circuit
            } else {
                CircuitBreaker(tenant: tenant.name, settings: tenant.circuitBreaker, loopCount: loopCount,
                               probeTimeoutSeconds: probeTimeout, transition: log)
            }
            return VendorBinding(route: route, circuit: circuit, limit: rateLimiter.slot(for: tenant.name),
                                 quota: vendorQuota.slot(for: tenant.name), cap: caps[tenant.name])
        }
        let named = bindings.map { (name: $0.key, binding: $0.value) }
        bindingNames = NameTable(named.map(\.name))
        bindingList = named.map(\.binding)
        migrations = Self.migrations(of: configuration, bindings: bindings, previous: previous, log: log)
    }

    /// The binding named `name`: a tenant's own, or a migration target's.
    func binding(named name: String) -> VendorBinding? {
        bindingNames.position(of: name).map { bindingList[$0] }
    }

    /// Nanoseconds a request of `tenant` can spend past its body at most, for how long its
    /// `Idempotency-Key` may stay pending: a bulk update its deadline and one last call; a single
    /// change its vendor quota's wait, then up to four calls (token fetch and call, both once more
    /// after a refused token), each with its wait for a concurrency slot; 5 s of slack.
    func longestVendorPhase(tenant: String, bulk: Bool) -> UInt64 {
        let limits = self.limits
        let call = limits.upstreamConnectTimeoutSeconds + limits.upstreamTimeoutSeconds
        let seconds = if bulk {
            limits.bulkTimeoutSeconds + call
        } else {
            (quotaPolicies[tenant]?.maxWaitSeconds ?? 0) + 4 * ((concurrencyPolicies[tenant]?.maxWaitSeconds ?? 0) + call)
        }
        return UInt64((seconds + 5) * 1e9)
    }

    /// `onStoreFailure`, when the Redis store could not decide for `limiter` (the tenants' limits
    /// or the vendor quotas): `local` counts in this process (the limit then holds per instance),
    /// `open` admits (still stating the policy), `closed` refuses as if over the limit. Never a 500,
    /// never a wait for the store: its own deadline (a few milliseconds) already passed, or it failed at once.
    func decideWithoutStore(_ tenant: String, limiter: TenantRateLimiter, maxWait: UInt64 = 0) -> RateLimitDecision {
        switch onStoreFailure {
        case .local: limiter.check(tenant: tenant, maxWait: maxWait)
        case .open: limiter.peek(tenant: tenant).admittedAnyway()
        case .closed: limiter.peek(tenant: tenant).refused(retryAfterSeconds: 1)
        }
    }

    /// The settings of `configuration` that a reload does not apply (listeners, workers, limits,
    /// the rate-limit store, the access log, tracing), when they differ from this state's: they need a
    /// restart. (The TLS certificate and key are read again by every reload: `Reloader`.)
    func restartOnlyChanges(in configuration: GatewayConfiguration) -> [String] {
        let old = self.configuration
        var changed: [String] = []
        if old.listen != configuration.listen { changed.append("listen") }
        if old.admin != configuration.admin { changed.append("admin") }
        if old.workers != configuration.workers { changed.append("workers") }
        var limits = configuration.limits
        limits.maxBulkDevices = old.limits.maxBulkDevices
        if old.limits != limits { changed.append("limits (all but maxBulkDevices, which applies at once)") }
        if old.rateLimit.store != configuration.rateLimit.store { changed.append("rateLimit.store") }
        if old.rateLimit.storeTimeoutMilliseconds != configuration.rateLimit.storeTimeoutMilliseconds {
            changed.append("rateLimit.storeTimeoutMilliseconds")
        }
        if old.accessLog != configuration.accessLog { changed.append("accessLog") }
        if old.logFormat != configuration.logFormat { changed.append("logFormat") }
        if old.observability != configuration.observability { changed.append("observability") }
        return changed
    }
}
