import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON

/// One `/devices` request on its way through the gateway (`Pipeline.swift`): begun when its head
/// arrives, it carries what each phase decides, and it owns the one way an answer is finished.
///
/// Lives on its loop from head to answer. It keeps the configuration state it arrived under, so a
/// reload meanwhile neither drops nor misroutes it, and it reads the clocks once. Once its answer
/// is sent it is retired (`retire`) into the loop's pool and begun again for a later head
/// (`begin`): every request needs one, and the steady path allocates none.
final class GatewayRequest {
    let context: GatewayLoop
    /// The context's objects every request calls on, held here too, for the phases to reach through
    /// the request they are handed: an object reached through another (`request.context.metrics`)
    /// is retained and released around each call made on it, one in a `let` of its own is lent as it is.
    let metrics: LoopMetrics
    let cache: AuthenticationCache
    let jsonObjects: JSONObject.Pool
    let byteArrays: ArrayPool<UInt8>
    let fieldLists: ArrayPool<(name: String, value: String)>
    private let requests: ObjectPool<GatewayRequest>

    /// What the request arrived with and under, set when it is begun.
    private struct Arrival {
        var state: GatewayState
        var requestID: RequestID
        /// Who sent it (the access log's `clientAddress`).
        var client: SocketAddress?
        /// The loop's clock at arrival, monotonic nanoseconds: where the logged duration starts.
        var arrived: UInt64
        /// Seconds since 1970 at arrival, read once: a token's expiry, the vendors' date rules.
        var now: Double
        /// The request's place in its trace (API.md §2, §6). Every answer needs it (the access log,
        /// the server span), so it is read from the head here, where the server lends it: read later
        /// from the stored head, the head was copied for the read.
        var trace: RequestTrace
        /// `heldHead` is the request's own, moved in with the body (`adopt`), not a copy sharing
        /// its connection's storage (`keep`): `retire` keeps its storage as the spare.
        var ownsHead = false

        /// Everything but the head, which the request is handed with its body (`adopt`), or keeps
        /// for a refusal of its head alone (`keep`): copied here, as it was, the head cost every
        /// request a retain and a release of both its arrays.
        init(head: borrowing HTTPRequestHead, requestID: RequestID, client: SocketAddress?, context: GatewayLoop) {
            trace = RequestTrace(head: head, sampler: context.spans?.tracer.sampler, ids: context.traceIDs)
            self.requestID = requestID
            self.client = client
            state = context.state
            arrived = context.loop.now
            now = WallClock.secondsSince1970()
        }
    }

    private var arrival: Arrival
    /// The request's head, from `adopt` or `keep` on; empty before, and again once retired. Beside
    /// `arrival` rather than in it, so that a request begun again keeps the empty one it has
    /// rather than make another (each of its arrays retained and released).
    private var heldHead = HTTPRequestHead()
    /// Storage for a head, handed to the connection whose head the request adopts next: the last
    /// adopted head's, kept when the request was retired. The connection parses its next head into
    /// it, so a head moves between a connection and a request without being copied and without
    /// either allocating one. Its content is a past request's and is never read.
    private var spareHead = HTTPRequestHead()
    /// The most bytes of head storage kept as a spare: an ordinary head's, not the 16 KiB one a
    /// client may send once and the loop's pool would then keep for each of its requests.
    private static let maxSpareHeadBytes = 4096
    // Read in place (`_read`): a class's stored `var` is copied at every read (a head's two arrays
    // retained and released, a reference retained) unless its reader borrows it for as long as it
    // reads, as the compiler lets a `let` be. The phases read the head and the state several times each.
    var state: GatewayState { _read { yield arrival.state } }
    var head: HTTPRequestHead { _read { yield heldHead } }
    var requestID: RequestID { _read { yield arrival.requestID } }
    var client: SocketAddress? { _read { yield arrival.client } }
    var trace: RequestTrace { _read { yield arrival.trace } }
    var arrived: UInt64 { arrival.arrived }
    var now: Double { arrival.now }

