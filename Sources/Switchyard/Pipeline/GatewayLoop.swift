import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON

/// What one event loop owns for the gateway: the configuration's state as this loop sees it, its
/// token cache, its upstream pool, gzip streams, trace ids, metric events, spans, access log,
/// rate-limit store connection and mirror queue. Used on its own loop only, so none of it takes a lock.
final class GatewayLoop {
    /// The loop everything here belongs to; strong like `Channel.loop`, lent to each call without
    /// a retain.
    let loop: EventLoop
    /// Every loop, for a token fetch that ends here to wake the requests waiting on the others.
    let loops: [EventLoop]
    /// Replaced on reload, on this loop, between requests (`Gateway.apply`).
    var state: GatewayState
    let cache = AuthenticationCache()
    let upstream: any UpstreamTransport
    let gzip = GzipEncoder()
    /// For `Content-Encoding: gzip` request bodies: one inflate stream per loop, reset per body.
    let gunzip = GzipDecoder()
    let traceIDs = RequestIDGenerator()
    let metrics: LoopMetrics
    let accessLog: AccessLog?
    /// This loop's connection to the shared rate-limit store (`rateLimit.store: redis://…`), for
    /// the tenants' limits and, on the same connection, their vendor quotas.
    let store: RedisRateLimitStore?
    let quotaStore: RedisRateLimitStore?
    /// Vendor calls waiting for the slot their quota reserved.
    let delayedCalls: DelayedCalls
    /// Slots of the tenants' `vendorConcurrency`, on the store or in this process.
    let vendorSlots: VendorSlots
    /// Where `Idempotency-Key`s are kept (`idempotency.store`), and the process's own store, for
    /// `onStoreFailure: local` while Redis is down (the same object with a memory store).
    let idempotency: any IdempotencyStore
    let localIdempotency: MemoryIdempotencyStore
    /// This loop's finished spans, when tracing is on (`observability.tracing`).
    let spans: SpanRecorder?
    /// Migrating tenants' changes on their way to the other vendor (API.md §8).
    let mirror: MirrorQueue
    /// The lists the vendor phase of every request builds (`DeviceCall`: each call's changes, and
    /// the results handed on), reused as the loop's byte arrays are (`ArrayPool`); a large bulk
    /// update's are not kept.
    let changeLists = ArrayPool<DeviceChange>(maxFree: 64, maxCapacity: 128)
    let resultLists = ArrayPool<DeviceResult>(maxFree: 64, maxCapacity: 128)
    /// The member lists of small JSON documents' objects: a request body's, handed back when its
    /// answer is finished, and a vendor answer's, handed back once the adapter has read it.
    let jsonObjects: JSONObject.Pool
    /// What a request is read into (its items and documents) and what a vendor's answer is read
    /// into (its JSON and confirmed documents), one pool of document fields for both: handed back
    /// when the vendor call is done with them (`reclaim`, `DeviceCall.upstreamCall`).
    let requestLists: DeviceRequest.Lists
    let answerLists: AnswerLists
    /// Requests whose answers were sent, begun again for the next heads (`GatewayRequest.begin`):
    /// as many as a loop has in flight at once, up to 128.
    let requests = ObjectPool<GatewayRequest>(maxFree: 128)
    /// Vendor calls their answers completed, begun again for the next requests (`DeviceCall.begin`).
    let calls = ObjectPool<DeviceCall>(maxFree: 128)

    init(loop: EventLoop, loops: [EventLoop], state: GatewayState, upstream: any UpstreamTransport,
         metrics: LoopMetrics, accessLog: AccessLog?, store: RedisRateLimitStore?, spans: SpanRecorder?,
         idempotency: (store: any IdempotencyStore, local: MemoryIdempotencyStore), processID: String) throws {
        self.loop = loop
        self.loops = loops
        jsonObjects = JSONObject.pool()
        let documents = DeviceDocument.pool()
        requestLists = DeviceRequest.Lists(items: ArrayPool(maxFree: 64, maxCapacity: 128), documents: documents)
        answerLists = AnswerLists(objects: jsonObjects, documents: documents)
        self.state = state
        self.upstream = upstream
        self.metrics = metrics
        self.accessLog = accessLog
        self.store = store
        quotaStore = store.map { RedisRateLimitStore(client: $0.client, keyPrefix: RedisRateLimitStore.vendorKeyPrefix) }
        delayedCalls = try DelayedCalls(loop: loop)
        vendorSlots = VendorSlots(loop: loop, loops: loops, store: store.map { RedisConcurrencyStore(client: $0.client) },
                                  delayedCalls: delayedCalls, processID: processID)
        self.spans = spans
        mirror = MirrorQueue(loop: loop, metrics: metrics)
        self.idempotency = idempotency.store
        localIdempotency = idempotency.local
    }

    /// Takes back the lists a vendor phase read and wrote once nothing else holds them: the
    /// documents the vendor confirmed into the documents' pool, then its item and result lists,
    /// emptied in place and moved to their pools (leaving `items` and `results` empty), so that the
    /// pool is the last holder of every document they held (the changes' own went back with their
    /// batch, `DeviceCall.upstreamCall`) and a document built in it next is built in place. The
    /// results are popped: a document moved out of its list goes to the pool without a retain, and
    /// leaves nothing behind to release.
    func reclaim(items: inout [DeviceRequest.Item], results: inout [DeviceResult]) {
        while let result = results.popLast() {
            if case .accepted(_, var confirmed) = result { confirmed.give(to: requestLists.documents) }
        }
        requestLists.items.recycle(&items)
        resultLists.recycle(&results)
    }

    /// Closes the upstream pool and the store's connection, flushes the log, lets go of the
    /// retired requests and calls (each points back here); for shutdown.
    func close() {
        requests.removeAll()
        calls.removeAll()
        upstream.shutdown()
        accessLog?.flush()
        store?.client.close()
        delayedCalls.close()
    }
}
