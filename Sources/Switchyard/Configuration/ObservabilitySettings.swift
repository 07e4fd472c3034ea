import Yams

/// The `observability` section: today only `tracing`.
public struct ObservabilitySettings: Sendable, Equatable {
    /// Nil: no spans are made (the W3C headers are still propagated, API.md §2).
    public var tracing: TracingSettings?

    /// The default: tracing off.
    public init() {}

    static let keys = ["tracing"]
}

extension ConfigurationDecoder {
    func observabilitySettings(_ node: Node, at path: ConfigurationKeyPath) -> ObservabilitySettings {
        var settings = ObservabilitySettings()
        guard let map = mapping(node, at: path) else { return settings }
        map.rejectUnknownKeys(known: ObservabilitySettings.keys)
        settings.tracing = map.decode("tracing") { tracingSettings($0, at: $1) } ?? nil
        return settings
    }
}
