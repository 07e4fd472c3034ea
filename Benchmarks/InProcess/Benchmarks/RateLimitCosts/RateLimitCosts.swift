import Benchmark
import SuiteDefaults
import Switchyard

/// The inbound rate limit, checked on every `/devices` request: `GCRA.decide`, the pure step, and
/// `TenantRateLimiter.check`, the step on a tenant's shared state (a dictionary look-up and an
/// atomic compare-exchange). Each admitted and refused: an admitted request writes the new TAT, a
/// refused one only reads it. A thousand decisions an iteration, since one takes nanoseconds.
let benchmarks: @Sendable () -> Void = {
    SuiteDefaults.apply()

    let policy = RatePolicy(requests: 100, perSeconds: 1)
    let gcra = GCRA(policy)
    // A monotonic reading well after boot, so the idle TAT (0) is far in the past.
    let start: UInt64 = 5_000 * 1_000_000_000
    let thousand = Benchmark.Configuration(scalingFactor: .kilo)

    Benchmark("GCRA.decide: admitted", configuration: thousand) { benchmark in
        // From idle, at a different instant each time so the compiler cannot hoist the step.
        for index in benchmark.scaledIterations {
            blackHole(gcra.decide(tat: 0, now: start + UInt64(index)))
        }
    }

    // The burst spent: the next request is allowed only two emission intervals after `start`.
    let spent = start + UInt64(policy.burst + 1) * gcra.emissionInterval
    guard !gcra.decide(tat: spent, now: start + 1).admitted else { fatalError("the spent TAT admits") }
    Benchmark("GCRA.decide: refused", configuration: thousand) { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(gcra.decide(tat: spent, now: start + UInt64(index)))
        }
    }

    // Admitted every time: the clock moves on by one emission interval a request, the rate allowed.
    let admitting = TenantRateLimiter(policies: ["acme": policy])
    var clock = start
    Benchmark("TenantRateLimiter.check: admitted", configuration: thousand) { benchmark in
        for _ in benchmark.scaledIterations {
            clock += gcra.emissionInterval
            blackHole(admitting.check(tenant: "acme", now: clock))
        }
    }

    // The burst spent at `start` and the clock held there (within a nanosecond): every request refused.
    let refusing = TenantRateLimiter(policies: ["acme": policy])
    for _ in 0..<policy.burst { _ = refusing.check(tenant: "acme", now: start) }
    guard !refusing.check(tenant: "acme", now: start + 1).admitted else { fatalError("the spent limiter admits") }
    Benchmark("TenantRateLimiter.check: refused", configuration: thousand) { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(refusing.check(tenant: "acme", now: start + UInt64(index % 2)))
        }
    }
}
