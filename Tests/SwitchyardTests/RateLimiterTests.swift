import Dispatch
import Synchronization
import XCTest
@testable import Switchyard

final class RateLimiterTests: XCTestCase {
    private let second: UInt64 = 1_000_000_000
    /// A monotonic reading well after boot, so the idle TAT (0) is far in the past.
    private let start: UInt64 = 5_000 * 1_000_000_000

    private func headerDictionary(_ decision: RateLimitDecision) -> [String: String] {
        Dictionary(uniqueKeysWithValues: decision.headers.map { ($0.name, $0.value) })
    }

    // MARK: GCRA, the pure step

    func testParametersFromPolicy() {
        let gcra = GCRA(RatePolicy(requests: 600, perSeconds: 60, burst: 50))
        XCTAssertEqual(gcra.emissionInterval, 100_000_000)
        XCTAssertEqual(gcra.burstTolerance, 49 * 100_000_000)
        // Not a whole number of nanoseconds: rounded up, never over-admitting.
        XCTAssertEqual(GCRA(RatePolicy(requests: 3, perSeconds: 1)).emissionInterval, 333_333_334)
        // burst defaults to requests.
        XCTAssertEqual(GCRA(RatePolicy(requests: 10, perSeconds: 1)).burstTolerance, 9 * 100_000_000)
        // An absurd burst tolerance is capped instead of overflowing.
        let huge = GCRA(RatePolicy(requests: 1, perSeconds: 86_400, burst: 1_000_000))
        XCTAssertEqual(huge.burstTolerance, GCRA.toleranceCap)
        XCTAssertTrue(huge.decide(tat: 0, now: start).admitted)
    }

    func testStepFromIdleAndWhenSpent() {
        let gcra = GCRA(RatePolicy(requests: 10, perSeconds: 1, burst: 3))  // T = 0.1 s, τ = 0.2 s
        var step = gcra.decide(tat: 0, now: start)
        XCTAssertEqual(step, GCRA.Step(admitted: true, newTAT: start + 100_000_000, remaining: 2,
                                       resetSeconds: 1, retryAfterSeconds: nil))
        step = gcra.decide(tat: step.newTAT, now: start)
        XCTAssertEqual(step.remaining, 1)
        step = gcra.decide(tat: step.newTAT, now: start)
        XCTAssertEqual(step.remaining, 0)
        XCTAssertEqual(step.newTAT, start + 300_000_000)
        let refused = gcra.decide(tat: step.newTAT, now: start)
        XCTAssertEqual(refused, GCRA.Step(admitted: false, newTAT: start + 300_000_000, remaining: 0,
                                          resetSeconds: 1, retryAfterSeconds: 1))
        // Exactly at TAT − τ the next one passes.
        XCTAssertTrue(gcra.decide(tat: step.newTAT, now: start + 100_000_000).admitted)
        XCTAssertFalse(gcra.decide(tat: step.newTAT, now: start + 99_999_999).admitted)
        XCTAssertEqual(GCRA.decide(RatePolicy(requests: 10, perSeconds: 1, burst: 3), tat: 0, now: start), gcra.decide(tat: 0, now: start))
    }

    /// A vendor quota's wait: a request whose slot comes within `maxWait` is admitted for later,
    /// reserving the slot (the TAT moves on), and the next one gets the slot after; one whose slot
    /// is beyond the wait is refused and reserves nothing.
    func testWaitingReservesSlotsInArrivalOrderAndRefusesBeyondTheWait() {
        let gcra = GCRA(RatePolicy(requests: 2, perSeconds: 1, burst: 1))  // T = 0.5 s, τ = 0
        let wait = 1_200_000_000 as UInt64
        var tat: UInt64 = 0
        var delays: [UInt64?] = []
        for _ in 0..<5 {
            let step = gcra.decide(tat: tat, now: start, maxWait: wait)
            if step.admitted { tat = step.newTAT }
            delays.append(step.admitted ? step.delay : nil)
        }
        XCTAssertEqual(delays, [0, 500_000_000, 1_000_000_000, nil, nil])
        XCTAssertEqual(tat, start + 1_500_000_000, "refusals reserve nothing")
        let refused = gcra.decide(tat: tat, now: start, maxWait: wait)
        XCTAssertEqual(refused.retryAfterSeconds, 2, "the next slot is 1.5 s away")
        // Without a wait, the same state refuses at once, as before.
        XCTAssertFalse(gcra.decide(tat: start + 500_000_000, now: start).admitted)
        // Time passing frees the slots again.
        XCTAssertEqual(gcra.decide(tat: tat, now: start + 1_000_000_000, maxWait: wait).delay, 500_000_000)
    }

