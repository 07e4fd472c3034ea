import SwitchyardIO
import SwitchyardRedis

/// The tenant limiter's state in Redis, shared by every gateway instance: the same GCRA as
/// `GCRA.swift`, run as one Lua script so a decision is atomic on the server.
///
/// - Key `switchyard:rl:{tenant}` holds the TAT in microseconds of Redis's clock (`TIME`, read
///   inside the script, so every gateway shares one clock; microseconds because Lua numbers are
///   doubles, exact to 2⁵³).
/// - ARGV: the emission interval `T`, burst tolerance `τ` and longest wait in microseconds (`T`
///   rounded up, as in `GCRA`; `τ = (burst − 1)·T`; the wait 0 for a tenant's own limit).
/// - Reply: `{admitted, remaining, resetSeconds, retryAfterSeconds (−1 when admitted), delay µs}`
///   with `GCRA.decide`'s formulas, waiting included. An admitted request stores the new TAT with a
///   `PX` expiry of `TAT − now + τ` (rounded up to ms), so an idle tenant's key disappears; a
///   rejection writes nothing.
/// - Run as a `RedisScript` (`EVALSHA`, loaded on every new connection).
///
/// One per loop, on top of that loop's `RedisClient`; not thread-safe.
public final class RedisRateLimitStore {
    /// `GCRA.decide` in Lua, for the scripts below: a decision for `key` at `now`, counted if admitted.
    static let decideFunction = """
    local function decide(key, T, tau, maxWait, now)
      local stored = redis.call('GET', key)
      local tat = 0
      if stored then tat = tonumber(stored) or 0 end
      local allowAt = 0
      if tat > tau then allowAt = tat - tau end
      if now < allowAt and allowAt - now <= maxWait then
        local reserved = tat + T
        redis.call('SET', key, string.format('%.0f', reserved), 'PX', math.ceil((reserved - now + tau) / 1000))
        return {1, 0, math.floor((reserved - now + 999999) / 1000000), -1, allowAt - now}
      end
      if now < allowAt then
        local retry = math.floor((allowAt - now + 999999) / 1000000)
        if retry < 1 then retry = 1 end
        return {0, 0, math.floor((tat - now + 999999) / 1000000), retry, 0}
      end
      local newTAT = math.max(tat, now) + T
      local ahead = newTAT - now
      local remaining = 0
      if ahead <= tau then remaining = math.floor((tau - ahead) / T) + 1 end
      redis.call('SET', key, string.format('%.0f', newTAT), 'PX', math.ceil((ahead + tau) / 1000))
      return {1, remaining, math.floor((ahead + 999999) / 1000000), -1, 0}
    end
    local clock = redis.call('TIME')
    local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])

    """

    /// One decision: KEYS[1], ARGV `T`, `τ`, longest wait.
    public static let gcra = RedisScript(decideFunction + """
    return decide(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), now)
    """)

    /// A tenant's limit (KEYS[1], ARGV 1–3) and, only if it admits, its vendor quota (KEYS[2], ARGV 4–6):
    /// `{first}` or `{first, second}`. One round trip for a request that needs both.
    public static let gcraPair = RedisScript(decideFunction + """
    local first = decide(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), now)
    if first[1] == 0 then return {first} end
    return {first, decide(KEYS[2], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), now)}
    """)

    /// Where a tenant's own limit is kept, and its vendor account's quota.
    public static let keyPrefix = "switchyard:rl:"
    public static let vendorKeyPrefix = "switchyard:vq:"
    /// Largest `τ` sent, in µs (about 31 years): keeps every TAT exact in Lua's doubles.
    static let toleranceCapMicroseconds: UInt64 = 1_000_000_000_000_000

    public let client: RedisClient
    private let keyPrefix: String

    /// `client` should have been made with `connectCommands: RedisScript.connectCommands`.
    public init(client: RedisClient, keyPrefix: String = RedisRateLimitStore.keyPrefix) {
        self.client = client
        self.keyPrefix = keyPrefix
    }

