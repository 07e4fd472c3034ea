import Synchronization

/// Counters of one `HTTPServer`, shared by its loops: relaxed atomics, read by the admin
/// listener's metrics.
public final class HTTPServerStatistics: Sendable {
    private let rejections = Atomic<Int>(0)
    private let timeouts = Atomic<Int>(0)
    private let accepted = Atomic<Int>(0)
    private let handshakesFull = Atomic<Int>(0)
    private let handshakesResumed = Atomic<Int>(0)
    private let handshakesFailed = Atomic<Int>(0)

    public init() {}

    func recordHandshake(resumed: Bool) {
        if resumed { handshakesResumed.add(1, ordering: .relaxed) } else { handshakesFull.add(1, ordering: .relaxed) }
    }
    func recordHandshakeFailure() { handshakesFailed.add(1, ordering: .relaxed) }

    func recordRejection() { rejections.add(1, ordering: .relaxed) }
    func recordTimeout() { timeouts.add(1, ordering: .relaxed) }
    func recordAccept() { accepted.add(1, ordering: .relaxed) }

    /// Requests refused because they could not be parsed (400, 413, 431 before dispatch).
    public var rejectionCount: Int { rejections.load(ordering: .relaxed) }
    /// Connections closed by the header, body or idle timeout.
    public var timeoutCount: Int { timeouts.load(ordering: .relaxed) }
    public var acceptedCount: Int { accepted.load(ordering: .relaxed) }
    /// TLS handshakes that finished, with a full key exchange or by resuming a session.
    public var fullHandshakeCount: Int { handshakesFull.load(ordering: .relaxed) }
    public var resumedHandshakeCount: Int { handshakesResumed.load(ordering: .relaxed) }
    /// TLS connections closed before their handshake finished: refused, broken, or timed out.
    public var failedHandshakeCount: Int { handshakesFailed.load(ordering: .relaxed) }
}