    func testRetryAfterRoundsUpToWholeSeconds() {
        let gcra = GCRA(RatePolicy(requests: 1, perSeconds: 60, burst: 1))  // T = 60 s, τ = 0
        let first = gcra.decide(tat: 0, now: start)
        XCTAssertTrue(first.admitted)
        XCTAssertEqual(first.resetSeconds, 60)
        XCTAssertEqual(gcra.decide(tat: first.newTAT, now: start + 1).retryAfterSeconds, 60)  // 59.999999999 s
        XCTAssertEqual(gcra.decide(tat: first.newTAT, now: start + 59 * second).retryAfterSeconds, 1)
        XCTAssertEqual(gcra.decide(tat: first.newTAT, now: start + 60 * second - 1).retryAfterSeconds, 1)  // 1 ns → 1 s
        XCTAssertTrue(gcra.decide(tat: first.newTAT, now: start + 60 * second).admitted)
    }

    // MARK: TenantRateLimiter

    func testBurstFromIdleThenRefusedWithHeaders() {
        let limiter = TenantRateLimiter(policies: ["acme": RatePolicy(requests: 600, perSeconds: 60, burst: 50)])
        for i in 0..<50 {
            let decision = limiter.check(tenant: "acme", now: start)
            XCTAssertTrue(decision.admitted, "request \(i) of the burst")
            XCTAssertEqual(decision.remaining, 49 - i)
            XCTAssertNil(decision.retryAfterSeconds)
        }
        let last = limiter.check(tenant: "acme", now: start)
        XCTAssertFalse(last.admitted)
        XCTAssertEqual(last.remaining, 0)
        XCTAssertEqual(last.retryAfterSeconds, 1)  // 0.1 s → 1 s
        XCTAssertEqual(last.resetSeconds, 5)       // 50 × 0.1 s until idle
        XCTAssertEqual(last.policy, RatePolicy(requests: 600, perSeconds: 60, burst: 50))
        XCTAssertEqual(headerDictionary(last), [
            "ratelimit-policy": "\"tenant\";q=600;w=60",
            "ratelimit": "\"tenant\";r=0;t=5",
            "retry-after": "1",
        ])
    }

    func testHeaderFormattingExact() {
        let limiter = TenantRateLimiter(policies: ["acme": RatePolicy(requests: 5, perSeconds: 10)])  // T = 2 s, burst 5
        let first = limiter.check(tenant: "acme", now: start)
        XCTAssertEqual(first.lines, limiter.slot(for: "acme")?.lines)
        XCTAssertEqual(first.policy, RatePolicy(requests: 5, perSeconds: 10))
        let headers = first.headers
        XCTAssertEqual(headers.map(\.name), ["ratelimit-policy", "ratelimit"])
        XCTAssertEqual(headers.map(\.value), ["\"tenant\";q=5;w=10", "\"tenant\";r=4;t=2"])
        for _ in 0..<4 { _ = limiter.check(tenant: "acme", now: start) }
        let refused = limiter.check(tenant: "acme", now: start + 500_000_000)
        XCTAssertFalse(refused.admitted)
        var lines = Array("\r\ncontent-type: application/problem+json".utf8)
        refused.appendHeaderLines(to: &lines)
        // TAT = start + 10 s, τ = 8 s: next at start + 2 s, 1.5 s away; idle 9.5 s away.
        XCTAssertEqual(String(decoding: lines, as: UTF8.self), "\r\ncontent-type: application/problem+json"
            + "\r\nratelimit-policy: \"tenant\";q=5;w=10\r\nratelimit: \"tenant\";r=0;t=10\r\nretry-after: 2",
            "the lines exactly as the wire has them, appended to what was there")
        // A custom policy name, e.g. for a vendor-quota limiter.
        let vendor = TenantRateLimiter(policies: ["x": RatePolicy(requests: 5, perSeconds: 1)], policyName: "vendor")
        XCTAssertEqual(vendor.check(tenant: "x", now: start).headers.map(\.value), ["\"vendor\";q=5;w=1", "\"vendor\";r=4;t=1"])
    }

    func testSustainedRateAdmittedExactly() {
        let limiter = TenantRateLimiter(policies: ["acme": RatePolicy(requests: 10, perSeconds: 2, burst: 4)])  // T = 0.2 s
        let interval: UInt64 = 200_000_000
        // Spend the burst, then ask every 0.05 s for 60 s: exactly one admission per T.
        for _ in 0..<4 { XCTAssertTrue(limiter.check(tenant: "acme", now: start).admitted) }
        var admitted = 0
        var now = start
        let end = start + 60 * second
        while now < end {
            now += interval / 4
            if limiter.check(tenant: "acme", now: now).admitted { admitted += 1 }
        }
        XCTAssertEqual(admitted, 300)  // 10 per 2 s for 60 s
        // And asking exactly every T from the start is always admitted, staying at burst − 1 remaining.
        let fresh = TenantRateLimiter(policies: ["acme": RatePolicy(requests: 10, perSeconds: 2, burst: 4)])
        for k in 0..<1_000 {
            let decision = fresh.check(tenant: "acme", now: start + UInt64(k) * interval)
            XCTAssertTrue(decision.admitted)
            XCTAssertEqual(decision.remaining, 3)
        }
    }

