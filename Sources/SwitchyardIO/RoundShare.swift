/// What one handler may do in one round of its loop (one `epoll_wait` and the work after it) before
/// it yields to the others (`EventLoop.yield`): without a share, a peer that keeps sending can keep
/// the loop's thread from every other connection for as long as it likes.
///
/// The round is told by the loop's clock reading (`EventLoop.now`), which is new each round, so
/// starting a round costs the share a comparison, not a call from the loop.
public struct RoundShare {
    public let limit: Int
    private var used = 0
    private var round: UInt64 = 0

    public init(limit: Int) {
        precondition(limit > 0, "a share of nothing would never let its handler act")
        self.limit = limit
    }

    /// Takes one use of the round that began at `now`; false when the round's share is used up.
    public mutating func take(at now: UInt64) -> Bool {
        if now != round {
            round = now
            used = 0
        }
        guard used < limit else { return false }
        used += 1
        return true
    }
}
