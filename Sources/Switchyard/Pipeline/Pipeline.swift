import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO

/// The request's way through the gateway, phase by phase, in order: this file is the table of
/// contents (docs/ARCHITECTURE.md, "The request's way through").
///
///     route → authenticate → authorize        from the head (`admit`), before any body is read
///     → read body → idempotency key           with the body (`respond`)
///     → rate limit → translate
///     → call the vendor → translate back → respond (and log)
///     → mirror                                a migrating tenant's changes to its other vendor
///
/// Each phase is one call into the module that owns it, and returns the problem that ends the
/// request there, or nil to go on. A phase that may wait (on the shared store, on the vendor)
/// hands its decision to a named continuation (`claimed`, `limited`, `answered`) instead of taking
/// a closure: a closure passed down would be allocated for every request, though the shared
/// store is asked only where it is configured. The phases carry stable names and are never
/// inlined, so a profile groups its samples by them (`Benchmarks/perf_phases.py`).
extension Gateway {
    // MARK: From the head

    /// API.md §2: route, credential and scope are decided from the head, so a request that no
    /// body could make acceptable is answered before its body is read (and its connection closed
    /// when it announced one). An admitted request goes on in `respond`, with what was decided.
    public func admit(_ head: HTTPRequestHead, requestID: RequestID, client: SocketAddress?, loop: EventLoop) -> HeadDecision {
        let request = GatewayRequest.begin(head: head, requestID: requestID, client: client, context: contexts[loop.index].value)
        if let refusal = route(request, head) ?? authenticate(request, head) ?? authorize(request) {
            request.keep(head)
            let response = request.finished(refusal)
            request.retire()
            return .refuse(response)
        }
        return .admit(request)
    }

    // MARK: With the body

    public func respond(to http: inout HTTPRequest, exchange: HTTPExchange) {
        let request: GatewayRequest
        if let admitted = http.admission as? GatewayRequest {
            request = admitted
        } else {
            // Never from the server, which admits every head first; a caller that skipped it
            // gets the same decisions now.
            switch admit(http.head, requestID: http.requestID, client: http.client, loop: exchange.loop) {
            case .refuse(let refusal):
                return exchange.respond(refusal)
            case .admit(let admitted):
                guard let admitted = admitted as? GatewayRequest else { preconditionFailure("admit makes a GatewayRequest") }
                request = admitted
            }
        }
        request.exchange = exchange
        // The head is read as the server lent it, then moved into the request, whose answer reads it,
        // and the request's spare goes back to the server in its place.
        if let problem = readBody(request, http.head, http.body) {
            request.adopt(&http.head)
            return respond(request, problem)
        }
        let key = IdempotencyKey.read(http.head, body: http.body)
        request.adopt(&http.head)
        claimIdempotencyKey(request, key)
    }

    /// What the key decided, at once or when the shared store answered: the phases after it are
    /// the ones a replayed answer skips.
    func claimed(_ request: GatewayRequest, _ claim: KeyClaim) {
        switch claim {
        case .refuse(let problem): respond(request, problem)
        case .replay(let answer): respond(request, answer.replay)
        case .proceed: rateLimit(request)
        }
    }

    /// What the limit decided, at once or when the shared store answered.
    func limited(_ request: GatewayRequest, refusal: Problem?) {
        if let refusal { return respond(request, refusal) }
        switch translate(request) {
        case .failure(let problem): respond(request, problem)
        case .success(let translation): callVendor(request, translation)
        }
    }

    /// What the vendor made of the changes, when its last answer is read. A migrating tenant's
    /// request goes on to the mirror, which keeps it (`send` rather than `respond`: not retired).
    func answered(_ request: GatewayRequest, _ translation: Translation, _ outcome: DeviceCall.Outcome) {
        let response = translateBack(request, translation, outcome)
        guard let split = translation.split else { return respond(request, response) }
        send(request.finished(response), for: request)
        mirror(request, split, outcome)
    }

    // MARK: The phases

    // The phases that read the head take it as the server handed it over, borrowed: the request's
    // own (`GatewayRequest.head`, a `var` of a class, which its loop begins again) would be copied
    // at each read, both its arrays retained and released (twice a request, callgrind, when
    // `readBody` and the idempotency key read it after `adopt`).

