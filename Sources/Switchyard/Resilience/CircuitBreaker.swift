import Synchronization

/// One tenant's circuit breaker in this process (API.md §7, `CircuitBreakerSettings`), shared by
/// the event loops.
///
/// - **Closed**: calls go. Each outcome is counted; a failure (transport failure, timeout, vendor
///   5xx) sums the window and opens the circuit when at least `minimumCalls` calls were made in it
///   and `failureRatio` of them failed.
/// - **Open** for `openSeconds`: calls are refused at once (503 `upstream_unavailable`,
///   `Retry-After` the seconds left), and no vendor call is made.
/// - **Half-open** after that: the first call to ask goes as a probe, the others are refused; the
///   next outcome decides: a success closes the circuit (the window starts afresh), a failure opens
///   it again. A probe that never reports (its token fetch failed, its loop stopped) is replaced by
///   another after `probeTimeout`.
///
/// Cheap on the happy path: each loop counts into a window of its own (one-second buckets that only
/// it writes, each one atomic word), every call reads the one shared state word, which changes only
/// on a transition, and the loops' windows are summed only when a failure is counted.
///
/// `@unchecked Sendable` for the windows' storage, a pointer the compiler cannot check: every word
/// in it is an `Atomic`, allocated with the breaker and freed with it.
public final class CircuitBreaker: @unchecked Sendable {
    public enum State: Int, Sendable {
        case closed = 0, halfOpen = 1, open = 2
    }

    /// What a call may do now.
    enum Admission: Equatable {
        case go
        case refuse(retryAfterSeconds: Int)
    }

    public let tenant: String
    let settings: CircuitBreakerSettings
    private let probeTimeout: UInt64
    private let state = Atomic<Int>(State.closed.rawValue)
    /// Open: until when (monotonic nanoseconds). Half-open: when the probe went.
    private let since = Atomic<UInt64>(0)
    /// Monotonic second from which calls count: the window starts afresh when the circuit closes.
    private let countsFrom = Atomic<UInt64>(0)
    /// Every loop's window, one after another, in one allocation of atomic words: a loop's window
    /// is reached through the pointer, where one object a window (and one a bucket) in an array was
    /// retained and released around every count. Freed by `deinit`, and read only in the breaker's
    /// own methods, while the breaker is alive (this module ends lifetimes at their last use).
    private let buckets: UnsafeMutablePointer<Atomic<UInt64>>
    private let loopCount: Int
    private let transition: @Sendable (String) -> Void

    /// `loopCount` windows, one per event loop; `transition` is told each change of state, for the log.
    init(tenant: String, settings: CircuitBreakerSettings, loopCount: Int, probeTimeoutSeconds: Double,
         transition: @escaping @Sendable (String) -> Void) {
        self.tenant = tenant
        self.settings = settings
        probeTimeout = UInt64(probeTimeoutSeconds * 1e9)
        precondition(settings.windowSeconds >= 1, "a circuit's window is at least a second")
        self.loopCount = max(1, loopCount)
        let count = self.loopCount * settings.windowSeconds
        buckets = .allocate(capacity: count)
        for index in 0..<count { (buckets + index).initialize(to: Atomic(0)) }
        self.transition = transition
    }

    deinit {
        buckets.deinitialize(count: loopCount * settings.windowSeconds)
        buckets.deallocate()
    }

    /// The calls and failures every loop counted in the seconds `from…through`.
    func counts(from: UInt64, through: UInt64) -> (calls: Int, failures: Int) {
        var calls = 0, failures = 0
        for loop in 0..<loopCount {
            let counted = window(loop).sum(from: from, through: through)
            calls += counted.calls
            failures += counted.failures
        }
        return (calls, failures)
    }

    /// Loop `loop`'s window.
    private func window(_ loop: Int) -> Window {
        Window(buckets: buckets + loop * settings.windowSeconds, seconds: settings.windowSeconds)
    }

    public var currentState: State { State(rawValue: state.load(ordering: .relaxed)) ?? .closed }

    /// Whether a call may go at `now` (monotonic nanoseconds).
    func admit(now: UInt64) -> Admission {
        switch currentState {
        case .closed:
            return .go
        case .open:
            let until = since.load(ordering: .relaxed)
            if now < until { return .refuse(retryAfterSeconds: Self.ceilSeconds(until - now)) }
            // The first to find the open time over sends the probe.
            return becomeHalfOpen(from: .open, now: now) ? .go : .refuse(retryAfterSeconds: 1)
        case .halfOpen:
            if now &- since.load(ordering: .relaxed) > probeTimeout, becomeHalfOpen(from: .halfOpen, now: now) { return .go }
            return .refuse(retryAfterSeconds: 1)
        }
    }

