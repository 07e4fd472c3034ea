import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO

/// The vendor-call phase of one request: vendor quota, access token, upstream call and the
/// adapter's reading of the answer, for one change or a bulk update's many.
///
/// A bulk update is cut into the adapter's batches (iot-security: up to 100 devices per call;
/// the others: one call per device), at most `fanOutConcurrency` of them in flight, each
/// batch's results landing in the items' places, so results come back in request order
/// however the calls finish. Lives on the request's loop from `start` to its completion; a call
/// its vendor's answer completed is retired into the loop's pool (`retire`) and begun again for a
/// later request (`begin`): every request makes one, and the steady path allocates none.
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

    /// Whose call it is and where it goes, from `begin` until the call is retired, when it lets go
    /// of them (the loop begins the request again too, once nothing holds it).
    private struct Party {
        let request: GatewayRequest
        /// The binding called, under the request's configuration: its route, circuit, vendor quota
        /// and concurrency cap.
        let binding: VendorBinding
        let route: TenantRoute
    }

    private var party: Party?
    /// The loop's: a call is pooled on its loop and begun again there only. A `let`, so that each
    /// use borrows it: read through `party` (a `var`) it was retained and released around every
    /// call on it. Points back like a `GatewayRequest` does: `GatewayLoop.close()` lets go of both.
    private let context: GatewayLoop
    /// The context's objects a call uses on every request, held here too: the compiler lends an
    /// object in `self`'s own `let` as it is, but retains and releases one reached through another
    /// (`context.metrics`) around each call made on it.
    private let transport: any UpstreamTransport
    private let metrics: LoopMetrics
    private let vendorSlots: VendorSlots
    private let changeLists: ArrayPool<DeviceChange>
    private let documents: DeviceDocument.Pool
    private let byteArrays: ArrayPool<UInt8>
    private let fieldLists: ArrayPool<(name: String, value: String)>
    private let answerLists: AnswerLists
    // Read in place (`_read`), as a `let` is: a class's stored `var` would be retained at every read.
    private var request: GatewayRequest { _read { yield party!.request } }
    private var binding: VendorBinding { _read { yield party!.binding } }
    private var route: TenantRoute { _read { yield party!.route } }
    private var deviceRequest: DeviceRequest
    private var completion: Completion?

    /// One result per item, in order: from the start for an item whose change wasn't read; for
    /// the others when their batch is answered (`noResult` for each an adapter left out), so none is
    /// left hanging and the finished list is handed on as it is.
    private var results: [DeviceResult] = []
    /// The items whose changes were read, in order, when some weren't; nil when all were (the usual
    /// case: a single change makes no list). They go in batches of `batchSize`, by position among
    /// the `readyCount`: the first `sent` have gone out.
    private var ready: [Int]?
    private var readyCount = 0
    private var batchSize = 1
    private var sent = 0
    private var inFlight = 0
    private var countedBatches: [(size: Int, succeeded: Int)] = []
    private var countedItems = Set<Int>()

    /// A vendor call between going out and its answer: what the answer needs from before.
    private struct Exchange {
        let purpose: Purpose
        /// The batch's changes (none for a token's fetch), kept beside the purpose rather than in it:
        /// the answer lends them to the adapter and hands the list back to the loop where it lies,
        /// where taking them out of the purpose copied the purpose twice (callgrind).
        var changes: [DeviceChange]
        let span: VendorCallSpan?
        /// Monotonic nanoseconds when it went out.
        let started: UInt64
        let slot: VendorSlots.Slot
    }

    /// The exchanges in flight, by the tag the client answers with: the first in place (tag 0), any
    /// more at once (a bulk update's fan-out, a token fetch beside it) in a table, so a single
    /// change's call keeps its exchange without an allocation.
    private var exchangeInPlace: Exchange?
    private var moreExchanges: [Int: Exchange] = [:]
    private var lastTag = 0

    private init(request: GatewayRequest, binding: VendorBinding, deviceRequest: DeviceRequest) {
        party = Party(request: request, binding: binding, route: binding.route)
        context = request.context
        transport = context.upstream
        metrics = context.metrics
        vendorSlots = context.vendorSlots
        changeLists = context.changeLists
        documents = context.requestLists.documents
        byteArrays = context.loop.byteArrays
        fieldLists = context.loop.fieldLists
        answerLists = context.answerLists
        self.deviceRequest = deviceRequest
        prepare()
    }

    /// The call of `deviceRequest` for `request` through `binding`: one its loop retired, begun
    /// again, when it has one nothing else holds (`ObjectPool`), else a new one.
    static func begin(request: GatewayRequest, binding: VendorBinding, deviceRequest: DeviceRequest) -> DeviceCall {
        guard let call = request.context.calls.take() else { return DeviceCall(request: request, binding: binding, deviceRequest: deviceRequest) }
        precondition(call.context === request.context, "a call is begun again on its own loop only")
        call.party = Party(request: request, binding: binding, route: binding.route)
        call.deviceRequest = deviceRequest
        call.prepare()
        return call
    }

    /// A result for each item whose change wasn't read, `pending` for the others, and the batches
    /// to send.
    private func prepare() {
        var results = context.resultLists.take(capacity: deviceRequest.items.count)
        var unread = false
        // By index: a loop over the items copies each.
        for index in deviceRequest.items.indices {
            if case .failure(let problem) = deviceRequest.items[index].change {
                results.append(.failed(problem))
                unread = true
            } else {
                results.append(Self.pending)
            }
        }
        self.results = results
        ready = unread ? deviceRequest.items.indices.filter { index in
            if case .success = deviceRequest.items[index].change { true } else { false }
        } : nil
        readyCount = ready?.count ?? results.count
        batchSize = route.batchSize
    }

    /// The call's lists go back to the loop when the call is released: by then the outcome, the
    /// translation and the answer that shared them have let go, so they are emptied in place and the
    /// loop's pool is the last holder of the documents they held (`GatewayLoop.reclaim`).
    deinit {
        if party != nil { context.reclaim(items: &deviceRequest.items, results: &results) }
    }

    /// Done with: every answer is in and handed on, and the request answered. Its lists go back to
    /// the loop as they would when it is released (`deinit`), and everything the call counted is
    /// forgotten, as a new call would start, and it goes to the loop's pool. `GatewayRequestReuseTests`
    /// checks that a retired call begun again is a new one's equal, stored property by stored property.
    private func retire() {
        // Moved to the loop's pools, leaving both empty: not held here too, or the next taker
        // would find them shared.
        context.reclaim(items: &deviceRequest.items, results: &results)
        party = nil
        ready = nil
        readyCount = 0
        batchSize = 1
        sent = 0
        inFlight = 0
        countedBatches = []
        countedItems = []
        lastTag = 0
        context.calls.give(self)
    }

    /// Where an item stands until its batch is answered: every batch ends in `complete`, which
    /// writes each of its places. Holds nothing to retain, as `noResult`'s problem would.
    private static var pending: DeviceResult { .accepted(status: 0, confirmed: DeviceDocument()) }

    /// Where an item stands if the adapter (a bug) gave its batch fewer results than changes.
    private static let noResult = DeviceResult.failed(Problem(.internalError, detail: "The vendor adapter gave no result for this device."))

    /// The next batch to send, as positions among the ready items; nil when all have gone out.
    private func nextBatch() -> Range<Int>? {
        guard sent < readyCount else { return nil }
        let end = min(sent + batchSize, readyCount)
        defer { sent = end }
        return sent..<end
    }

    /// The item at `position` among the ready ones.
    private func item(_ position: Int) -> Int { ready?[position] ?? position }

    /// Sends every ready change; `completion` gets the outcome once all are answered, on the loop.
    /// Taken (`consuming`) and, in `finish`, taken back out: copying a completion copies the
    /// translation it carries, a migration's split and all.
    func start(completion: consuming Completion) {
        self.completion = consume completion
        let concurrency = route.fanOutConcurrency
        if readyCount == 0 { return finish() }
        while inFlight < concurrency, let batch = nextBatch() { launch(batch) }
    }

    private func launch(_ batch: Range<Int>) {
        inFlight += 1
        // A vendor that keeps failing is not called while its circuit is open (API.md §7).
        if case .refuse(let retry) = binding.circuit.admit(now: context.loop.now) {
            let problem = Problem(.upstreamUnavailable, detail: "The vendor is failing; its circuit is open. Retry after \(retry) s.",
                                  headers: [("retry-after", String(retry))])
            return complete(batch, with: .all(.failed(problem), count: batch.count))
        }
        // The vendor's quota is spent per upstream call, just before it goes out; a call admitted
        // for later waits on this loop for its reserved slot. Most tenants have none: straight on.
        guard let quota = binding.quota else { return go(batch) }
        spend(quota) { [self] decision in
            guard decision.admitted else {
                let retry = decision.retryAfterSeconds ?? 1
                let problem = Problem(.upstreamRateLimited, detail: "The vendor account's quota is spent; retry after \(retry) s.",
                                      headers: [("retry-after", String(retry))])
                return complete(batch, with: .all(.failed(problem), count: batch.count))
            }
            guard decision.delay > 0 else { return go(batch) }
            context.delayedCalls.run(after: decision.delay) { [self] in go(batch) }
        }
    }

    /// The tenant's vendor quota `policy` for one call: decided already with the tenant's limit (a
    /// single change on the shared store), in this process, or on the shared store with
    /// `onStoreFailure` when it can't decide; `decided` runs on the loop. A single-device call
    /// waits up to the quota's `maxWaitSeconds`, a bulk update's batches until its deadline
    /// (`limits.bulkTimeoutSeconds` from its arrival).
    private func spend(_ quota: TenantRateLimiter.Slot, _ decided: @escaping (RateLimitDecision) -> Void) {
        let (state, tenant) = (request.state, route.name)
        let maxWait = waitLimit(quota.lines.policy.maxWait)
        func record(_ decision: RateLimitDecision, storeFailed: Bool) -> RateLimitDecision {
            metrics.record(.rateLimit(tenant: route.tenantLabel, policy: .vendor,
                                              decision: storeFailed ? .storeFailure : decision.admitted ? .admitted : .refused))
            if decision.admitted { metrics.record(.quotaWait(tenant: route.tenant, policy: .vendor, nanoseconds: decision.delay)) }
            return decision
        }
        // A decision made with the tenant's limit is its own binding's: never a migration target's.
        if let prepaid = request.prepaidQuota, binding === request.binding {
            request.prepaidQuota = nil
            return decided(record(prepaid, storeFailed: false))
        }
        guard let store = context.quotaStore else {
            return decided(record(state.vendorQuota.check(quota, maxWait: maxWait), storeFailed: false))
        }
        store.check(tenant: tenant, policy: quota.lines, maxWait: maxWait) { result in
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
        let now = context.loop.now
        let deadline = request.arrived &+ UInt64(request.state.limits.bulkTimeoutSeconds * 1e9)
        return deadline > now ? deadline - now : 0
    }

    /// What a vendor call's answer is for: a case rather than a closure, so the call every request
    /// makes allocates none.
    private enum Purpose {
        /// A batch's changes, sent with `token`; `isRetry` once sent again after the vendor refused
        /// the token.
        case changes(Range<Int>, token: String?, isRetry: Bool)
        /// The access token's fetch.
        case token((Result<UpstreamResponse, Problem>) -> Void)

        /// The span's `http.request.resend_count` (API.md §6).
        var resendCount: Int {
            if case .changes(_, _, isRetry: true) = self { 1 } else { 0 }
        }
    }

    /// The call, with an access token first for a vendor that needs one.
    private func go(_ batch: Range<Int>) {
        guard let tokens = route.accessTokens else { return send(batch, token: nil, isRetry: false) }
        withToken(tokens) { [self] result in
            switch result {
            case .success(let token): send(batch, token: token, isRetry: false)
            case .failure(let problem): complete(batch, with: .all(.failed(problem), count: batch.count))
            }
        }
    }

    private func withToken(_ tokens: AccessTokenCache, _ completion: @escaping (Result<String, Problem>) -> Void) {
        let (context, route) = (context, route)
        tokens.token(on: context.loop, loops: context.loops, fetch: { [self] done in
            guard var tokenRequest = route.adapter.accessTokenRequest() else { return }
            tokenRequest.pathPrefix = route.pathPrefix
            call(tokenRequest, for: .token { result in
                let token = result.flatMap { route.adapter.accessToken(from: $0) }
                if case .failure(let problem) = token {
                    context.metrics.record(.tokenFetch(tenant: route.tenant, problem: problem.code))
                } else {
                    context.metrics.record(.tokenFetch(tenant: route.tenant, problem: nil))
                }
                done(token)
            })
        }, completion: completion)
    }

    private func send(_ batch: Range<Int>, token: String?, isRetry: Bool) {
        // In one of the loop's lists, handed back once the batch is answered (`upstreamCall`).
        var changes = changeLists.take(capacity: batch.count)
        for position in batch {
            guard case .success(let change) = deviceRequest.items[item(position)].change else { preconditionFailure("only ready items are sent") }
            changes.append(change)
        }
        call(vendorRequest(for: changes, token: token), for: .changes(batch, token: token, isRetry: isRetry), changes: changes)
    }

    /// The adapter's request for `changes`, under the route's path prefix, with the request's id.
    /// Its body and header lines are built in the loop's reused arrays, which the client hands back
    /// once the call is answered. Returned rather than kept in a local: a local lives to the end of
    /// its scope, so the call would get a copy, and the headers added on the way would copy the list.
    private func vendorRequest(for changes: [DeviceChange], token: String?) -> UpstreamRequest {
        var upstream = route.request(for: changes, accessToken: token, now: request.now,
                                     body: byteArrays.take(capacity: 512))
        Self.place(&upstream, under: route.pathPrefix, for: request.requestID, fieldLists: fieldLists)
        return upstream
    }

    /// The route's path prefix and the request's id on `upstream`, its header lines moved into one
    /// of the loop's lists with room for a `tracestate` (`beginVendorCall`). A function of its own,
    /// never inlined: a request whose reference-counted fields were assigned in the function
    /// returning it was copied whole on return and the original destroyed (Swift 6.3, some 400
    /// instructions, callgrind); assigned through `inout`, it is returned as it lies.
    @inline(never)
    private static func place(_ upstream: inout UpstreamRequest, under pathPrefix: String, for requestID: RequestID,
                              fieldLists: ArrayPool<(name: String, value: String)>) {
        upstream.pathPrefix = pathPrefix
        upstream.requestID = requestID
        var fields = fieldLists.take(capacity: upstream.headers.count + 1)
        fields.append(contentsOf: upstream.headers)
        upstream.headers = fields
    }

    /// A batch's answer: the adapter's reading of it, or a refused token dropped and the batch sent
    /// once more with a fresh one. The client's result is read where it lies: mapped to a problem
    /// first (`Result.mapError`), the answer was copied, head and body, a retain each.
    private func answered(_ batch: Range<Int>, _ changes: [DeviceChange], token: String?, isRetry: Bool,
                          _ result: Result<UpstreamResponse, UpstreamError>) {
        switch result {
        case .failure(let error):
            complete(batch, with: .all(.failed(route.adapter.problem(for: error)), count: batch.count))
        case .success(let response):
            request.upstreamStatus = response.status
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
            complete(batch, with: route.interpret(response, for: changes, lists: answerLists))
        }
    }

    /// One call to the tenant's vendor (the token fetch included), in one of its `vendorConcurrency`
    /// slots when it has a cap: the slot is held until the answer, so the vendor never sees more
    /// calls in flight than the cap. A call that can't get one in time is 429 `upstream_rate_limited`.
    /// The request is taken (`consuming`) down to the client, so the headers added on the way
    /// grow its own list rather than a copy; a batch's changes go with it into the exchange.
    private func call(_ upstream: consuming UpstreamRequest, for purpose: Purpose, changes: consuming [DeviceChange] = []) {
        guard let cap = binding.cap else { return exchange(consume upstream, for: purpose, changes: changes, holding: .none) }
        // Copied for the closure only: a call without a cap copied the route (a retain for each of
        // its references) for nothing.
        let (request, route) = (request, route)
        let (waiting, batchChanges) = (upstream, changes)
        vendorSlots.acquire(tenant: route.name, policy: cap, maxWait: waitLimit(cap.maxWait), state: request.state) { [self] decision in
            let outcome: RateLimitOutcome = decision.storeFailed ? .storeFailure : decision.slot == nil ? .refused : .admitted
            metrics.record(.rateLimit(tenant: route.tenantLabel, policy: .concurrency, decision: outcome))
            guard let slot = decision.slot else {
                return refuse(purpose, Problem(.upstreamRateLimited,
                                               detail: "As many calls as the vendor account allows at once are in flight; retry after 1 s.",
                                               headers: [("retry-after", "1")]))
            }
            metrics.record(.quotaWait(tenant: route.tenant, policy: .concurrency, nanoseconds: decision.waited))
            exchange(waiting, for: purpose, changes: batchChanges, holding: slot)
        }
    }

    /// The exchange itself: its trace headers and client span, timed and counted by outcome (API.md
    /// §6); `slot` is released when the answer is in. The client tells this call how it ended
    /// (`upstreamCall(_:endedWith:)`), so it allocates no closure.
    private func exchange(_ upstream: consuming UpstreamRequest, for purpose: Purpose, changes: consuming [DeviceChange],
                          holding slot: VendorSlots.Slot) {
        let span = request.beginVendorCall(&upstream, to: route.target, resendCount: purpose.resendCount)
        let exchange = Exchange(purpose: purpose, changes: changes, span: span, started: context.loop.now, slot: slot)
        let tag: Int
        if exchangeInPlace == nil {
            exchangeInPlace = consume exchange
            tag = 0
        } else {
            lastTag += 1
            tag = lastTag
            moreExchanges[tag] = consume exchange
        }
        transport.send(upstream, to: route.target, observer: self, tag: tag)
    }

    private func deliver(_ result: Result<UpstreamResponse, UpstreamError>, for purpose: Purpose, changes: [DeviceChange]) {
        switch purpose {
        case .changes(let batch, let token, let isRetry): answered(batch, changes, token: token, isRetry: isRetry, result)
        case .token(let completion): completion(result.mapError { route.adapter.problem(for: $0) })
        }
    }

    /// A call refused before it went out: `problem` is its answer.
    private func refuse(_ purpose: Purpose, _ problem: Problem) {
        switch purpose {
        case .changes(let batch, _, _): complete(batch, with: .all(.failed(problem), count: batch.count))
        case .token(let completion): completion(.failure(problem))
        }
    }

    private func complete(_ batch: Range<Int>, with answer: VendorAnswer) {
        for offset in 0..<batch.count {
            results[item(batch.lowerBound + offset)] = offset < answer.count ? answer[offset] : Self.noResult
        }
        if let succeeded = answer.reportedSuccesses {
            countedBatches.append((batch.count, min(succeeded, batch.count)))
            countedItems.formUnion(batch.lazy.map(item))
        }
        inFlight -= 1
        if let next = nextBatch() { return launch(next) }
        if inFlight == 0 { finish() }
    }

    private func finish() {
        guard let completion = completion.take() else { return }
        precondition(sent == readyCount && inFlight == 0, "finish before every batch was answered")
        // The lists move into the outcome and, once it is handed on, back, for `retire` to reclaim:
        // copied, each was retained and released (atomic operations).
        var outcome = Outcome(results: [], countedBatches: [], countedItems: [])
        swap(&outcome.results, &results)
        swap(&outcome.countedBatches, &countedBatches)
        swap(&outcome.countedItems, &countedItems)
        defer {
            swap(&outcome.results, &results)
            swap(&outcome.countedBatches, &countedBatches)
            swap(&outcome.countedItems, &countedItems)
        }
        switch consume completion {
        case .answer(let gateway, let translation, let started):
            request.upstreamNanos = context.loop.now &- started
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
    static func split(request: GatewayRequest, _ deviceRequest: DeviceRequest, servedByTarget: [Bool], current: VendorBinding,
                      target: VendorBinding, completion: @escaping (Outcome) -> Void) {
        let parts = [false, true].filter(servedByTarget.contains)
        var outcomes: [Bool: Outcome] = [:]
        for byTarget in parts {
            let part = deviceRequest.keeping { servedByTarget[$0] == byTarget }
            DeviceCall.begin(request: request, binding: byTarget ? target : current, deviceRequest: part).start(completion: .closure { outcome in
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

extension DeviceCall: UpstreamCallObserver {
    /// An exchange's answer: its client span, the circuit and the metrics told, its slot released,
    /// and the answer delivered for what it was for.
    func upstreamCall(_ tag: Int, endedWith result: Result<UpstreamResponse, UpstreamError>) {
        guard let exchange = tag == 0 ? exchangeInPlace.take() : moreExchanges.removeValue(forKey: tag) else {
            preconditionFailure("an upstream call ends once")
        }
        ended(exchange, result)
    }

    /// The exchange handed over (`consuming`), its purpose, slot and changes read where they lie:
    /// bound to a local `var`, each was copied out of it to be read (a retain each) and the
    /// exchange destroyed after.
    private func ended(_ exchange: consuming Exchange, _ result: Result<UpstreamResponse, UpstreamError>) {
        // Asked here, not in the call: a call without a span (most, with tracing sampled) was
        // made all the same, the request retained and released around it.
        if let span = exchange.span { request.endVendorCall(span, result) }
        var sample = ClientRequestSample(tenant: route.tenantLabel, vendor: route.vendor, serverAddress: route.hostLabel,
                                         status: nil, outcome: .unavailable, reusedConnection: false,
                                         nanoseconds: context.loop.now &- exchange.started)
        // One switch reading the answer's status where it lies: binding the answer in two had
        // Swift copy it (head and body, a retain each) for each.
        switch result {
        case .success(let response):
            sample.status = response.status
            sample.outcome = ClientOutcome(status: response.status)
            sample.reusedConnection = response.reusedConnection
        case .failure(let error):
            sample.outcome = ClientOutcome(failure: error.kind)
        }
        binding.circuit.record(failed: sample.status.map { $0 >= 500 } ?? true, loop: context.loop.index, now: context.loop.now)
        metrics.record(.clientRequest(sample))
        vendorSlots.release(exchange.slot)
        deliver(result, for: exchange.purpose, changes: exchange.changes)
        // Read and done with: the batch's list of changes is the loop's again, and so are their
        // documents, emptied here, where the exchange was the list's last holder (a token's fetch
        // has none, and an empty list without room is not kept).
        for index in exchange.changes.indices { exchange.changes[index].document.give(to: documents) }
        changeLists.recycle(&exchange.changes)
        // The last answer, handed on: the call is done, and nothing on its way down holds its lists now.
        if completion == nil, inFlight == 0, exchangeInPlace == nil, moreExchanges.isEmpty { retire() }
    }
}
