import SwitchyardIO
import SwitchyardRedis
import Synchronization

/// Where `Idempotency-Key`s and their answers are kept (API.md §2): in this process
/// (`MemoryIdempotencyStore`) or in the Redis of `rateLimit.store`, shared by the replicas
/// (`RedisIdempotencyStore`). A key is scoped to its tenant: `tenant:key`.
///
/// The life of a key: `claim` makes it pending for the first request (`.proceed`); its answer
/// then either `keep`s it (kept for `ttlSeconds`, replayed to repeats) or `release`s it (an answer
/// a retry could change: the key is free again).
protocol IdempotencyStore: AnyObject {
    /// `decided` runs once, on the loop; `.failure` when the store could not be asked. A key claimed
    /// stays pending for `pending` nanoseconds at most (the longest its request can take), so a
    /// replica that dies while it holds one frees it that much later.
    func claim(_ key: String, fingerprint: String, pending: UInt64, decided: @escaping (Result<IdempotencyClaim, RedisError>) -> Void)
    func keep(_ key: String, fingerprint: String, answer: IdempotentAnswer)
    func release(_ key: String, fingerprint: String)
}

/// The keys of this process, shared by its loops under one lock (taken only by requests that
/// carry a key). Bounded: answers expire after `ttlSeconds`, pending keys when their request
/// can't be running any more, and past `maxBytes` of keys and bodies the oldest go first,
/// whatever their age, so a client sending a million keys costs a bounded amount of memory.
final class MemoryIdempotencyStore: IdempotencyStore, Sendable {
    private struct Entry {
        var fingerprint: String
        /// Nil while pending.
        var answer: IdempotentAnswer?
        var expires: UInt64
        var bytes: Int
    }

    private struct Table {
        var entries: [String: Entry] = [:]
        /// Keys in the order they were written (a key may appear more than once; only its last
        /// write counts): the oldest are evicted first.
        var order: [(key: String, expires: UInt64)] = []
        var head = 0
        var bytes = 0
    }

    private let table = Mutex(Table())
    private let ttl: UInt64
    private let maxBytes: Int

    init(ttlSeconds: Int, maxBytes: Int) {
        ttl = UInt64(ttlSeconds) * 1_000_000_000
        self.maxBytes = maxBytes
    }

    func claim(_ key: String, fingerprint: String, pending: UInt64, decided: @escaping (Result<IdempotencyClaim, RedisError>) -> Void) {
        decided(.success(claim(key, fingerprint: fingerprint, pending: pending, now: MonotonicClock.now())))
    }

    func claim(_ key: String, fingerprint: String, pending: UInt64, now: UInt64) -> IdempotencyClaim {
        table.withLock { table in
            if let entry = table.entries[key], entry.expires > now {
                guard entry.fingerprint == fingerprint else { return .reused }
                return entry.answer.map { .replay($0) } ?? .inUse
            }
            Self.store(key, Entry(fingerprint: fingerprint, answer: nil, expires: now + pending, bytes: key.utf8.count + 64),
                       in: &table, maxBytes: maxBytes)
            return .proceed
        }
    }

    func keep(_ key: String, fingerprint: String, answer: IdempotentAnswer) {
        let now = MonotonicClock.now()
        let entry = Entry(fingerprint: fingerprint, answer: answer, expires: now + ttl, bytes: key.utf8.count + 64 + answer.body.count)
        table.withLock { Self.store(key, entry, in: &$0, maxBytes: maxBytes) }
    }

    func release(_ key: String, fingerprint: String) {
        table.withLock { table in
            guard let entry = table.entries[key], entry.fingerprint == fingerprint, entry.answer == nil else { return }
            table.entries[key] = nil
            table.bytes -= entry.bytes
        }
    }

    /// Writes `entry`, then makes room: expired and superseded keys at the front go, and the
    /// oldest while over `maxBytes`.
    private static func store(_ key: String, _ entry: Entry, in table: inout Table, maxBytes: Int) {
        if let old = table.entries[key] { table.bytes -= old.bytes }
        table.entries[key] = entry
        table.bytes += entry.bytes
        table.order.append((key, entry.expires))
        let now = MonotonicClock.now()
        while table.head < table.order.count {
            let (oldest, expires) = table.order[table.head]
            guard let current = table.entries[oldest] else { table.head += 1; continue }
            // A later write of the same key is further on in `order`.
            if current.expires != expires { table.head += 1; continue }
            guard current.expires <= now || table.bytes > maxBytes else { break }
            table.entries[oldest] = nil
            table.bytes -= current.bytes
            table.head += 1
        }
        if table.head > 1024, table.head * 2 > table.order.count {
            table.order.removeFirst(table.head)
            table.head = 0
        }
    }

    /// Keys held, for tests.
    var count: Int { table.withLock { $0.entries.count } }
}

/// The keys in the Redis of `rateLimit.store`, one loop's view through that loop's client:
/// `switchyard:idem:{tenant}:{key}` holds `P` and the fingerprint while pending (expiring when
/// its request can't be running any more, so a replica that dies frees its keys), then `D`, the fingerprint and the
/// answer for `ttlSeconds`. Claiming is one script, so two replicas can't both proceed.
final class RedisIdempotencyStore: IdempotencyStore {
    static let keyPrefix = "switchyard:idem:"
    static let claimScript = """
    local v = redis.call('GET', KEYS[1])
    if not v then
      redis.call('SET', KEYS[1], 'P' .. ARGV[1], 'PX', ARGV[2])
      return {0}
    end
    if string.sub(v, 2, 65) ~= ARGV[1] then return {3} end
    if string.sub(v, 1, 1) == 'P' then return {2} end
    return {1, string.sub(v, 66)}
    """
    static let releaseScript = """
    if redis.call('GET', KEYS[1]) == 'P' .. ARGV[1] then return redis.call('DEL', KEYS[1]) end
    return 0
    """

    let client: RedisClient
    private let ttlMilliseconds: String

    init(client: RedisClient, ttlSeconds: Int) {
        self.client = client
        ttlMilliseconds = String(ttlSeconds * 1000)
    }

    func claim(_ key: String, fingerprint: String, pending: UInt64, decided: @escaping (Result<IdempotencyClaim, RedisError>) -> Void) {
        let milliseconds = String(max(1, (pending + 999_999) / 1_000_000))
        client.send(["EVAL", Self.claimScript, "1", Self.keyPrefix + key, fingerprint, milliseconds]) { result in
            decided(result.flatMap { reply in
                guard let items = reply.array, let code = items.first?.integer else {
                    return .failure(.protocolError("unexpected idempotency script reply \(reply)"))
                }
                switch code {
                case 0: return .success(.proceed)
                case 2: return .success(.inUse)
                case 3: return .success(.reused)
                default:
                    guard items.count == 2, case .bulkString(let stored) = items[1],
                          let answer = IdempotentAnswer(encoded: stored[...]) else {
                        return .failure(.protocolError("unreadable idempotent answer"))
                    }
                    return .success(.replay(answer))
                }
            })
        }
    }

    func keep(_ key: String, fingerprint: String, answer: IdempotentAnswer) {
        let value = Array(("D" + fingerprint).utf8) + answer.encoded
        client.send(bytes: [Array("SET".utf8), Array((Self.keyPrefix + key).utf8), value, Array("PX".utf8),
                            Array(ttlMilliseconds.utf8)]) { _ in }
    }

    func release(_ key: String, fingerprint: String) {
        client.send(["EVAL", Self.releaseScript, "1", Self.keyPrefix + key, fingerprint]) { _ in }
    }
}
