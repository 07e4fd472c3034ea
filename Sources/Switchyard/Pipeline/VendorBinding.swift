/// A vendor binding under one configuration (`GatewayState.bindings`): the route its calls take and
/// what limits and guards them, found by one lookup by name where each was a lookup of its own.
///
/// Made per configuration, unlike its route (kept by a reload that leaves the binding's vendor
/// account, upstream and CA as they were): a request in flight keeps its configuration's circuit
/// and budgets. Every request found four of these by its tenant's name, each a `String` hashed
/// through SipHash (about 300 instructions a lookup); authentication now finds the binding, and the
/// phases after it read what they need from it.
final class VendorBinding: Sendable {
    let route: TenantRoute
    let circuit: CircuitBreaker
    /// The tenant's own `rateLimit` (`TenantRateLimiter`): nil without one, and for a migration's
    /// target, whose requests are its tenant's.
    let limit: TenantRateLimiter.Slot?
    /// The binding's `vendorQuota`, nil without one.
    let quota: TenantRateLimiter.Slot?
    /// The binding's `vendorConcurrency`, nil without one.
    let cap: ConcurrencyPolicy?

    init(route: TenantRoute, circuit: CircuitBreaker, limit: TenantRateLimiter.Slot?, quota: TenantRateLimiter.Slot?,
         cap: ConcurrencyPolicy?) {
        self.route = route
        self.circuit = circuit
        self.limit = limit
        self.quota = quota
        self.cap = cap
    }
}
