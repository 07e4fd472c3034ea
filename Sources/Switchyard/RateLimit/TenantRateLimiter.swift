import Synchronization
import SwitchyardIO

/// The in-memory inbound limiter: one GCRA per tenant with a `rateLimit`, built once per configuration
/// and shared by every event loop.
///
/// Lock-free: a tenant's whole state is its TAT, one `Atomic<UInt64>` updated by a compare-exchange
/// loop (`GCRA.decide` on the loaded value, store if admitted, retry on a lost race). Loops never wait
/// on each other, and tenants share nothing. Refusals do not write at all. The tenant table itself is
/// immutable after `init`, so reading it needs no synchronisation. A reload keeps the limiter, budgets
/// and all, when the policies are the same, and builds a new, idle one when they changed
/// (`GatewayState`).
public final class TenantRateLimiter: Sendable {
    final class Slot: Sendable {
        let gcra: GCRA
        let lines: RateLimitLines
        /// The theoretical arrival time, monotonic nanoseconds; 0 is idle.
        let tat = Atomic<UInt64>(0)

        init(lines: RateLimitLines) {
            self.gcra = GCRA(lines.policy)
            self.lines = lines
        }
    }

    private let slots: [String: Slot]

    /// From per-tenant policies (tenant name → policy). `policyName` is the name both headers carry.
    public init(policies: [String: RatePolicy], policyName: String = "tenant") {
        slots = policies.mapValues { Slot(lines: RateLimitLines(name: policyName, policy: $0)) }
    }

    /// The tenants' inbound `rateLimit`s; tenants without one are unlimited.
    public convenience init(tenants: [String: TenantConfiguration]) {
        self.init(policies: tenants.compactMapValues(\.rateLimit))
    }

    /// Whether `tenant` has a policy here.
    public func isLimited(_ tenant: String) -> Bool { slots[tenant] != nil }

    /// The slot of `tenant`, nil without a policy: found once per configuration (`VendorBinding`),
    /// for `check(_:now:maxWait:)` and for its lines, which the shared store decides under
    /// (`RedisRateLimitStore`), so its answers carry the lines encoded here.
    func slot(for tenant: String) -> Slot? { slots[tenant] }

    /// Decides one request of `tenant` at `now` (monotonic nanoseconds, `MonotonicClock.now()`),
    /// counting it if admitted. `.unlimited` for a tenant without a policy. `maxWait` (nanoseconds)
    /// admits for later a request whose slot comes within it (`GCRA`, "Waiting").
    public func check(tenant: String, now: UInt64 = MonotonicClock.now(), maxWait: UInt64 = 0) -> RateLimitDecision {
        guard let slot = slots[tenant] else { return .unlimited }
        return check(slot, now: now, maxWait: maxWait)
    }

    /// `check(tenant:now:maxWait:)` for the tenant whose slot it is (`slot(for:)`).
    func check(_ slot: Slot, now: UInt64 = MonotonicClock.now(), maxWait: UInt64 = 0) -> RateLimitDecision {
        var tat = slot.tat.load(ordering: .relaxed)
        while true {
            let step = slot.gcra.decide(tat: tat, now: now, maxWait: maxWait)
            if step.admitted {
                // Relaxed is enough: the TAT is the only shared word and publishes nothing else.
                let (exchanged, current) = slot.tat.compareExchange(
                    expected: tat, desired: step.newTAT, ordering: .relaxed)
                if !exchanged {
                    tat = current
                    continue
                }
            }
            return RateLimitDecision(
                admitted: step.admitted, lines: slot.lines, remaining: step.remaining,
                resetSeconds: step.resetSeconds, retryAfterSeconds: step.retryAfterSeconds, delay: step.delay)
        }
    }

    /// The state of `tenant` at `now` without counting anything, for diagnostics or a response that
    /// must carry the headers without being a counted request. `remaining` is what a request would find
    /// (so `burst` when idle); `admitted` says whether one would pass. `.unlimited` without a policy.
    public func peek(tenant: String, now: UInt64 = MonotonicClock.now()) -> RateLimitDecision {
        guard let slot = slots[tenant] else { return .unlimited }
        let tat = slot.tat.load(ordering: .relaxed)
        let step = slot.gcra.decide(tat: tat, now: now)
        // Had this been a request, `remaining + 1` would have been available before it (0 if refused).
        return RateLimitDecision(
            admitted: step.admitted, lines: slot.lines,
            remaining: step.admitted ? step.remaining + 1 : 0,
            resetSeconds: GCRA.ceilSeconds(tat > now ? tat - now : 0),
            retryAfterSeconds: step.retryAfterSeconds)
    }

    /// Forgets all state: every tenant idle again.
    public func reset() {
        for slot in slots.values { slot.tat.store(0, ordering: .relaxed) }
    }
}
