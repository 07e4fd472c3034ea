/// The generic cell rate algorithm as one pure step: a `RatePolicy` turned into integer nanoseconds,
/// and the decision for one request given the stored theoretical arrival time (TAT).
///
/// - Emission interval `T = ceil(perSeconds · 10⁹ / requests)` ns: the sustained spacing of requests.
///   Rounded up so the limiter never admits more than configured; the error is under 1 ns a request.
/// - Burst tolerance `τ = (burst − 1) · T` ns, capped at 2⁶² (reached only by absurd `burst`s at one
///   request a day), so exactly `burst` requests pass from idle.
/// - State: the TAT, monotonic nanoseconds. 0 (or anything ≤ now) means idle.
///
/// A request at `now` is admitted when `now ≥ TAT − τ`; the TAT becomes `max(TAT, now) + T`.
/// A rejected request leaves the TAT alone: only admitted requests count, so a client hammering while
/// limited does not push its own recovery back.
///
/// Reported with each decision (the RateLimit headers, following redis-cell's GCRA conventions):
/// - `remaining`: how many more requests would be admitted at this same instant,
///   `max(0, floor((τ − (TAT′ − now)) / T) + 1)` with `TAT′` the TAT after the decision;
///   `burst − 1` after the first request from idle, 0 after the burst is spent and on every rejection.
/// - `resetSeconds`: `ceil((TAT′ − now) / 10⁹)`, whole seconds until the limiter is idle again
///   (the full burst available); 0 when it already is.
/// - `retryAfterSeconds` (rejections only): `ceil((TAT − τ − now) / 10⁹)`, at least 1 — the wait after
///   which the next request is admitted.
///
/// Waiting (a vendor quota's `maxWaitSeconds`, API.md §7): a request that would be refused but whose
/// slot comes within `maxWait` is admitted *for later*: it reserves that slot (the TAT moves on by `T`
/// as for any admission) and is told to wait `TAT − τ − now` before it goes. Reservations are handed
/// out in arrival order, one `T` apart, so the waiters form a queue in the TAT itself, never longer
/// than `maxWait / T + 1`, and a request the queue could not serve in time is refused at once.
public struct GCRA: Sendable, Equatable {
    /// `T`, nanoseconds; at least 1.
    public let emissionInterval: UInt64
    /// `τ`, nanoseconds.
    public let burstTolerance: UInt64

    static let nanosecondsPerSecond: UInt64 = 1_000_000_000
    static let toleranceCap: UInt64 = 1 << 62

    public init(emissionInterval: UInt64, burstTolerance: UInt64) {
        precondition(emissionInterval > 0, "GCRA emission interval must be positive")
        self.emissionInterval = emissionInterval
        self.burstTolerance = min(burstTolerance, Self.toleranceCap)
    }

    /// From a validated policy (`requests`, `perSeconds`, `burst` all ≥ 1).
    public init(_ policy: RatePolicy) {
        precondition(policy.requests > 0 && policy.perSeconds > 0 && policy.burst > 0, "invalid RatePolicy \(policy)")
        let window = UInt64(policy.perSeconds) * Self.nanosecondsPerSecond  // ≤ 8.64e13
        let requests = UInt64(policy.requests)
        let interval = (window + requests - 1) / requests
        let (tolerance, overflow) = UInt64(policy.burst - 1).multipliedReportingOverflow(by: interval)
        self.init(emissionInterval: interval, burstTolerance: overflow ? Self.toleranceCap : tolerance)
    }

    /// One decision. `now` and `tat` are monotonic nanoseconds (below 2⁶², about 146 years of uptime).
    public struct Step: Sendable, Equatable {
        public var admitted: Bool
        /// The TAT to store; equal to the input TAT when rejected.
        public var newTAT: UInt64
        public var remaining: Int
        public var resetSeconds: Int
        /// Whole seconds, ≥ 1, when rejected; nil when admitted.
        public var retryAfterSeconds: Int?
        /// Admitted for later: nanoseconds to wait before going (0: go now).
        public var delay: UInt64

        public init(admitted: Bool, newTAT: UInt64, remaining: Int, resetSeconds: Int, retryAfterSeconds: Int?,
                    delay: UInt64 = 0) {
            self.admitted = admitted
            self.newTAT = newTAT
            self.remaining = remaining
            self.resetSeconds = resetSeconds
            self.retryAfterSeconds = retryAfterSeconds
            self.delay = delay
        }
    }

    static func ceilSeconds(_ nanoseconds: UInt64) -> Int {
        Int((nanoseconds + 999_999_999) / 1_000_000_000)
    }

    /// The pure step; see the type's documentation for every quantity. `maxWait` (nanoseconds)
    /// admits for later a request whose slot comes within it.
    public func decide(tat: UInt64, now: UInt64, maxWait: UInt64 = 0) -> Step {
        let allowAt = tat > burstTolerance ? tat - burstTolerance : 0
        if now < allowAt, allowAt - now <= maxWait {
            let newTAT = tat + emissionInterval
            return Step(admitted: true, newTAT: newTAT, remaining: 0, resetSeconds: Self.ceilSeconds(newTAT - now),
                        retryAfterSeconds: nil, delay: allowAt - now)
        }
        if now < allowAt {
            return Step(admitted: false, newTAT: tat, remaining: 0,
                        resetSeconds: Self.ceilSeconds(tat - now),
                        retryAfterSeconds: max(1, Self.ceilSeconds(allowAt - now)))
        }
        let newTAT = max(tat, now) + emissionInterval
        let ahead = newTAT - now  // in T...τ+T
        let remaining = ahead > burstTolerance ? 0 : Int((burstTolerance - ahead) / emissionInterval) + 1
        return Step(admitted: true, newTAT: newTAT, remaining: remaining,
                    resetSeconds: Self.ceilSeconds(ahead), retryAfterSeconds: nil)
    }

    /// The static form: `GCRA(policy).decide(tat:now:)`.
    public static func decide(_ policy: RatePolicy, tat: UInt64, now: UInt64) -> Step {
        GCRA(policy).decide(tat: tat, now: now)
    }
}
