import Yams

/// `Idempotency-Key` (API.md §2): how long an answer is kept for a repeat, and where.
public struct IdempotencySettings: Sendable, Equatable {
    public enum Store: Sendable, Equatable {
        /// In this process: a repeat must reach the same replica.
        case memory
        /// In the Redis of `rateLimit.store`, so every replica sees every key.
        case rateLimitStore
    }

    /// 1 to 604800 (a week); default a day.
    public var ttlSeconds = 86_400
    /// Default: where `rateLimit.store` is.
    public var store: Store?
    /// The in-memory store's bound on the answers it keeps (their bodies and keys); the oldest go
    /// first when it is full. 1 MiB to 16 GiB, default 64 MiB.
    public var maxMemoryBytes = 64 << 20

    public init() {}

    static let keys = ["ttlSeconds", "store", "maxMemoryBytes"]
}

extension ConfigurationDecoder {
    /// `store` is `memory` or the very `redis://…` of `rateLimit.store`: one Redis serves the
    /// limits and the keys, so a replica holds one connection per worker, not two.
    func idempotencySettings(_ node: Node, at path: ConfigurationKeyPath, rateLimitStore: RateLimitSettings.Store) -> IdempotencySettings {
        var settings = IdempotencySettings()
        guard let map = mapping(node, at: path) else { return settings }
        map.rejectUnknownKeys(known: IdempotencySettings.keys)
        settings.ttlSeconds = map.integer("ttlSeconds", in: 1...604_800) ?? settings.ttlSeconds
        settings.maxMemoryBytes = map.integer("maxMemoryBytes", in: (1 << 20)...(16 << 30)) ?? settings.maxMemoryBytes
        settings.store = map.decode("store") { node, path -> IdempotencySettings.Store? in
            guard let text = string(node, at: path) else { return nil }
            if text == "memory" { return .memory }
            if case .redis(let host, let port) = rateLimitStore, text == "redis://\(host):\(port)" || text == "redis://\(host)" && port == 6379 {
                return .rateLimitStore
            }
            report("expected memory, or the redis://host:port of rateLimit.store", at: path, node: node)
            return nil
        }
        return settings
    }
}
