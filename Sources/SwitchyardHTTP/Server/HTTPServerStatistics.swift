import Synchronization

/// Counters of one `HTTPServer`, shared by its loops: relaxed atomics, read by the admin
/// listener's metrics.
public final class HTTPServerStatistics: Sendable {
    private let rejections = Atomic<Int>(0)
    private let timeouts = Atomic<Int>(0)
    private let accepted = Atomic<Int>(0)

    public init() {}

    func recordRejection() { rejections.add(1, ordering: .relaxed) }
    func recordTimeout() { timeouts.add(1, ordering: .relaxed) }
    func recordAccept() { accepted.add(1, ordering: .relaxed) }

    /// Requests refused because they could not be parsed (400, 413, 431 before dispatch).
    public var rejectionCount: Int { rejections.load(ordering: .relaxed) }
    /// Connections closed by the header, body or idle timeout.
    public var timeoutCount: Int { timeouts.load(ordering: .relaxed) }
    public var acceptedCount: Int { accepted.load(ordering: .relaxed) }
}
