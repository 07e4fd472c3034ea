import Yams

/// A GCRA budget: `requests` per `perSeconds` sustained, and up to `burst` at once from idle.
///
/// Used for a tenant's inbound limit (`rateLimit`, 429 `rate_limited`) and for the outbound budget
/// of its vendor account (`vendorQuota`, 429 `upstream_rate_limited`); whole seconds because the
/// `RateLimit-Policy` header carries the window as an integer.
public struct RatePolicy: Sendable, Equatable {
    /// 1 to 1000000.
    public var requests: Int
    /// 1 to 86400.
    public var perSeconds: Int
    /// 1 to 1000000; defaults to `requests`.
    public var burst: Int
    /// A vendor quota only: how long a single-device call may wait for its slot before it is
    /// refused (API.md §7); 0 to 60, default 0 (refused at once).
    public var maxWaitSeconds: Double

    /// `burst` defaults to `requests`, as in the file.
    public init(requests: Int, perSeconds: Int, burst: Int? = nil, maxWaitSeconds: Double = 0) {
        self.requests = requests
        self.perSeconds = perSeconds
        self.burst = burst ?? requests
        self.maxWaitSeconds = maxWaitSeconds
    }

    /// `maxWaitSeconds` in nanoseconds.
    var maxWait: UInt64 { UInt64(maxWaitSeconds * 1e9) }
}

extension ConfigurationDecoder {
    /// A `rateLimit` or, with `waits`, a `vendorQuota` (which takes `maxWaitSeconds`).
    func ratePolicy(_ node: Node, at path: ConfigurationKeyPath, waits: Bool = false) -> RatePolicy? {
        guard let map = mapping(node, at: path) else { return nil }
        map.rejectUnknownKeys(known: ["requests", "perSeconds", "burst"] + (waits ? ["maxWaitSeconds"] : []))
        let requests = map.integer("requests", required: true, in: 1...1_000_000)
        let perSeconds = map.integer("perSeconds", required: true, in: 1...86_400)
        let burst = map.integer("burst", in: 1...1_000_000)
        let maxWait = waits ? map.decode("maxWaitSeconds") { seconds($0, at: $1, allowsZero: true, maximum: 60) } : nil
        guard let requests, let perSeconds, map.value("burst") == nil || burst != nil,
              map.value("maxWaitSeconds") == nil || maxWait != nil else { return nil }
        return RatePolicy(requests: requests, perSeconds: perSeconds, burst: burst, maxWaitSeconds: maxWait ?? 0)
    }
}
