/// "At most `limit` calls in any `window`", per key (an account, a tenant), as the vendors
/// describe their limits. Only admitted calls count, so a client that backs off recovers when
/// the oldest admitted call leaves the window.
///
/// A log of admission times per key, at most `limit` long: exact, and small for the vendors'
/// limits (5 per second, 180 per minute).
struct SlidingWindowLimiter {
    let limit: Int
    /// The window in monotonic nanoseconds.
    let window: UInt64
    private var admitted: [String: [UInt64]] = [:]

    init(limit: Int, windowSeconds: Double) {
        precondition(limit > 0 && windowSeconds > 0)
        self.limit = limit
        self.window = UInt64(windowSeconds * 1_000_000_000)
    }

    /// Counts the call and returns true, or returns false without counting it.
    mutating func admit(_ key: String, now: UInt64) -> Bool {
        var log = admitted[key] ?? []
        let horizon = now >= window ? now - window : 0
        if let firstKept = log.firstIndex(where: { $0 > horizon }) {
            log.removeFirst(firstKept)
        } else {
            log.removeAll()
        }
        guard log.count < limit else {
            admitted[key] = log
            return false
        }
        log.append(now)
        admitted[key] = log
        return true
    }

    mutating func reset() {
        admitted.removeAll()
    }
}