    /// A path that is no resource, or a method it doesn't take, needs no credential (404, 405).
    @inline(never)
    func route(_ request: GatewayRequest, _ head: HTTPRequestHead) -> Problem? {
        // Decided in a local and moved into the request once read: read back from the request (a
        // class's `var`), the route was copied for the `switch`, its device id retained.
        let route = head.withPath { Route(method: head.method, path: $0) }
        let problem: Problem? = switch route {
        case .notFound:
            Problem(.notFound, detail: "No resource at this path.")
        case .methodNotAllowed(let allow):
            Problem(.methodNotAllowed, detail: "This resource does not take \(head.methodName).", headers: [("allow", allow)])
        case .upsertDevice, .updateDevice, .bulkUpdate:
            nil
        }
        request.route = consume route
        return problem
    }

    /// The tenant comes from the credential and nowhere else (401).
    @inline(never)
    func authenticate(_ request: GatewayRequest, _ head: HTTPRequestHead) -> Problem? {
        // The state held once for both of its uses: read through the request for each, it was
        // retained and released around each (a call could have replaced it, for all Swift knows).
        let state = request.state
        let authenticated = head.withFirstValue(.authorization) { value, _ in
            state.authenticator.authenticate(authorization: value, now: request.now, cache: request.cache)
        }
        // Taken apart, the credential moves into the request: read where it lies, it was copied
        // out and the result destroyed twice.
        switch consume authenticated {
        case .success(let credential):
            request.binding = state.binding(named: credential.tenant)
            request.credential = consume credential
            return nil
        case .failure(let failure):
            return Problem(.unauthenticated, detail: failure.detail, headers: [("www-authenticate", failure.wwwAuthenticate)])
        }
    }

    /// The operation's scope (403). The rate limit is only peeked at: a refused request costs no budget.
    @inline(never)
    func authorize(_ request: GatewayRequest) -> Problem? {
        guard let credential = request.credential, let scope = request.route.scope else { return nil }
        guard credential.scopes.contains(scope) else {
            request.limit = request.state.rateLimiter.peek(tenant: credential.tenant)
            return Problem(.insufficientScope, detail: "This operation needs the \(scope.rawValue) scope.",
                           headers: [("www-authenticate", "Bearer error=\"insufficient_scope\", scope=\"\(scope.rawValue)\"")])
        }
        return nil
    }

    /// JSON only, inflated if gzip, within the limits (406, 415, 413, 400); a bad body costs no budget.
    @inline(never)
    func readBody(_ request: GatewayRequest, _ head: HTTPRequestHead, _ bytes: [UInt8]) -> Problem? {
        request.bytesIn = bytes.count
        switch RequestBody.read(bytes, of: head, limits: request.state.limits, gunzip: request.context.gunzip,
                                objects: request.jsonObjects) {
        case .success(let body):
            request.body = body
            return nil
        case .failure(let problem):
            request.limit = request.tenant.map { request.state.rateLimiter.peek(tenant: $0) }
            return problem
        }
    }

    /// What a write's `Idempotency-Key` decides (API.md §2).
    enum KeyClaim {
        /// No key, or the first request with it (held until its answer is finished).
        case proceed
        case refuse(Problem)
        /// Answered before: the same answer again, without a vendor call or a rate-limit decision.
        case replay(IdempotentAnswer)
    }

    /// A malformed key is 400; a key answered before is replayed, one still in flight is 409, one
    /// used with another request (method, target or body) 422. Keys are the tenant's own, kept
    /// where `idempotency.store` says; `claimed` goes on, on the request's loop. `read` is the
    /// head's key as `IdempotencyKey.read` found it, nil when there is none.
    @inline(never)
    func claimIdempotencyKey(_ request: GatewayRequest, _ read: Result<IdempotencyKey, Problem>?) {
        guard let read else { return claimed(request, .proceed) }
        guard case .success(let key) = read, let tenant = request.tenant else {
            if case .failure(let problem) = read { return claimed(request, .refuse(problem)) }
            preconditionFailure("a key is read after authentication")
        }
        let context = request.context
        let scoped = tenant + ":" + key.value
        func decided(_ claim: IdempotencyClaim, by store: any IdempotencyStore) {
            switch claim {
            case .proceed:
                request.heldKey = (store, scoped, key.fingerprint)
                claimed(request, .proceed)
            case .replay(let answer):
                context.metrics.record(.idempotentReplay(tenant: tenant))
                claimed(request, .replay(answer))
            case .inUse:
                claimed(request, .refuse(Problem(.idempotencyKeyInUse, detail: "A request with this Idempotency-Key is still being processed.")))
            case .reused:
                claimed(request, .refuse(Problem(.idempotencyKeyReused,
                                                 detail: "This Idempotency-Key was used for another request (method, path or body).")))
            }
        }
        let store = context.idempotency
        let pending = request.state.longestVendorPhase(tenant: tenant, bulk: request.route == .bulkUpdate)
        store.claim(scoped, fingerprint: key.fingerprint, pending: pending) { [self, state = request.state] result in
            switch result {
            case .success(let claim):
                decided(claim, by: store)
            case .failure:
                // The shared store is down: `onStoreFailure`, as for the limits.
                switch state.onStoreFailure {
                case .local:
                    let fallback = context.localIdempotency
                    fallback.claim(scoped, fingerprint: key.fingerprint, pending: pending) { decided((try? $0.get()) ?? .proceed, by: fallback) }
                case .open:
                    claimed(request, .proceed)
                case .closed:
                    claimed(request, .refuse(Problem(.overloaded, detail: "The idempotency store can't be reached; retry after 1 s.",
                                                     headers: [("retry-after", "1")])))
                }
            }
        }
    }

