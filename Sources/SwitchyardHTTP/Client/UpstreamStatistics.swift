import Synchronization

/// Counters of one `UpstreamClient` (or several, when they are given the same instance): relaxed
/// atomics, so tests and the metrics endpoint can read them from any thread.
public final class UpstreamStatistics: Sendable {
    private let requests = Atomic<Int>(0)
    private let responses = Atomic<Int>(0)
    private let opened = Atomic<Int>(0)
    private let reused = Atomic<Int>(0)
    private let retries = Atomic<Int>(0)
    private let retriesRefused = Atomic<Int>(0)
    private let unavailable = Atomic<Int>(0)
    private let timeouts = Atomic<Int>(0)
    private let malformed = Atomic<Int>(0)
    private let invalid = Atomic<Int>(0)

    public init() {}

    func recordRequest() { requests.add(1, ordering: .relaxed) }
    func recordResponse() { responses.add(1, ordering: .relaxed) }
    func recordConnectionOpened() { opened.add(1, ordering: .relaxed) }
    func recordConnectionReused() { reused.add(1, ordering: .relaxed) }
    func recordRetry() { retries.add(1, ordering: .relaxed) }
    func recordRetryRefused() { retriesRefused.add(1, ordering: .relaxed) }

    func recordFailure(_ kind: UpstreamError.Kind) {
        switch kind {
        case .unavailable: unavailable.add(1, ordering: .relaxed)
        case .timeout: timeouts.add(1, ordering: .relaxed)
        case .malformed: malformed.add(1, ordering: .relaxed)
        case .invalidRequest: invalid.add(1, ordering: .relaxed)
        }
    }

    /// Calls passed to `send`.
    public var requestCount: Int { requests.load(ordering: .relaxed) }
    /// Calls that ended with a response (any status, 5xx included).
    public var responseCount: Int { responses.load(ordering: .relaxed) }
    /// New connections started (successful or not).
    public var connectionsOpened: Int { opened.load(ordering: .relaxed) }
    /// Calls sent on a pooled connection.
    public var connectionsReused: Int { reused.load(ordering: .relaxed) }
    /// Idempotent calls sent a second time after a reused connection failed before answering.
    public var retryCount: Int { retries.load(ordering: .relaxed) }
    /// Calls that would have been retried but for the retry budget.
    public var retryRefusedCount: Int { retriesRefused.load(ordering: .relaxed) }

    /// Calls that ended with an `UpstreamError` of `kind`.
    public func failures(_ kind: UpstreamError.Kind) -> Int {
        switch kind {
        case .unavailable: unavailable.load(ordering: .relaxed)
        case .timeout: timeouts.load(ordering: .relaxed)
        case .malformed: malformed.load(ordering: .relaxed)
        case .invalidRequest: invalid.load(ordering: .relaxed)
        }
    }
}
