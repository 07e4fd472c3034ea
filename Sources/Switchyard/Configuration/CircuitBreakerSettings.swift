import Yams

/// A tenant's circuit breaker (API.md §7): on by default with these values. When at least
/// `minimumCalls` vendor calls were made in the last `windowSeconds` and `failureRatio` of them
/// failed (transport failure, timeout, vendor 5xx; never a vendor 4xx), the circuit opens for
/// `openSeconds`: calls are answered 503 `upstream_unavailable` at once, without a vendor call.
public struct CircuitBreakerSettings: Sendable, Equatable {
    /// More than 0, at most 1.
    public var failureRatio = 0.5
    /// 1 to 1000000.
    public var minimumCalls = 20
    /// Whole seconds, 1 to 300: the window is counted in one-second steps.
    public var windowSeconds = 10
    /// More than 0, at most 3600.
    public var openSeconds = 30.0

    public init() {}

    static let keys = ["failureRatio", "minimumCalls", "windowSeconds", "openSeconds"]
}

extension ConfigurationDecoder {
    func circuitBreakerSettings(_ node: Node, at path: ConfigurationKeyPath) -> CircuitBreakerSettings? {
        guard let map = mapping(node, at: path) else { return nil }
        map.rejectUnknownKeys(known: CircuitBreakerSettings.keys)
        var settings = CircuitBreakerSettings()
        let ratio = map.decode("failureRatio") { self.ratio($0, at: $1, allowsZero: false) }
        let minimumCalls = map.integer("minimumCalls", in: 1...1_000_000)
        let windowSeconds = map.integer("windowSeconds", in: 1...300)
        let openSeconds = map.decode("openSeconds") { self.seconds($0, at: $1) }
        // A key that is there but wrong was reported; the tenant is refused with it.
        guard map.value("failureRatio") == nil || ratio != nil, map.value("minimumCalls") == nil || minimumCalls != nil,
              map.value("windowSeconds") == nil || windowSeconds != nil, map.value("openSeconds") == nil || openSeconds != nil
        else { return nil }
        settings.failureRatio = ratio ?? settings.failureRatio
        settings.minimumCalls = minimumCalls ?? settings.minimumCalls
        settings.windowSeconds = windowSeconds ?? settings.windowSeconds
        settings.openSeconds = openSeconds ?? settings.openSeconds
        return settings
    }
}
