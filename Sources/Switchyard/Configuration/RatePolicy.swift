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

    /// `burst` defaults to `requests`, as in the file.
    public init(requests: Int, perSeconds: Int, burst: Int? = nil) {
        self.requests = requests
        self.perSeconds = perSeconds
        self.burst = burst ?? requests
    }
}

extension ConfigurationDecoder {
    func ratePolicy(_ node: Node, at path: ConfigurationKeyPath) -> RatePolicy? {
        guard let map = mapping(node, at: path) else { return nil }
        map.rejectUnknownKeys(known: ["requests", "perSeconds", "burst"])
        let requests = map.integer("requests", required: true, in: 1...1_000_000)
        let perSeconds = map.integer("perSeconds", required: true, in: 1...86_400)
        let burst = map.integer("burst", in: 1...1_000_000)
        guard let requests, let perSeconds, map.value("burst") == nil || burst != nil else { return nil }
        return RatePolicy(requests: requests, perSeconds: perSeconds, burst: burst)
    }
}
