import SwitchyardDevices
import SwitchyardHTTP

/// The vendor-call phase of one request: vendor quota, access token, upstream call and the
/// adapter's reading of the answer, for one change or a bulk update's many.
///
/// A bulk update is cut into the adapter's batches (iot-security: up to 100 devices per call;
/// the others: one call per device), at most `fanOutConcurrency` of them in flight, each
/// batch's results landing in the items' places, so results come back in request order
/// however the calls finish. Lives on the request's loop from `start` to its completion.
final class DeviceCall {
    /// What the vendor made of every change: one result per item of the request, in order.
    struct Outcome {
        var results: [DeviceResult]
        /// Per batch that a vendor answered with a count only: (items in the batch, count).
        var countedBatches: [(size: Int, succeeded: Int)]
        /// The items of those batches.
        var countedItems: Set<Int>
    }

    /// Where the outcome goes.
    enum Completion {
        /// The request's own vendor phase: the outcome goes on down the pipeline
        /// (`Gateway.answered`), with the phase's time since `started` (monotonic nanoseconds).
        /// A case rather than a closure, so the call every request makes allocates none.
        case answer(Gateway, Translation, started: UInt64)
        /// Any other caller (a split request's parts, the mirror).
        case closure((Outcome) -> Void)
    }

    private let request: GatewayRequest
    private let route: TenantRoute
    private let deviceRequest: DeviceRequest
    private var completion: Completion?

    private var results: [DeviceResult?]
    /// The items whose changes were read, in order, sent in batches of `batchSize`: the first
    /// `sent` of them have gone out.
    private let ready: [Int]
    private let batchSize: Int
    private var sent = 0
    private var inFlight = 0
    private var countedBatches: [(size: Int, succeeded: Int)] = []
    private var countedItems = Set<Int>()

    init(request: GatewayRequest, route: TenantRoute, deviceRequest: DeviceRequest) {
        self.request = request
        self.route = route
        self.deviceRequest = deviceRequest
        let results: [DeviceResult?] = deviceRequest.items.map { item in
            if case .failure(let problem) = item.change { return .failed(problem) }
            return nil
        }
        self.results = results
        ready = results.indices.filter { results[$0] == nil }
        batchSize = max(1, route.adapter.batchSize)
    }

    /// The next batch of item indices to send, nil when all have gone out.
    private func nextBatch() -> ArraySlice<Int>? {
        guard sent < ready.count else { return nil }
        let end = min(sent + batchSize, ready.count)
        defer { sent = end }
        return ready[sent..<end]
    }

    /// Sends every ready change; `completion` gets the outcome once all are answered, on the loop.
    func start(completion: Completion) {
        self.completion = completion
        let concurrency = max(1, route.adapter.fanOutConcurrency)
        if ready.isEmpty { return finish() }
        while inFlight < concurrency, let batch = nextBatch() { launch(batch) }
    }

    private func launch(_ batch: ArraySlice<Int>) {
        inFlight += 1
        // A vendor that keeps failing is not called while its circuit is open (API.md §7).
        if let circuit = request.state.circuits[route.name], case .refuse(let retry) = circuit.admit(now: request.context.loop.now) {
            let problem = Problem(.upstreamUnavailable, detail: "The vendor is failing; its circuit is open. Retry after \(retry) s.",
                                  headers: [("retry-after", String(retry))])
            return complete(batch, with: .all(.failed(problem), count: batch.count))
        }
        // The vendor's quota is spent per upstream call, just before it goes out; a call admitted
        // for later waits on this loop for its reserved slot. Most tenants have none: straight on.
        guard let quota = request.state.quotaPolicies[route.name] else { return go(batch) }
        spend(quota) { [self] decision in
            guard decision.admitted else {
                let retry = decision.retryAfterSeconds ?? 1
                let problem = Problem(.upstreamRateLimited, detail: "The vendor account's quota is spent; retry after \(retry) s.",
                                      headers: [("retry-after", String(retry))])
                return complete(batch, with: .all(.failed(problem), count: batch.count))
            }
            guard decision.delay > 0 else { return go(batch) }
            request.context.delayedCalls.run(after: decision.delay) { [self] in go(batch) }
        }
    }

