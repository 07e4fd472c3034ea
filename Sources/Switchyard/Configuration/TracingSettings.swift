import Yams

/// `observability.tracing` (API.md §4, §6): where spans go, how many traces are kept and what the
/// gateway calls itself in them. Tracing is on only when the section names an `otlpEndpoint`.
public struct TracingSettings: Sendable, Equatable {
    /// The OTLP/HTTP traces URL spans are POSTed to: HTTPS, or plain HTTP to a loopback collector
    /// (a sidecar or node agent), for the same reason as a vendor's `upstream`: spans carry client
    /// addresses, tenants and device ids in vendor URLs.
    public var endpoint: UpstreamEndpoint
    /// The share of traces started here that are recorded, from 0 to 1; a trace the client started
    /// follows the client's sampled flag instead.
    public var sampleRatio = 1.0
    /// The resource's `service.name`.
    public var serviceName = "switchyard"

    static let keys = ["otlpEndpoint", "sampleRatio", "serviceName"]
    /// The OTLP/HTTP path for traces, used when the endpoint names none.
    static let defaultPath = "/v1/traces"
}

extension ConfigurationDecoder {
    /// Nil when the section has no `otlpEndpoint` (tracing off) or something in it is wrong
    /// (reported): the other two keys are still checked, so a file with a bad ratio is refused
    /// even while tracing is off.
    func tracingSettings(_ node: Node, at path: ConfigurationKeyPath) -> TracingSettings? {
        guard let map = mapping(node, at: path) else { return nil }
        map.rejectUnknownKeys(known: TracingSettings.keys)
        let endpoint = map.decode("otlpEndpoint") { collectorEndpoint($0, at: $1) }
        let ratio = map.decode("sampleRatio") { self.ratio($0, at: $1) }
        let serviceName = map.string("serviceName")
        guard var endpoint else { return nil }
        if endpoint.pathPrefix.isEmpty { endpoint.pathPrefix = TracingSettings.defaultPath }
        var settings = TracingSettings(endpoint: endpoint)
        settings.sampleRatio = ratio ?? settings.sampleRatio
        settings.serviceName = serviceName ?? settings.serviceName
        return settings
    }

    private func collectorEndpoint(_ node: Node, at path: ConfigurationKeyPath) -> UpstreamEndpoint? {
        guard let text = string(node, at: path) else { return nil }
        // Checked before the shared URL rules, whose advice speaks of vendor credentials.
        if let authority = text.split(separator: "/", omittingEmptySubsequences: false).dropFirst(2).first,
           authority.contains("@") {
            report("must not contain user information", at: path, node: node)
            return nil
        }
        if text.contains("?") || text.contains("#") {
            report("must not have a query or fragment", at: path, node: node)
            return nil
        }
        do {
            return try UpstreamEndpoint(parsing: text)
        } catch {
            report(error.message, at: path, node: node)
            return nil
        }
    }
}