    /// A vendor call's outcome, on loop `loop`: `failed` for a transport failure, a timeout or a vendor 5xx.
    func record(failed: Bool, loop: Int, now: UInt64) {
        let second = now / 1_000_000_000
        window(loop % loopCount).count(failed: failed, second: second)
        switch currentState {
        case .halfOpen:
            if failed { open(now: now, from: .halfOpen) } else { close(now: now) }
        case .closed:
            guard failed else { return }
            let from = max(countsFrom.load(ordering: .relaxed), second &- UInt64(settings.windowSeconds) &+ 1)
            let (calls, failures) = counts(from: from, through: second)
            if calls >= settings.minimumCalls, Double(failures) >= settings.failureRatio * Double(calls) {
                open(now: now, from: .closed, calls: calls, failures: failures)
            }
        case .open:
            break
        }
    }

    private func becomeHalfOpen(from old: State, now: UInt64) -> Bool {
        guard state.compareExchange(expected: old.rawValue, desired: State.halfOpen.rawValue, ordering: .relaxed).exchanged
        else { return false }
        since.store(now, ordering: .relaxed)
        if old == .open { transition("circuit of tenant \(tenant) half-open: one probe call goes to the vendor") }
        return true
    }

    private func open(now: UInt64, from old: State, calls: Int = 0, failures: Int = 0) {
        // The open time is set before the state, so a loop that sees "open" never reads an old time.
        since.store(now &+ UInt64(settings.openSeconds * 1e9), ordering: .relaxed)
        guard state.compareExchange(expected: old.rawValue, desired: State.open.rawValue, ordering: .releasing).exchanged
        else { return }
        let why = old == .halfOpen ? "the probe call failed" : "\(failures) of the last \(calls) calls failed"
        transition("circuit of tenant \(tenant) open for \(settings.openSeconds) s: \(why)")
    }

    private func close(now: UInt64) {
        guard state.compareExchange(expected: State.halfOpen.rawValue, desired: State.closed.rawValue, ordering: .relaxed).exchanged
        else { return }
        countsFrom.store(now / 1_000_000_000 &+ 1, ordering: .relaxed)
        transition("circuit of tenant \(tenant) closed: the probe call succeeded")
    }

    static func ceilSeconds(_ nanoseconds: UInt64) -> Int {
        max(1, Int((nanoseconds + 999_999_999) / 1_000_000_000))
    }

    /// One loop's calls of the last `seconds` seconds: a ring of one-second buckets that only that
    /// loop writes, each one word (second: 24 bits, calls and failures: 20 bits each, saturating),
    /// so another loop summing it reads each bucket whole without a lock. A view of the breaker's
    /// words, which outlive it.
    private struct Window {
        let buckets: UnsafeMutablePointer<Atomic<UInt64>>
        let seconds: Int

        private static let countMask: UInt64 = (1 << 20) - 1
        private static let secondMask: UInt64 = (1 << 24) - 1

        func count(failed: Bool, second: UInt64) {
            let bucket = buckets + Int(second % UInt64(seconds))
            var word = bucket.pointee.load(ordering: .relaxed)
            var calls = word >> 20 & Self.countMask
            var failures = word & Self.countMask
            if word >> 40 != second & Self.secondMask || word == 0 {
                (calls, failures) = (0, 0)
            }
            calls = min(calls + 1, Self.countMask)
            if failed { failures = min(failures + 1, Self.countMask) }
            word = (second & Self.secondMask) << 40 | calls << 20 | failures
            bucket.pointee.store(word, ordering: .relaxed)
        }

        /// Calls and failures of the seconds `from…through`.
        func sum(from: UInt64, through: UInt64) -> (calls: Int, failures: Int) {
            guard from <= through else { return (0, 0) }
            var calls = 0, failures = 0
            for second in from...through {
                let word = buckets[Int(second % UInt64(seconds))].load(ordering: .relaxed)
                guard word != 0, word >> 40 == second & Self.secondMask else { continue }
                calls += Int(word >> 20 & Self.countMask)
                failures += Int(word & Self.countMask)
            }
            return (calls, failures)
        }
    }
}