    /// The tenant's vendor quota `policy` for one call: decided already with the tenant's limit (a
    /// single change on the shared store), in this process, or on the shared store with
    /// `onStoreFailure` when it can't decide; `decided` runs on the loop. A single-device call
    /// waits up to the quota's `maxWaitSeconds`, a bulk update's batches until its deadline
    /// (`limits.bulkTimeoutSeconds` from its arrival).
    private func spend(_ policy: RatePolicy, _ decided: @escaping (RateLimitDecision) -> Void) {
        let (state, context, tenant) = (request.state, request.context, route.name)
        let maxWait = waitLimit(policy.maxWait)
        func record(_ decision: RateLimitDecision, storeFailed: Bool) -> RateLimitDecision {
            context.metrics.record(.rateLimit(tenant: route.tenantLabel, policy: .vendor,
                                              decision: storeFailed ? .storeFailure : decision.admitted ? .admitted : .refused))
            if decision.admitted { context.metrics.record(.quotaWait(tenant: route.tenant, policy: .vendor, nanoseconds: decision.delay)) }
            return decision
        }
        // A decision made with the tenant's limit is its own binding's: never a migration target's.
        if let prepaid = request.prepaidQuota, route === request.tenantRoute {
            request.prepaidQuota = nil
            return decided(record(prepaid, storeFailed: false))
        }
        guard let store = context.quotaStore else {
            return decided(record(state.vendorQuota.check(tenant: tenant, maxWait: maxWait), storeFailed: false))
        }
        store.check(tenant: tenant, policy: policy, maxWait: maxWait) { result in
            switch result {
            case .success(let decision):
                decided(record(decision, storeFailed: false))
            case .failure:
                decided(record(state.decideWithoutStore(tenant, limiter: state.vendorQuota, maxWait: maxWait), storeFailed: true))
            }
        }
    }

    /// How long a call may wait for a vendor budget whose own wait is `policyWait`: that for a
    /// single-device call, what is left of `limits.bulkTimeoutSeconds` for a bulk update's.
    private func waitLimit(_ policyWait: UInt64) -> UInt64 {
        guard deviceRequest.isBulk else { return policyWait }
        let now = request.context.loop.now
        let deadline = request.arrived &+ UInt64(request.state.limits.bulkTimeoutSeconds * 1e9)
        return deadline > now ? deadline - now : 0
    }

    /// The call, with an access token first for a vendor that needs one.
    private func go(_ batch: ArraySlice<Int>) {
        guard let tokens = route.accessTokens else { return send(batch, token: nil, isRetry: false) }
        withToken(tokens) { [self] result in
            switch result {
            case .success(let token): send(batch, token: token, isRetry: false)
            case .failure(let problem): complete(batch, with: .all(.failed(problem), count: batch.count))
            }
        }
    }

    private func withToken(_ tokens: AccessTokenCache, _ completion: @escaping (Result<String, Problem>) -> Void) {
        let (context, route) = (request.context, route)
        tokens.token(on: context.loop, loops: context.loops, fetch: { done in
            guard var tokenRequest = route.adapter.accessTokenRequest() else { return }
            tokenRequest.path = route.pathPrefix + tokenRequest.path
            call(tokenRequest, resendCount: 0) { result in
                let token = result.flatMap { route.adapter.accessToken(from: $0) }
                if case .failure(let problem) = token {
                    context.metrics.record(.tokenFetch(tenant: route.tenant, problem: problem.code))
                } else {
                    context.metrics.record(.tokenFetch(tenant: route.tenant, problem: nil))
                }
                done(token)
            }
        }, completion: completion)
    }

    private func send(_ batch: ArraySlice<Int>, token: String?, isRetry: Bool) {
        let changes = batch.map { index -> DeviceChange in
            guard case .success(let change) = deviceRequest.items[index].change else { preconditionFailure("only ready items are sent") }
            return change
        }
        let adapter = route.adapter
        var upstream = adapter.request(for: changes, accessToken: token, now: request.now)
        upstream.path = route.pathPrefix + upstream.path
        upstream.headers.append(("x-request-id", request.requestID))
        call(upstream, resendCount: isRetry ? 1 : 0) { [self] result in
            switch result {
            case .failure(let problem):
                complete(batch, with: .all(.failed(problem), count: batch.count))
            case .success(let response):
                request.upstreamStatus = response.status
                // A token the vendor refuses is dropped and fetched again, once.
                if let token, let tokens = route.accessTokens, response.status == 401, !isRetry {
                    tokens.invalidate(token)
                    withToken(tokens) { [self] result in
                        switch result {
                        case .success(let fresh): send(batch, token: fresh, isRetry: true)
                        case .failure(let problem): complete(batch, with: .all(.failed(problem), count: batch.count))
                        }
                    }
                    return
                }
                complete(batch, with: adapter.interpret(response, for: changes))
            }
        }
    }

    /// One call to the tenant's vendor (the token fetch included), in one of its `vendorConcurrency`
    /// slots when it has a cap: the slot is held until the answer, so the vendor never sees more
    /// calls in flight than the cap. A call that can't get one in time is 429 `upstream_rate_limited`.
    private func call(_ upstream: UpstreamRequest, resendCount: Int,
                      completion: @escaping (Result<UpstreamResponse, Problem>) -> Void) {
        let (request, route, context) = (request, route, request.context)
        func exchange(holding slot: VendorSlots.Slot) {
            Self.exchange(upstream, for: request, route: route, resendCount: resendCount, holding: slot, completion: completion)
        }
        guard let cap = request.state.concurrencyPolicies[route.name] else { return exchange(holding: .none) }
        context.vendorSlots.acquire(tenant: route.name, policy: cap, maxWait: waitLimit(cap.maxWait), state: request.state) { decision in
            let outcome: RateLimitOutcome = decision.storeFailed ? .storeFailure : decision.slot == nil ? .refused : .admitted
            context.metrics.record(.rateLimit(tenant: route.tenantLabel, policy: .concurrency, decision: outcome))
            guard let slot = decision.slot else {
                return completion(.failure(Problem(.upstreamRateLimited,
                                                   detail: "As many calls as the vendor account allows at once are in flight; retry after 1 s.",
                                                   headers: [("retry-after", "1")])))
            }
            context.metrics.record(.quotaWait(tenant: route.tenant, policy: .concurrency, nanoseconds: decision.waited))
            exchange(holding: slot)
        }
    }