    /// Decided by `route`. Read in place, as `state` is: a stored `var` of a class is copied at
    /// every read, and a route's device id retained and released with it (the `translate` phase).
    var route: Route {
        _read { yield decidedRoute }
        _modify { yield &decidedRoute }
    }
    private var decidedRoute: Route = .notFound
    /// Decided by `authenticate`: who the request acts for, and where its tenant's calls go.
    var credential: Credential?
    var binding: VendorBinding?
    /// The tenant's rate limit: decided by `rateLimit`, or only peeked at for a request refused
    /// before it (which costs no budget). Its headers go on every answer once it is set.
    var limit: RateLimitDecision?
    /// The vendor quota's decision, made with the tenant's limit in one round trip to the shared
    /// store (a single change); taken by the vendor phase instead of asking again.
    var prepaidQuota: RateLimitDecision?
    /// Read by `readBody`: the JSON document, nil for an empty body.
    var body: JSONValue?
    /// Where the answer goes, once the body is whole (`respond`); taken when the answer is sent.
    var exchange: HTTPExchange?

    // What the access log says of the request besides the above.
    /// A single-device request's typed id (`iccid:…`), once `translate` read it.
    var device: DeviceRequest.Item.ID?
    /// The problem the answer is, when it is one.
    var problem: ProblemCode?
    /// The status of the vendor's last answer, and how long the vendor phase took.
    var upstreamStatus: Int?
    var upstreamNanos: UInt64?
    /// The body's size as it arrived (before gzip was undone).
    var bytesIn = 0
    /// The `Idempotency-Key` this request holds (`claimIdempotencyKey`): its answer is kept for
    /// repeats, or the key released, when the answer is finished.
    var heldKey: (store: any IdempotencyStore, key: String, fingerprint: String)?

    private init(arrival: consuming Arrival, context: GatewayLoop) {
        self.arrival = arrival
        self.context = context
        metrics = context.metrics
        cache = context.cache
        jsonObjects = context.jsonObjects
        byteArrays = context.loop.byteArrays
        fieldLists = context.loop.fieldLists
        requests = context.requests
    }

    /// The request for `head`: one the loop retired, begun again, when it has one nothing else
    /// holds (`ObjectPool`), else a new one. It has no head of its own until `adopt` or `keep`.
    static func begin(head: borrowing HTTPRequestHead, requestID: RequestID, client: SocketAddress?, context: GatewayLoop) -> GatewayRequest {
        let arrival = Arrival(head: head, requestID: requestID, client: client, context: context)
        guard let request = context.requests.take() else { return GatewayRequest(arrival: arrival, context: context) }
        assert(request.heldHead.bytes.isEmpty && request.heldHead.fields.isEmpty, "a retired request holds no head")
        request.arrival = arrival
        return request
    }

    /// The head the server lent with the body, taken in exchange for the spare: the answer reads it
    /// (the access log, gzip, the metrics' method), and moved rather than copied it costs no
    /// reference counting. The server parses the connection's next head into the spare.
    func adopt(_ head: inout HTTPRequestHead) {
        swap(&heldHead, &head)
        swap(&head, &spareHead)
        arrival.ownsHead = true
    }

    /// A copy of `head`, for a request refused from its head alone, whose answer is finished before
    /// any body is read. It shares its connection's storage, so `retire` lets go of it.
    func keep(_ head: HTTPRequestHead) {
        heldHead = head
    }

