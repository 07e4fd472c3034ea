import Synchronization

/// The memory that unfinished request bodies may hold across a server's loops
/// (`limits.maxPendingBodyBytes`, API.md §2).
///
/// Without it, a few hundred clients each sending most of a 1 MiB body and then stalling hold
/// that much memory for as long as the body timeout allows. A body framed by `Content-Length`
/// reserves its declared length when its head is read, so it can't be admitted and then grow; a
/// chunked body reserves what has arrived as it arrives. Past the budget a *new* body is refused
/// (503 `overloaded`); bodies already admitted go on, so nobody's upload is cut halfway. The
/// reservation ends when the body is complete (it belongs to the request then) or its connection
/// closes.
public final class PendingBodyBudget: Sendable {
    public let maximum: Int
    private let held = Atomic<Int>(0)

    public init(maximum: Int) {
        precondition(maximum > 0, "a budget of nothing would refuse every body")
        self.maximum = maximum
    }

    /// Bytes reserved by bodies being read now.
    public var current: Int { held.load(ordering: .relaxed) }

    /// Admits a new body of `bytes` declared bytes (0 for a chunked body, whose size is unknown)
    /// and reserves them, unless the budget is already spent or they would overspend it.
    func tryReserve(_ bytes: Int) -> Bool {
        var current = held.load(ordering: .relaxed)
        while current < maximum && bytes <= maximum - current {
            let (exchanged, original) = held.compareExchange(expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// More bytes of an admitted chunked body: counted, never refused.
    func grow(by bytes: Int) {
        held.add(bytes, ordering: .relaxed)
    }

    func release(_ bytes: Int) {
        let before = held.subtract(bytes, ordering: .relaxed).oldValue
        assert(before >= bytes, "released more body bytes than were reserved")
    }
}
