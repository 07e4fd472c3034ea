import Yams

/// A tenant's `vendorConcurrency` (API.md §7): how many calls may be in flight to its vendor account at
/// once, across every replica on a Redis store. Control Center, for one, documents a single active call
/// per account.
///
/// A call that finds every slot taken waits in a queue, in arrival order, for up to `maxWaitSeconds`
/// (a bulk update's items until its `limits.bulkTimeoutSeconds`); at most `maxQueue` calls wait at
/// once, so a flood is refused at once (429 `upstream_rate_limited`) instead of piling up.
public struct ConcurrencyPolicy: Sendable, Equatable {
    /// 1 to 10000.
    public var limit: Int
    /// 0 to 60, default 0 (refused at once when every slot is taken).
    public var maxWaitSeconds: Double
    /// Calls that may wait for a slot at once: 1 to 100000, default 1000. On a Redis store the queue
    /// is the cluster's, shared by every replica.
    public var maxQueue: Int

    public init(limit: Int, maxWaitSeconds: Double = 0, maxQueue: Int = 1_000) {
        self.limit = limit
        self.maxWaitSeconds = maxWaitSeconds
        self.maxQueue = maxQueue
    }

    /// `maxWaitSeconds` in nanoseconds.
    var maxWait: UInt64 { UInt64(maxWaitSeconds * 1e9) }

    static let keys = ["limit", "maxWaitSeconds", "maxQueue"]
}

extension ConfigurationDecoder {
    func concurrencyPolicy(_ node: Node, at path: ConfigurationKeyPath) -> ConcurrencyPolicy? {
        guard let map = mapping(node, at: path) else { return nil }
        map.rejectUnknownKeys(known: ConcurrencyPolicy.keys)
        let limit = map.integer("limit", required: true, in: 1...10_000)
        let maxWait = map.decode("maxWaitSeconds") { seconds($0, at: $1, allowsZero: true, maximum: 60) }
        let maxQueue = map.integer("maxQueue", in: 1...100_000)
        // A key that is there but wrong was reported; the tenant is refused with it.
        guard let limit, map.value("maxWaitSeconds") == nil || maxWait != nil,
              map.value("maxQueue") == nil || maxQueue != nil else { return nil }
        return ConcurrencyPolicy(limit: limit, maxWaitSeconds: maxWait ?? 0, maxQueue: maxQueue ?? 1_000)
    }
}