    /// The tenant's rate limit (GCRA), in this process or on the shared store (429); only
    /// admitted requests count. `limited` goes on, on the request's loop, with the refusal or nil.
    @inline(never)
    func rateLimit(_ request: GatewayRequest) {
        precondition(request.credential != nil, "rate limit before authentication")
        // The tenant's own binding, found by authentication, holds its limit's slot: no lookup by name.
        // Read where they lie for the limit kept in this process (the tenant's name and the state
        // bound to locals were retained and released for it); only the shared store's calls keep them.
        guard let slot = request.binding?.limit else { return limitDecided(request, .unlimited) }
        guard let store = request.context.store else { return limitDecided(request, request.state.rateLimiter.check(slot)) }
        guard let tenant = request.tenant else { preconditionFailure("rate limit before authentication") }
        let state = request.state
        // A single change will spend the vendor quota too: both in one round trip, the quota's
        // decision kept for the vendor phase (spent even if the change is then refused, 400 or 422).
        if let quota = request.binding?.quota?.lines, let quotaStore = request.context.quotaStore, request.route.isSingleDevice {
            return store.check(tenant: tenant, policy: slot.lines, quota: (quotaStore, quota, quota.policy.maxWait)) { [self] result in
                switch result {
                case .success(let (decision, quotaDecision)):
                    request.prepaidQuota = quotaDecision
                    limitDecided(request, decision)
                case .failure:
                    limitDecided(request, state.decideWithoutStore(tenant, limiter: state.rateLimiter), storeFailed: true)
                }
            }
        }
        store.check(tenant: tenant, policy: slot.lines) { [self] result in
            switch result {
            case .success(let decision): limitDecided(request, decision)
            case .failure: limitDecided(request, state.decideWithoutStore(tenant, limiter: state.rateLimiter), storeFailed: true)
            }
        }
    }

    /// The tenant limit's `decision`, counted and kept, and the request on its way (`limited`) or
    /// refused. Taken, not lent: the request keeps the decision, which a lent one would be copied for.
    private func limitDecided(_ request: GatewayRequest, _ decision: consuming RateLimitDecision, storeFailed: Bool = false) {
        let (admitted, retryAfterSeconds) = (decision.admitted, decision.retryAfterSeconds)
        request.limit = consume decision
        let tenant = request.tenantRoute?.tenantLabel ?? request.tenant.map(MetricLabels.number) ?? 0
        request.metrics.record(.rateLimit(tenant: tenant, policy: .tenant, decision: storeFailed ? .storeFailure : admitted ? .admitted : .refused))
        guard admitted else {
            // The decision's headers, added when the answer is finished, carry the Retry-After.
            return limited(request, refusal: Problem(.rateLimited,
                                                     detail: "The tenant's rate limit is spent; retry after \(retryAfterSeconds ?? 1) s."))
        }
        limited(request, refusal: nil)
    }