    func testRefusalsDoNotDelayRecovery() {
        let limiter = TenantRateLimiter(policies: ["acme": RatePolicy(requests: 1, perSeconds: 1, burst: 3)])  // T = 1 s
        for _ in 0..<3 { XCTAssertTrue(limiter.check(tenant: "acme", now: start).admitted) }
        // Hammer for just under T: all refused, with a shrinking Retry-After.
        var now = start
        for _ in 0..<10_000 {
            now += 99_990
            let decision = limiter.check(tenant: "acme", now: now)
            XCTAssertFalse(decision.admitted)
            XCTAssertEqual(decision.retryAfterSeconds, 1)
        }
        // After T, exactly one more.
        XCTAssertTrue(limiter.check(tenant: "acme", now: start + second).admitted)
        XCTAssertFalse(limiter.check(tenant: "acme", now: start + second).admitted)
        // After 2 more T, exactly two more.
        XCTAssertTrue(limiter.check(tenant: "acme", now: start + 3 * second).admitted)
        XCTAssertTrue(limiter.check(tenant: "acme", now: start + 3 * second).admitted)
        XCTAssertFalse(limiter.check(tenant: "acme", now: start + 3 * second).admitted)
        // Idle long enough, and the whole burst is back (never more).
        let later = start + 100 * second
        for _ in 0..<3 { XCTAssertTrue(limiter.check(tenant: "acme", now: later).admitted) }
        XCTAssertFalse(limiter.check(tenant: "acme", now: later).admitted)
    }

    func testOtherTenantUntouched() {
        let policy = RatePolicy(requests: 2, perSeconds: 1)
        let limiter = TenantRateLimiter(policies: ["acme": policy, "globex": policy])
        for _ in 0..<2 { XCTAssertTrue(limiter.check(tenant: "acme", now: start).admitted) }
        XCTAssertFalse(limiter.check(tenant: "acme", now: start).admitted)
        let other = limiter.check(tenant: "globex", now: start)
        XCTAssertTrue(other.admitted)
        XCTAssertEqual(other.remaining, 1)
        XCTAssertTrue(limiter.check(tenant: "globex", now: start).admitted)
        XCTAssertFalse(limiter.check(tenant: "globex", now: start).admitted)
    }

    func testUnlimitedTenant() {
        let limiter = TenantRateLimiter(policies: ["acme": RatePolicy(requests: 1, perSeconds: 1)])
        XCTAssertFalse(limiter.isLimited("initech"))
        XCTAssertTrue(limiter.isLimited("acme"))
        for _ in 0..<1_000 {
            let decision = limiter.check(tenant: "initech", now: start)
            XCTAssertEqual(decision, .unlimited)
            XCTAssertTrue(decision.admitted)
            XCTAssertTrue(decision.isUnlimited)
            XCTAssertTrue(decision.headers.isEmpty)
        }
        var lines: [UInt8] = []
        RateLimitDecision.unlimited.appendHeaderLines(to: &lines)
        XCTAssertTrue(lines.isEmpty)
        XCTAssertEqual(limiter.peek(tenant: "initech", now: start), .unlimited)
        // The default clock works too.
        XCTAssertTrue(limiter.check(tenant: "acme").admitted)
    }

    func testBuiltFromTenantConfigurations() throws {
        let fixture = try ConfigurationFixture()
        defer { fixture.remove() }
        let configuration = try fixture.parse("""
            tls: {certificate: certs/dev/server.crt, privateKey: certs/dev/server.key}
            auth:
              apiKeys: [{sha256: "\(ConfigurationFixture.validHash)", tenant: acme, scopes: [devices:write]}]
            tenants:
              acme: {vendor: gate, upstream: "https://gate.example.com", credentials: {token: t0ken},
                     rateLimit: {requests: 600, perSeconds: 60, burst: 50}, vendorQuota: {requests: 5, perSeconds: 1}}
              globex: {vendor: gate, upstream: "https://gate2.example.com", credentials: {token: t0ken}}
            """)
        let limiter = TenantRateLimiter(tenants: configuration.tenants)
        XCTAssertTrue(limiter.isLimited("acme"))
        XCTAssertFalse(limiter.isLimited("globex"))  // no rateLimit; its vendorQuota would not count either
        XCTAssertEqual(limiter.check(tenant: "acme", now: start).headers.map(\.value),
                       ["\"tenant\";q=600;w=60", "\"tenant\";r=49;t=1"])
        XCTAssertEqual(limiter.check(tenant: "globex", now: start), .unlimited)
    }

