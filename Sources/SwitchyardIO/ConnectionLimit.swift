import Synchronization

/// The process-wide cap on open client connections, shared by every loop's listener.
///
/// One atomic counter: acquiring is a compare-and-swap, not a lock, so loops never wait on each
/// other. At the cap, listeners stop accepting (connections wait in the kernel's backlog) rather
/// than accepting and dropping.
public final class ConnectionLimit: Sendable {
    public let maximum: Int
    private let open = Atomic<Int>(0)

    public init(maximum: Int) {
        self.maximum = maximum
    }

    public var current: Int { open.load(ordering: .relaxed) }

    public func tryAcquire() -> Bool {
        var current = open.load(ordering: .relaxed)
        while current < maximum {
            let (exchanged, original) = open.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed
            )
            if exchanged { return true }
            current = original
        }
        return false
    }

    public func release() {
        open.subtract(1, ordering: .relaxed)
    }
}
