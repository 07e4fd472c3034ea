import SwitchyardIO

/// One loop's way to a `vendorConcurrency` slot (API.md §7): from the shared store's leases when
/// `rateLimit.store` is Redis, else from the process's `ConcurrencyLimiter`; with `onStoreFailure`
/// when the store can't decide, as for the rate limits.
///
/// On the store, a call that must wait asks again every `firstPoll`, doubling to `longestPoll`
/// (Redis can't call back), until its wait runs out; the queue's order is kept by the script, so
/// asking more often does not jump it. At most `maxQueue` calls wait per tenant, so the asks are
/// bounded too. An ask that times out is asked again within the wait (a busy Redis is not a down
/// one); `onStoreFailure` decides when the store is unreachable or the wait is over.
final class VendorSlots {
    /// A slot held by a call, to give back with `release` when the call is over.
    enum Slot {
        /// No slot is needed or kept: the tenant has no cap, or the store failed with `onStoreFailure: open`.
        case none
        case local(ConcurrencyLimiter, tenant: String)
        case shared(tenant: String, id: String)
    }

    struct Decision {
        /// Nil when refused: every slot taken until the wait ran out, or the queue full.
        var slot: Slot?
        /// The store could not decide; `onStoreFailure` did.
        var storeFailed = false
        /// Nanoseconds the call waited for its slot.
        var waited: UInt64 = 0
    }

    static let firstPoll: UInt64 = 1_000_000
    static let longestPoll: UInt64 = 8_000_000

    private let loop: EventLoop
    private let loops: [EventLoop]
    private let store: RedisConcurrencyStore?
    private let delayedCalls: DelayedCalls
    /// Lease ids: this process's random prefix, the loop and a counter, unique across replicas.
    private let leasePrefix: String
    private var nextLease: UInt64 = 0

    init(loop: EventLoop, loops: [EventLoop], store: RedisConcurrencyStore?, delayedCalls: DelayedCalls, processID: String) {
        self.loop = loop
        self.loops = loops
        self.store = store
        self.delayedCalls = delayedCalls
        leasePrefix = "\(processID)-\(loop.index)-"
    }

    /// A slot for one call of `tenant` under `policy`, waiting at most `maxWait` nanoseconds;
    /// `decided` runs on the loop, maybe inside `acquire`.
    func acquire(tenant: String, policy: ConcurrencyPolicy, maxWait: UInt64, state: GatewayState,
                 decided: @escaping (Decision) -> Void) {
        let started = loop.now
        guard let store else {
            return acquireLocally(tenant: tenant, maxWait: maxWait, state: state, storeFailed: false, started: started, decided: decided)
        }
        let id = leasePrefix + String(nextLease)
        nextLease &+= 1
        let lease = UInt64((state.limits.upstreamTimeoutSeconds + 5) * 1e6)
        let deadline = started &+ maxWait
        var interval = Self.firstPoll
        func ask() {
            store.acquire(tenant: tenant, id: id, policy: policy, leaseMicroseconds: lease, mayWait: maxWait > 0) { [self] result in
                switch result {
                case .success(.granted):
                    decided(Decision(slot: .shared(tenant: tenant, id: id), waited: loop.now &- started))
                case .success(.refused):
                    decided(Decision(slot: nil, waited: loop.now &- started))
                case .success(.waiting):
                    let now = loop.now
                    guard now < deadline else {
                        store.giveUp(tenant: tenant, id: id)
                        return decided(Decision(slot: nil, waited: now &- started))
                    }
                    delayedCalls.run(after: min(interval, deadline - now)) { ask() }
                    interval = min(interval * 2, Self.longestPoll)
                case .failure(let error):
                    // A slow answer is asked for again while the call may wait anyway (the same id:
                    // never two leases); an unreachable store, or no time left, is `onStoreFailure`'s.
                    let now = loop.now
                    if error == .timeout, now < deadline {
                        delayedCalls.run(after: min(interval, deadline - now)) { ask() }
                        interval = min(interval * 2, Self.longestPoll)
                        return
                    }
                    store.giveUp(tenant: tenant, id: id, mayHoldLease: true)
                    let left = deadline > now ? deadline - now : 0
                    switch state.onStoreFailure {
                    case .local: acquireLocally(tenant: tenant, maxWait: left, state: state, storeFailed: true, started: started, decided: decided)
                    case .open: decided(Decision(slot: Slot.none, storeFailed: true, waited: now &- started))
                    case .closed: decided(Decision(slot: nil, storeFailed: true, waited: now &- started))
                    }
                }
            }
        }
        ask()
    }

    /// Gives a slot back, on the loop that holds it.
    func release(_ slot: Slot) {
        switch slot {
        case .none: break
        case .local(let limiter, let tenant): limiter.release(tenant: tenant, loops: loops)
        case .shared(let tenant, let id): store?.release(tenant: tenant, id: id)
        }
    }

    private func acquireLocally(tenant: String, maxWait: UInt64, state: GatewayState, storeFailed: Bool, started: UInt64,
                                decided: @escaping (Decision) -> Void) {
        let limiter = state.concurrency
        limiter.acquire(tenant: tenant, on: loop, maxWait: maxWait) { [self] outcome in
            let slot: Slot? = outcome == .granted ? .local(limiter, tenant: tenant) : nil
            decided(Decision(slot: slot, storeFailed: storeFailed, waited: loop.now &- started))
        }
    }
}