    func testPeekCountsNothing() {
        let limiter = TenantRateLimiter(policies: ["acme": RatePolicy(requests: 4, perSeconds: 4, burst: 2)])
        let idle = limiter.peek(tenant: "acme", now: start)
        XCTAssertTrue(idle.admitted)
        XCTAssertEqual(idle.remaining, 2)
        XCTAssertEqual(idle.resetSeconds, 0)
        XCTAssertEqual(limiter.check(tenant: "acme", now: start).remaining, 1)  // peek counted nothing
        XCTAssertEqual(limiter.peek(tenant: "acme", now: start).remaining, 1)
        _ = limiter.check(tenant: "acme", now: start)
        let spent = limiter.peek(tenant: "acme", now: start)
        XCTAssertFalse(spent.admitted)
        XCTAssertEqual(spent.remaining, 0)
        XCTAssertEqual(spent.retryAfterSeconds, 1)
        limiter.reset()
        XCTAssertEqual(limiter.peek(tenant: "acme", now: start).remaining, 2)
    }

    // MARK: Concurrency: the compare-exchange loop loses nothing and double-counts nothing

    func testConcurrentHammeringAdmitsExactlyTheAllowedCount() {
        let burst = 1_000
        let limiter = TenantRateLimiter(policies: [
            "acme": RatePolicy(requests: 100, perSeconds: 1, burst: burst),  // T = 10 ms
            "globex": RatePolicy(requests: 1, perSeconds: 1, burst: 7),
        ])
        let threads = 8
        let iterations = 5_000
        let interval: UInt64 = 10_000_000

        func hammer(_ tenant: String, at now: UInt64) -> Int {
            let admitted = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                var mine = 0
                for _ in 0..<iterations where limiter.check(tenant: tenant, now: now).admitted { mine += 1 }
                admitted.add(mine, ordering: .relaxed)
            }
            return admitted.load(ordering: .relaxed)
        }

        // From idle: exactly the burst out of 40 000 tries, however the threads interleave.
        XCTAssertEqual(hammer("acme", at: start), burst)
        // k intervals later: exactly k more (TAT was start + burst·T).
        XCTAssertEqual(hammer("acme", at: start + 37 * interval), 37)
        XCTAssertEqual(hammer("acme", at: start + 37 * interval), 0)
        XCTAssertEqual(hammer("acme", at: start + 300 * interval), 263)
        // Long idle: the burst again, never more.
        XCTAssertEqual(hammer("acme", at: start + 10_000 * interval), burst)

        // Two tenants hammered at once from different threads: each gets exactly its own count.
        let acme = Atomic<Int>(0)
        let globex = Atomic<Int>(0)
        let later = start + 100_000 * interval
        DispatchQueue.concurrentPerform(iterations: threads) { index in
            var mineA = 0
            var mineG = 0
            for _ in 0..<iterations {
                if limiter.check(tenant: "acme", now: later).admitted { mineA += 1 }
                if limiter.check(tenant: index % 2 == 0 ? "globex" : "initech", now: later).admitted, index % 2 == 0 { mineG += 1 }
            }
            acme.add(mineA, ordering: .relaxed)
            globex.add(mineG, ordering: .relaxed)
        }
        XCTAssertEqual(acme.load(ordering: .relaxed), burst)
        XCTAssertEqual(globex.load(ordering: .relaxed), 7)
    }

    func testConcurrentWithAdvancingClockNeverExceedsTheBound() {
        // Threads with their own, slightly skewed clocks: admissions over a span S can never exceed
        // burst + floor(S / T), and a steady over-demand gets exactly that.
        let limiter = TenantRateLimiter(policies: ["acme": RatePolicy(requests: 1_000, perSeconds: 1, burst: 20)])  // T = 1 ms
        let threads = 4
        let steps = 20_000
        let stepNanoseconds: UInt64 = 100_000  // 0.1 ms: 10 asks per T per thread
        let admitted = Atomic<Int>(0)
        let base = start
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            var mine = 0
            for step in 0..<steps where limiter.check(tenant: "acme", now: base + UInt64(step) * stepNanoseconds).admitted {
                mine += 1
            }
            admitted.add(mine, ordering: .relaxed)
        }
        // Span = (steps − 1) · 0.1 ms = 1999.9 ms → at most 20 + 1999 admissions.
        let total = admitted.load(ordering: .relaxed)
        XCTAssertLessThanOrEqual(total, 20 + 1_999)
        // Demand is 40× the rate, so the limiter is saturated: never far below the bound either.
        XCTAssertGreaterThanOrEqual(total, 1_999)
    }
}
