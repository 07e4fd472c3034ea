import SwitchyardRedis

/// `vendorConcurrency` on the shared store (API.md §7): the calls in flight to a tenant's vendor
/// account from every replica, as leases that expire, and the calls waiting for one, as a queue in
/// arrival order, both decided by one atomic script.
///
/// - `switchyard:vc:{tenant}:leases`: a sorted set of lease ids scored by their expiry (µs of
///   Redis's clock). A lease lasts `upstreamTimeoutSeconds` + 5 s, longer than any call it covers,
///   and is removed when the call ends; a replica that dies without removing its leases gives
///   them back when they expire.
/// - `…:queue` (scored by arrival) and `…:alive` (scored by when the waiter stops counting):
///   a waiter asks again every few milliseconds, and each ask keeps it alive for `aliveMicroseconds`;
///   a replica that dies leaves waiters that drop out that much later instead of blocking the queue.
/// - A call gets a lease when fewer than `limit` are held and fewer waiters are ahead of it than
///   slots are free; otherwise it joins the queue (unless `maxQueue` wait already, or it may not
///   wait: refused) and asks again. Waiters that gave up leave at once (`giveUp`). Asking again
///   with an id that holds its lease already is granted (an answer lost to a timeout is asked for
///   again, never counted twice).
///
/// The hash tag `{tenant}` keeps a tenant's keys in one slot of a Redis Cluster. One per loop, on
/// that loop's `RedisClient`; not thread-safe.
final class RedisConcurrencyStore {
    static let acquire = RedisScript("""
    local clock = redis.call('TIME')
    local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
    local id, limit = ARGV[1], tonumber(ARGV[2])
    local leaseTTL, alive, maxQueue = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
    local stamp = string.format('%.0f', now)
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', stamp)
    local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', stamp)
    for first = 1, #gone, 1000 do
      local last = math.min(first + 999, #gone)
      redis.call('ZREM', KEYS[2], unpack(gone, first, last))
      redis.call('ZREM', KEYS[3], unpack(gone, first, last))
    end
    local held = redis.call('ZCARD', KEYS[1])
    if redis.call('ZSCORE', KEYS[1], id) then return {1, held, 0} end
    local rank = redis.call('ZRANK', KEYS[2], id)
    if not rank then
      rank = redis.call('ZCARD', KEYS[2])
      if held >= limit or rank > 0 then
        if rank >= maxQueue then return {-1, held, rank} end
        redis.call('ZADD', KEYS[2], stamp, id)
      end
    end
    if held < limit and rank < limit - held then
      redis.call('ZREM', KEYS[2], id)
      redis.call('ZREM', KEYS[3], id)
      redis.call('ZADD', KEYS[1], string.format('%.0f', now + leaseTTL), id)
      redis.call('PEXPIRE', KEYS[1], math.ceil(leaseTTL / 1000))
      return {1, held + 1, 0}
    end
    redis.call('ZADD', KEYS[3], string.format('%.0f', now + alive), id)
    redis.call('PEXPIRE', KEYS[2], math.ceil(alive / 1000))
    redis.call('PEXPIRE', KEYS[3], math.ceil(alive / 1000))
    return {0, held, rank}
    """)

    /// What one ask decided.
    enum Reply: Equatable {
        /// The lease is held; remove it with `release` when the call ends.
        case granted
        /// In the queue with `ahead` waiters before it: ask again.
        case waiting(ahead: Int)
        /// Every slot taken and the queue full (or no wait allowed): refused, not queued.
        case refused
    }

    static let keyPrefix = "switchyard:vc:"
    /// How long a waiter counts after its last ask.
    static let aliveMicroseconds: UInt64 = 2_000_000

    let client: RedisClient

    init(client: RedisClient) {
        self.client = client
    }

    /// One ask for lease `id` of `tenant` under `policy`; `mayWait` false refuses instead of queueing.
    /// The completion runs once, on the loop, never inside `acquire`.
    func acquire(tenant: String, id: String, policy: ConcurrencyPolicy, leaseMicroseconds: UInt64, mayWait: Bool,
                 completion: @escaping (Result<Reply, RedisError>) -> Void) {
        let arguments = [id, String(policy.limit), String(leaseMicroseconds), String(Self.aliveMicroseconds),
                         String(mayWait ? policy.maxQueue : 0)]
        Self.acquire.run(on: client, keys: keys(tenant), arguments: arguments) { result in
            completion(result.flatMap { value in
                guard let items = value.array, items.count == 3, let outcome = items[0].integer, let position = items[2].integer else {
                    return .failure(.protocolError("unexpected concurrency script reply \(value)"))
                }
                switch outcome {
                case 1: return .success(.granted)
                case 0: return .success(.waiting(ahead: Int(position)))
                default: return .success(.refused)
                }
            })
        }
    }

    /// Takes waiter `id` out of the queue (its wait ran out), and out of the leases too when
    /// `granted` is unknown: an ask whose answer was lost may have been granted.
    func giveUp(tenant: String, id: String, mayHoldLease: Bool = false) {
        let keys = keys(tenant)
        client.send(["ZREM", keys[1], id]) { _ in }
        client.send(["ZREM", keys[2], id]) { _ in }
        if mayHoldLease { release(tenant: tenant, id: id) }
    }

    /// Gives lease `id` back. If Redis can't be reached now, the lease expires by itself.
    func release(tenant: String, id: String) {
        client.send(["ZREM", keys(tenant)[0], id]) { _ in }
    }

    private func keys(_ tenant: String) -> [String] {
        let base = Self.keyPrefix + "{" + tenant + "}:"
        return [base + "leases", base + "queue", base + "alive"]
    }
}
