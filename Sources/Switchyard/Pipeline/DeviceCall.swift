import Foundation
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON

/// One client request's way through the vendor: vendor quota, access token, upstream call,
/// translation back, for one change or a bulk update's many.
///
/// A bulk update is cut into the adapter's batches (iot-security: up to 100 devices per call;
/// the others: one call per device), at most `fanOutConcurrency` of them in flight, each
/// batch's results landing in the items' places, so results come back in request order
/// however the calls finish. Lives on the exchange's loop from `start` to `finish`.
final class DeviceCall {
    private let context: Gateway.LoopContext
    private let route: TenantRoute
    private let quota: TenantRateLimiter
    private let loops: [EventLoop]
    private let request: HTTPRequest
    private let exchange: HTTPExchange
    private let limit: RateLimitDecision
    private let deviceRequest: DeviceRequest
    private let traceParent: String
    /// The loop's clock when the request arrived, for the access log.
    private let started: UInt64

    private var results: [DeviceResult?]
    /// Batches of item indices still to send, the next one first.
    private var batches: ArraySlice<[Int]>
    private var inFlight = 0
    /// Per batch that a vendor answered with a count only: (items in the batch, count).
    private var countedBatches: [(size: Int, succeeded: Int)] = []
    private var countedItems = Set<Int>()

    init(context: Gateway.LoopContext, route: TenantRoute, quota: TenantRateLimiter, loops: [EventLoop],
         request: HTTPRequest, exchange: HTTPExchange, limit: RateLimitDecision, deviceRequest: DeviceRequest, started: UInt64) {
        self.context = context
        self.route = route
        self.quota = quota
        self.loops = loops
        self.request = request
        self.exchange = exchange
        self.limit = limit
        self.deviceRequest = deviceRequest
        self.started = started
        traceParent = TraceParent.upstreamValue(request.head.firstValue("traceparent"), ids: context.traceIDs)
        let results: [DeviceResult?] = deviceRequest.items.map { item in
            if case .failure(let problem) = item.change { return .failed(problem) }
            return nil
        }
        self.results = results
        let ready = results.indices.filter { results[$0] == nil }
        let size = max(1, route.adapter.batchSize)
        batches = ArraySlice(stride(from: 0, to: ready.count, by: size).map { Array(ready[$0..<min($0 + size, ready.count)]) })
    }

    func start() {
        let concurrency = max(1, route.adapter.fanOutConcurrency)
        if batches.isEmpty { return finish() }
        while inFlight < concurrency, let batch = batches.popFirst() { launch(batch) }
    }

    private func launch(_ batch: [Int]) {
        inFlight += 1
        // The vendor's quota is spent per upstream call, just before it goes out.
        let decision = quota.check(tenant: route.name)
        guard decision.admitted else {
            let retry = decision.retryAfterSeconds ?? 1
            let problem = Problem(.upstreamRateLimited, detail: "The vendor account's quota is spent; retry after \(retry) s.",
                                  headers: [("retry-after", String(retry))])
            return complete(batch, with: .all(.failed(problem), count: batch.count))
        }
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
        tokens.token(on: exchange.loop, loops: loops, fetch: { done in
            guard var tokenRequest = route.adapter.accessTokenRequest() else { return }
            tokenRequest.path = route.pathPrefix + tokenRequest.path
            context.client.send(tokenRequest, to: route.target) { result in
                switch result {
                case .success(let response): done(route.adapter.accessToken(from: response))
                case .failure(let error): done(.failure(route.adapter.problem(for: error)))
                }
            }
        }, completion: completion)
    }