    /// The exchange itself, for `request`: its trace headers and client span (`resendCount` 1 for the
    /// call sent again after a refused token), timed and counted by outcome (API.md §6); `slot` is
    /// released when the answer is in. The one closure of the call, the client's completion, does
    /// all of that: the layers above pass theirs through rather than wrapping it.
    private static func exchange(_ upstream: UpstreamRequest, for request: GatewayRequest, route: TenantRoute, resendCount: Int,
                                 holding slot: VendorSlots.Slot,
                                 completion: @escaping (Result<UpstreamResponse, Problem>) -> Void) {
        var upstream = upstream
        let context = request.context
        let span = request.beginVendorCall(&upstream, to: route.target, resendCount: resendCount)
        let started = context.loop.now
        context.upstream.send(upstream, to: route.target) { result in
            request.endVendorCall(span, result)
            if let circuit = request.state.circuits[route.name] {
                let failed = switch result {
                case .success(let response): response.status >= 500
                case .failure: true
                }
                circuit.record(failed: failed, loop: context.loop.index, now: context.loop.now)
            }
            var sample = ClientRequestSample(tenant: route.tenantLabel, vendor: route.adapter.vendor, serverAddress: route.hostLabel,
                                             status: nil, outcome: .unavailable, reusedConnection: false,
                                             nanoseconds: context.loop.now &- started)
            switch result {
            case .success(let response):
                sample.status = response.status
                sample.outcome = ClientOutcome(status: response.status)
                sample.reusedConnection = response.reusedConnection
            case .failure(let error):
                sample.outcome = ClientOutcome(failure: error.kind)
            }
            context.metrics.record(.clientRequest(sample))
            context.vendorSlots.release(slot)
            completion(result.mapError { route.adapter.problem(for: $0) })
        }
    }

    private func complete(_ batch: ArraySlice<Int>, with answer: VendorAnswer) {
        for (index, result) in zip(batch, answer.results) { results[index] = result }
        // An adapter that answered for fewer changes than it was given is a bug; the rest are
        // not left hanging.
        for index in batch.dropFirst(answer.results.count) {
            results[index] = .failed(Problem(.internalError, detail: "The vendor adapter gave no result for this device."))
        }
        if let succeeded = answer.reportedSuccesses {
            countedBatches.append((batch.count, min(succeeded, batch.count)))
            countedItems.formUnion(batch)
        }
        inFlight -= 1
        if let next = nextBatch() { return launch(next) }
        if inFlight == 0 { finish() }
    }

    private func finish() {
        guard let completion else { return }
        self.completion = nil
        let outcome = Outcome(results: results.map { result -> DeviceResult in
            guard let result else { preconditionFailure("finish before every result arrived") }
            return result
        }, countedBatches: countedBatches, countedItems: countedItems)
        switch completion {
        case .answer(let gateway, let translation, let started):
            request.upstreamNanos = request.context.loop.now &- started
            gateway.answered(request, translation, outcome)
        case .closure(let body):
            body(outcome)
        }
    }
}

extension DeviceCall {
    /// A migrating tenant's request served by both its vendors (API.md §8, `canary`): the current
    /// vendor's calls for the devices it serves and the target's for the others, at once, each
    /// through its own binding; every result lands in its item's place.
    static func split(request: GatewayRequest, _ deviceRequest: DeviceRequest, servedByTarget: [Bool], current: TenantRoute,
                      target: TenantRoute, completion: @escaping (Outcome) -> Void) {
        let parts = [false, true].filter(servedByTarget.contains)
        var outcomes: [Bool: Outcome] = [:]
        for byTarget in parts {
            let part = deviceRequest.keeping { servedByTarget[$0] == byTarget }
            DeviceCall(request: request, route: byTarget ? target : current, deviceRequest: part).start(completion: .closure { outcome in
                outcomes[byTarget] = outcome
                guard outcomes.count == parts.count else { return }
                let merged = parts.compactMap { outcomes[$0] }
                completion(Outcome(results: servedByTarget.indices.map { outcomes[servedByTarget[$0]]!.results[$0] },
                                   countedBatches: merged.flatMap(\.countedBatches),
                                   countedItems: merged.reduce(into: Set<Int>()) { $0.formUnion($1.countedItems) }))
            })
        }
    }
}

