import SwitchyardHTTP
import SwitchyardIO
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Sends the loops' spans to the collector, OTLP/HTTP with JSON bodies, from an event loop of its
/// own with its own `UpstreamClient`: the request loops only hand a batch over (`submit`), so a
/// slow, absent or failing collector costs them nothing (API.md §6).
///
/// Everything is bounded: at most `maxQueuedSpans` wait here (a loop's body that does not fit is
/// dropped whole, counted), one export is in flight at a time: one loop's body as the loop wrote
/// it, with at most `batchSize` spans (`SpanRecorder`), and it
/// ends within `UpstreamClient`'s deadline (`exportLimits`). A failed export (a refused
/// connection, a timeout, any answer but 2xx) is counted and its spans dropped, never retried:
/// a retry would hold the queue while new spans keep arriving. The log says once when exports
/// start failing and once when they work again.
///
/// `@unchecked Sendable`: `queue`, `queuedCount`, `sending` and `failing` are touched on `loop` only (the
/// client's completions and `execute` tasks run there); the counters are atomics; the rest is
/// immutable, but for `thread`, which is under its mutex.
final class SpanExporter: @unchecked Sendable {
    /// Spans per export (and per hand-over from a loop).
    static let batchSize = 512
    static let maxQueuedSpans = 4 * batchSize
    /// Connect within 2 s, the whole export within 5 s.
    static let exportLimits = UpstreamLimits(connectTimeoutSeconds: 2, timeoutSeconds: 5, maxResponseBodyBytes: 65_536,
                                             maxIdlePerKey: 1)

    let collector: UpstreamTarget
    private let path: String
    private let loop: EventLoop
    private let client: UpstreamClient
    private let thread = Mutex<EventLoopThread?>(nil)
    private let log: (@Sendable (String) -> Void)?

    let exported = Atomic<Int>(0)
    let dropped = Atomic<Int>(0)
    let failedExports = Atomic<Int>(0)
    /// Handed over and not yet exported or dropped: queued, in flight, or in a task on its way.
    let pending = Atomic<Int>(0)
    private let running = Atomic<Bool>(false)

    private var queue: [EncodedSpans] = []
    private var queuedCount = 0
    private var sending = false
    private var failing = false

    /// Prepares the collector's target (a name is resolved now, and again with the vendors'
    /// names, `UpstreamRefresher`) and the loop; nothing runs until `start`.
    init(settings: TracingSettings, loopIndex: Int, log: (@Sendable (String) -> Void)?) throws {
        let endpoint = settings.endpoint
        collector = try UpstreamTarget(unresolvedScheme: endpoint.scheme == .https ? .https : .http, host: endpoint.host,
                                       port: endpoint.port)
        if let failure = collector.refreshAddresses() {
            log?("trace collector \(endpoint): \(failure.description); spans are dropped until it resolves")
        }
        path = endpoint.pathPrefix
        loop = try EventLoop(index: loopIndex)
        client = UpstreamClient(loop: loop, limits: Self.exportLimits)
        self.log = log
    }

    func start() {
        running.store(true, ordering: .releasing)
        let started = loop.start(name: "switchyard-traces")
        thread.withLock { $0 = started }
    }

    /// From a request loop: a body of spans joins the queue on the exporter's loop. Costs a lock and an
    /// eventfd write per batch, never a wait; dropped (counted) when the exporter is not running.
    func submit(_ spans: EncodedSpans) {
        guard running.load(ordering: .acquiring) else {
            dropped.add(spans.count, ordering: .relaxed)
            return
        }
        pending.add(spans.count, ordering: .relaxed)
        loop.execute { [self] _ in enqueue(spans) }
    }

    /// Waits up to `timeoutSeconds` for what was handed over to be exported (or dropped), then
    /// stops the loop; what is left is counted as dropped. From the thread that stops the gateway.
    func shutdown(timeoutSeconds: Double) {
        guard let started = thread.withLock({ $0 }) else { return }
        let deadline = MonotonicClock.now() + MonotonicClock.nanoseconds(seconds: timeoutSeconds)
        while pending.load(ordering: .relaxed) > 0 && MonotonicClock.now() < deadline { usleep(10_000) }
        running.store(false, ordering: .releasing)
        loop.stop()
        started.join()
        dropped.add(pending.exchange(0, ordering: .relaxed), ordering: .relaxed)
    }

    // MARK: On the exporter's loop

    private func enqueue(_ spans: EncodedSpans) {
        guard queuedCount + spans.count <= Self.maxQueuedSpans else { return discard(spans.count) }
        queue.append(spans)
        queuedCount += spans.count
        sendNext()
    }

    private func sendNext() {
        guard !sending, !queue.isEmpty else { return }
        let spans = queue.removeFirst()
        let count = spans.count
        queuedCount -= count
        sending = true
        let request = UpstreamRequest(method: .post, path: path, headers: [("content-type", "application/json")], body: spans.body)
        client.send(request, to: collector) { [self] result in
            sending = false
            switch result {
            case .success(let response) where (200..<300).contains(response.status):
                exported.add(count, ordering: .relaxed)
                pending.subtract(count, ordering: .relaxed)
                if failing {
                    failing = false
                    log?("trace export to \(collector) works again")
                }
            case .success(let response):
                failed(count, because: "the collector answered \(response.status)")
            case .failure(let error):
                failed(count, because: error.description)
            }
            sendNext()
        }
    }

    private func failed(_ count: Int, because reason: String) {
        failedExports.add(1, ordering: .relaxed)
        discard(count)
        if !failing {
            failing = true
            log?("trace export to \(collector) failed: \(reason); spans are dropped until it works again")
        }
    }

    private func discard(_ count: Int) {
        dropped.add(count, ordering: .relaxed)
        pending.subtract(count, ordering: .relaxed)
    }
}
