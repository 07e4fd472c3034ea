import Yams

/// Where per-tenant rate-limit state lives, and what happens when that place is unreachable.
///
/// One process can count in memory; several gateway instances share Redis so a tenant's limit holds
/// across all of them. The failure policy is explicit because each choice trades availability for
/// protection and only the operator knows which matters more.
public struct RateLimitSettings: Sendable, Equatable {
    public enum Store: Sendable, Equatable {
        /// Counters in this process only.
        case memory
        /// A shared Redis at `redis://host[:port]` (port 6379 when left out).
        case redis(host: String, port: UInt16)
    }

    /// What to do while the store cannot be reached.
    public enum FailurePolicy: String, Sendable, CaseIterable {
        /// Fall back to counting in this process: limits hold per instance instead of globally.
        case local
        /// Admit everything: availability over protection.
        case open
        /// Refuse as if over the limit (429 `rate_limited`, `Retry-After: 1`): protection over availability.
        case closed
    }

    public var store = Store.memory
    public var onStoreFailure = FailurePolicy.local
    /// How long a request waits for a Redis decision before `onStoreFailure` decides instead:
    /// 1 to 1000 ms, default 5 (a few round trips on a private network; raise it where Redis is
    /// farther away or shared with heavy work).
    public var storeTimeoutMilliseconds = 5

    /// The defaults, which apply when the file has no `rateLimit`.
    public init() {}
}

extension ConfigurationDecoder {
    func rateLimitSettings(_ node: Node, at path: ConfigurationKeyPath) -> RateLimitSettings {
        var settings = RateLimitSettings()
        guard let map = mapping(node, at: path) else { return settings }
        map.rejectUnknownKeys(known: ["store", "onStoreFailure", "storeTimeoutMilliseconds"])
        settings.store = map.decode("store") { rateLimitStore($0, at: $1) } ?? settings.store
        settings.onStoreFailure = map.decode("onStoreFailure") { choice($0, at: $1, noun: "policy") }
            ?? settings.onStoreFailure
        settings.storeTimeoutMilliseconds = map.integer("storeTimeoutMilliseconds", in: 1...1_000) ?? settings.storeTimeoutMilliseconds
        return settings
    }

    private func rateLimitStore(_ node: Node, at path: ConfigurationKeyPath) -> RateLimitSettings.Store? {
        guard let text = string(node, at: path) else { return nil }
        if text == "memory" { return .memory }
        guard text.hasPrefix("redis://") else {
            report("expected memory or redis://host:port", at: path, node: node)
            return nil
        }
        let authority = text.dropFirst("redis://".count)
        guard !authority.contains("@"), !authority.contains("/") else {
            report("expected redis://host:port with no user, password or database", at: path, node: node)
            return nil
        }
        do {
            let address = try HostAndPort(authority)
            guard address.port != 0 else {
                report("the port must be a number from 1 to 65535", at: path, node: node)
                return nil
            }
            return .redis(host: address.hostText, port: address.port ?? 6379)
        } catch {
            report(error.message, at: path, node: node)
            return nil
        }
    }
}