    /// `T` and `τ` in microseconds for `policy`.
    public static func microseconds(_ policy: RatePolicy) -> (interval: UInt64, tolerance: UInt64) {
        let window = UInt64(policy.perSeconds) * 1_000_000
        let requests = UInt64(policy.requests)
        let interval = max(1, (window + requests - 1) / requests)
        let (tolerance, overflow) = UInt64(max(0, policy.burst - 1)).multipliedReportingOverflow(by: interval)
        return (interval, overflow ? toleranceCapMicroseconds : min(tolerance, toleranceCapMicroseconds))
    }

    /// One counted decision for `tenant` under `policy` (a `TenantRateLimiter` slot's, whose
    /// header lines the decision carries); the completion runs once, on the loop, never inside
    /// `check`. A failure (`.timeout`, `.unavailable`, …) is for the caller's `onStoreFailure`
    /// policy to turn into a decision. `maxWait` (nanoseconds) admits for later, as `GCRA` does.
    public func check(tenant: String, policy: RateLimitLines, maxWait: UInt64 = 0,
                      completion: @escaping (Result<RateLimitDecision, RedisError>) -> Void) {
        let (interval, tolerance) = Self.microseconds(policy.policy)
        let key = keyPrefix + tenant
        let arguments = [String(interval), String(tolerance), String(maxWait / 1_000)]
        Self.gcra.run(on: client, keys: [key], arguments: arguments) { result in
            completion(Self.decision(result, policy: policy))
        }
    }

    /// The tenant's limit and, when it admits, the vendor quota kept by `quota` (a store of the same
    /// client, with the vendor key prefix), decided together on the server: one round trip where two
    /// would follow each other. The quota's decision is nil when the tenant's refused (nothing spent).
    public func check(tenant: String, policy: RateLimitLines, quota: (store: RedisRateLimitStore, policy: RateLimitLines, maxWait: UInt64),
                      completion: @escaping (Result<(RateLimitDecision, RateLimitDecision?), RedisError>) -> Void) {
        let (interval, tolerance) = Self.microseconds(policy.policy)
        let (quotaInterval, quotaTolerance) = Self.microseconds(quota.policy.policy)
        let arguments = [String(interval), String(tolerance), "0", String(quotaInterval), String(quotaTolerance), String(quota.maxWait / 1_000)]
        let quotaPolicy = quota.policy
        Self.gcraPair.run(on: client, keys: [keyPrefix + tenant, quota.store.keyPrefix + tenant], arguments: arguments) { result in
            completion(result.flatMap { value in
                guard let replies = value.array, (1...2).contains(replies.count) else {
                    return .failure(.protocolError("unexpected rate-limit script reply \(value)"))
                }
                return Self.decision(.success(replies[0]), policy: policy).flatMap { tenantDecision in
                    guard replies.count == 2 else { return .success((tenantDecision, nil)) }
                    return Self.decision(.success(replies[1]), policy: quotaPolicy).map { (tenantDecision, $0) }
                }
            })
        }
    }

    static func decision(_ result: Result<RESPValue, RedisError>, policy: RateLimitLines) -> Result<RateLimitDecision, RedisError> {
        switch result {
        case .failure(let error):
            return .failure(error)
        case .success(let value):
            guard let items = value.array, items.count == 5,
                  let admitted = items[0].integer, let remaining = items[1].integer,
                  let reset = items[2].integer, let retry = items[3].integer, let delay = items[4].integer, delay >= 0 else {
                return .failure(.protocolError("unexpected rate-limit script reply \(value)"))
            }
            return .success(RateLimitDecision(
                admitted: admitted == 1, lines: policy, remaining: Int(remaining), resetSeconds: Int(reset),
                retryAfterSeconds: admitted == 1 ? nil : Int(max(1, retry)), delay: UInt64(delay) * 1_000))
        }
    }
}