    private func send(_ batch: [Int], token: String?, isRetry: Bool) {
        let changes = batch.map { index -> DeviceChange in
            guard case .success(let change) = deviceRequest.items[index].change else { preconditionFailure("only ready items are sent") }
            return change
        }
        let adapter = route.adapter
        var upstream = adapter.request(for: changes, accessToken: token, now: Date().timeIntervalSince1970)
        upstream.path = route.pathPrefix + upstream.path
        upstream.headers.append(("x-request-id", request.requestID))
        upstream.headers.append(("traceparent", traceParent))
        context.client.send(upstream, to: route.target) { [self] result in
            switch result {
            case .failure(let error):
                complete(batch, with: .all(.failed(adapter.problem(for: error)), count: batch.count))
            case .success(let response):
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

    private func complete(_ batch: [Int], with answer: VendorAnswer) {
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
        if let next = batches.popFirst() { return launch(next) }
        if inFlight == 0 { finish() }
    }

    // MARK: The answer

    private func finish() {
        var response = deviceRequest.isBulk ? bulkResponse() : singleResponse()
        limit.appendHeaders(to: &response.headers)
        context.finish(exchange, request, context.compress(response, for: request), tenant: route.name, started: started)
    }

    private func singleResponse() -> HTTPResponse {
        let item = deviceRequest.items[0]
        switch results[0] {
        case .accepted(let status, let confirmed):
            var json = JSONWriter(capacity: 512)
            writeDevice(item, confirmed: confirmed, to: &json)
            return HTTPResponse(status: status, headers: [("content-type", "application/json")], body: json.bytes)
        case .failed(let problem):
            return problem.response(requestID: request.requestID)
        case nil:
            preconditionFailure("finish before every result arrived")
        }
    }

    /// API.md's bulk document: results in request order, then the counts. Items of a batch the
    /// vendor answered with a count only are 202 each, and the vendor's count is what succeeded.
    private func bulkResponse() -> HTTPResponse {
        var json = JSONWriter(capacity: 128 * max(1, results.count))
        var succeeded = countedBatches.reduce(0) { $0 + $1.succeeded }
        var failed = countedBatches.reduce(0) { $0 + $1.size - $1.succeeded }
        json.beginObject()
        json.key("results")
        json.beginArray()
        for (index, item) in deviceRequest.items.enumerated() {
            json.beginObject()
            if let id = item.id { json.member("id", id) }
            switch results[index] {
            case .accepted(let status, let confirmed):
                json.member("status", status)
                json.key("device")
                writeDevice(item, confirmed: confirmed, to: &json)
                if !countedItems.contains(index) { succeeded += 1 }
            case .failed(let problem):
                json.member("status", problem.code.status)
                json.key("problem")
                problem.write(to: &json, requestID: request.requestID)
                if !countedItems.contains(index) { failed += 1 }
            case nil:
                preconditionFailure("finish before every result arrived")
            }
            json.endObject()
        }
        json.endArray()
        json.member("succeeded", succeeded)
        json.member("failed", failed)
        json.endObject()
        return HTTPResponse(status: failed == 0 ? 200 : 207, headers: [("content-type", "application/json")], body: json.bytes)
    }

    /// The confirmed fields whose values keep the document's rules, in canonical form: a vendor
    /// that answers a phone number without its `+` or a MAC in its own spelling must not hand a
    /// client a value the gateway itself would refuse (the value sent, if any, stays instead).
    private static func conforming(_ confirmed: DeviceDocument) -> DeviceDocument {
        var checked = DeviceDocument()
        for field in confirmed.fields {
            guard case .string(let value)? = confirmed[field] else {
                checked[field] = confirmed[field]
                continue
            }
            if case .success(let canonical) = FieldRules.check(field, value) { checked[field] = .string(canonical) }
        }
        return checked
    }

    /// What was sent (never a write-only field), with what the vendor confirmed laid over it,
    /// and `id`: the request's, or for a new device an identifier the client sent (the vendor's
    /// primary kind first), else one the vendor confirmed.
    private func writeDevice(_ item: DeviceRequest.Item, confirmed: DeviceDocument, to json: inout JSONWriter) {
        guard case .success(let change) = item.change else { return }
        var document = change.document.redacted.merging(Self.conforming(confirmed.redacted))
        // The device's identifier is part of its document, whichever vendor echoes it.
        if let id = change.id, document[id.kind.field] == nil { document[id.kind.field] = .string(id.value) }
        let adapter = route.adapter
        let kinds = ((adapter.primaryKind.map { [$0] } ?? []) + IdentifierKind.allCases).filter(adapter.addressableKinds.contains)
        let id = change.id ?? (kinds.first { change.document[$0.field] != nil } ?? kinds.first { document[$0.field] != nil })
            .flatMap { kind in document.string(kind.field).map { DeviceIdentifier(kind: kind, value: $0) } }
        document.write(to: &json, id: id)
    }
}