    /// The tenant's adapter: what the vendor can do, the device layer's checks, the vendor's own
    /// rules, translation into changes (422, 400, 501). A migrating tenant's request is read for
    /// both its vendors, each device by the one that serves it at the migration's stage.
    @inline(never)
    func translate(_ request: GatewayRequest) -> Result<Translation, Problem> {
        guard let binding = request.binding else {
            // The state's authenticator admits its own tenants only; an API key's tenant is one of them.
            return .failure(Problem(.internalError, detail: "The tenant has no route."))
        }
        // Taken out for the read and put back after it: read where it lies, a `var` of a class,
        // the document was copied for the read.
        guard let body = request.body.take() else {
            return .failure(Problem(.invalidRequest, detail: "The request needs a JSON body."))
        }
        defer { request.body = body }
        let route = binding.route
        let state = request.state
        let limits = state.limits
        let migrations = state.migrations
        let split = (migrations.isEmpty ? nil : migrations[route.tenant]).map { migration in
            migration.split(request.route, body: body, maxBulkDevices: limits.maxBulkDevices, now: request.now)
        }
        let deviceRequest = split?.served ?? DeviceRequest.read(request.route, body: body, adapter: route.adapter,
                                                                bareIDKind: route.primaryKind,
                                                                maxBulkDevices: limits.maxBulkDevices, now: request.now,
                                                                lists: request.context.requestLists)
        if case .success(let read) = deviceRequest, !read.isBulk { request.device = read.withFirstItem { $0.id } ?? nil }
        return deviceRequest.map { Translation(binding: binding, deviceRequest: $0, split: split) }
    }

    /// Vendor quota, access token, the upstream call(s), the adapter's reading of each answer; for
    /// a migrating tenant, each vendor's calls for the devices it serves, results in request order.
    /// The translation is taken (`consuming`) and handed on to the call's completion, not copied.
    @inline(never)
    func callVendor(_ request: GatewayRequest, _ translation: consuming Translation) {
        let started = request.context.loop.now
        guard let split = translation.split, split.involvesTarget else {
            let call = DeviceCall.begin(request: request, binding: translation.binding, deviceRequest: translation.deviceRequest)
            return call.start(completion: .answer(self, consume translation, started: started))
        }
        callBothVendors(request, translation, split, started: started)
    }

    /// A migrating tenant's request served by both its vendors: each vendor's calls for the devices
    /// it serves, at once (`DeviceCall.split`).
    private func callBothVendors(_ request: GatewayRequest, _ translation: Translation, _ split: MigrationSplit, started: UInt64) {
        DeviceCall.split(request: request, translation.deviceRequest, servedByTarget: split.servedByTarget,
                         current: split.migration.current, target: split.migration.target) { [self] outcome in
            request.upstreamNanos = request.context.loop.now &- started
            answered(request, translation, outcome)
        }
    }

    /// What the vendor made of each change, as the unified answer.
    @inline(never)
    func translateBack(_ request: GatewayRequest, _ translation: Translation, _ outcome: DeviceCall.Outcome) -> HTTPResponse {
        let route = translation.binding.route
        let answer = DeviceAnswer(primaryKind: route.primaryKind, addressableKinds: route.addressableKinds, requestID: request.requestID)
        request.problem = DeviceAnswer.problem(translation.deviceRequest, outcome)
        return answer.response(to: translation.deviceRequest, outcome,
                               into: request.byteArrays.take(capacity: DeviceAnswer.expectedBytes(translation.deviceRequest, outcome)),
                               fields: request.fieldLists.take(capacity: DeviceAnswer.fieldCapacity))
    }

    /// A migrating tenant's changes go to the vendor that did not serve them too, once the client
    /// has its answer, and both answers are compared (API.md §8); nothing for other tenants.
    @inline(never)
    func mirror(_ request: GatewayRequest, _ split: MigrationSplit, _ outcome: DeviceCall.Outcome) {
        request.context.mirror.mirror(request, split, results: outcome.results)
    }

    /// The answer leaves: finished (rate-limit headers, gzip, access log) and sent, and the request
    /// retired into its loop's pool for a later head.
    @inline(never)
    func respond(_ request: GatewayRequest, _ response: consuming HTTPResponse) {
        send(request.finished(response), for: request)
        request.retire()
    }

    @inline(never)
    func respond(_ request: GatewayRequest, _ problem: Problem) {
        send(request.finished(problem), for: request)
        request.retire()
    }

    private func send(_ response: consuming HTTPResponse, for request: GatewayRequest) {
        // Taken, not copied (a copy retained the connection, which `retire` then released): a
        // request is answered once.
        guard let exchange = request.exchange.take() else {
            preconditionFailure("an answer before the body was read, or a second one")
        }
        exchange.respond(response)
    }
}