    /// Done with: its answer is sent and no phase reads it again (a migrating tenant's request,
    /// which the mirror reads after the answer, is not retired). Everything the request decided is
    /// forgotten here, as a new one would start, and what it held is let go now rather than when
    /// it is begun again: a head kept at a refusal above all, which shares its connection's storage,
    /// where the parser writes the next head and would otherwise find it shared and copy it, the
    /// body's document, whose member lists go back to the loop's pool, and the exchange, which
    /// holds the connection. An adopted head's storage becomes the spare (`adopt`).
    /// `GatewayRequestReuseTests` checks that a retired request begun again is a new one's equal,
    /// stored property by stored property.
    func retire() {
        if arrival.ownsHead && heldHead.bytes.capacity <= Self.maxSpareHeadBytes {
            swap(&spareHead, &heldHead)
        } else {
            heldHead = HTTPRequestHead()
        }
        arrival.client = nil
        arrival.state = context.state
        decidedRoute = .notFound
        credential = nil
        binding = nil
        limit = nil
        prepaidQuota = nil
        // Taken rather than read: a read of the property copied the document to hand its lists back.
        body.take()?.giveObjects(to: jsonObjects)
        exchange = nil
        device = nil
        problem = nil
        upstreamStatus = nil
        upstreamNanos = nil
        bytesIn = 0
        heldKey = nil
        requests.give(self)
    }

    var tenant: String? { credential?.tenant }
    /// The tenant's own route, once authentication named the tenant.
    var tenantRoute: TenantRoute? { binding?.route }
    /// The tenant's vendor, once authentication named the tenant.
    var vendor: Vendor? { tenantRoute?.vendor }

    /// The route as a template, for logs and metrics: `/devices`, `/devices/{id}` or `other`.
    var routeTemplate: Route.Template {
        switch route {
        case .upsertDevice, .bulkUpdate: .devices
        case .updateDevice: .device
        case .methodNotAllowed: head.path == "/devices" ? .devices : .device
        case .notFound: .other
        }
    }

    /// The operation as clients send it, method and route template (`PATCH /devices/{id}`): how a
    /// migration's report names what would break.
    var operationName: String { head.methodName + " " + routeTemplate.rawValue }

    /// The answer as it leaves: the rate-limit headers once the limit is known, gzip when the
    /// client takes it and it pays, the request counted and logged and its server span recorded.
    /// Every answer passes here once. It takes the response (`consuming`), so the headers added grow
    /// the response's own list rather than a copy of one its caller still holds.
    func finished(_ response: consuming HTTPResponse) -> HTTPResponse {
        if let held = heldKey {
            heldKey = nil
            if IdempotencyKey.keeps(status: response.status) {
                let type = response.headers.first { $0.name == "content-type" }?.value
                held.store.keep(held.key, fingerprint: held.fingerprint,
                                answer: IdempotentAnswer(status: response.status, contentType: type, body: response.body))
            } else {
                held.store.release(held.key, fingerprint: held.fingerprint)
            }
        }
        if let limit, !limit.isUnlimited {
            if response.encodedHeaders.capacity == 0 { response.encodedHeaders = byteArrays.take(capacity: 128) }
            limit.appendHeaderLines(to: &response.encodedHeaders)
        }
        compress(&response)
        let tenant = tenant
        metrics.record(.serverRequest(ServerRequestSample(
            method: head.method, route: routeTemplate, status: response.status, tenant: tenantRoute?.tenantLabel ?? 0, vendor: vendor,
            nanoseconds: context.loop.now &- arrived)))
        if let problem { metrics.record(.problem(problem, tenant: tenant)) }
        context.accessLog?.record(self, status: response.status, bytesOut: response.body.count)
        recordServerSpan(status: response.status)
        return response
    }

    /// A problem as the answer: its document, for this request's id.
    func finished(_ problem: Problem) -> HTTPResponse {
        self.problem = problem.code
        return finished(problem.response(requestID: requestID))
    }

    /// Gzip for a client that takes it, when the body is large enough to gain (API.md: 1 KiB). In
    /// place: an answer that stays as it is (nearly every one) is not copied on the way.
    private func compress(_ response: inout HTTPResponse) {
        guard response.body.count >= ContentNegotiation.minimumGzipBytes, ContentNegotiation.acceptsGzip(head) else { return }
        response.body = context.gzip.compress(response.body)
        response.headers.append(("content-encoding", "gzip"))
        response.headers.append(("vary", "accept-encoding"))
    }
}
