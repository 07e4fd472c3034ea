import Yams

/// Bounds on what one client or one upstream call may cost the gateway.
///
/// Every buffer and wait has a ceiling so that a slow or hostile client cannot hold memory, a worker or
/// a connection slot indefinitely. Seconds are `Double` so tests can use fractions of a second.
public struct Limits: Sendable, Equatable {
    /// Request line plus headers; 431 beyond it. Range 1 KiB to 1 MiB.
    public var maxHeaderBytes = 16_384
    /// Request body after decompression; 413 beyond it. Range 1 byte to 1 GiB.
    public var maxBodyBytes = 1_048_576
    /// Items in one `PATCH /devices`; 413 beyond it. Range 1 to 100000.
    public var maxBulkDevices = 1_000
    /// From accepting a connection (or the first byte of a later request) to a complete header.
    public var headerTimeoutSeconds = 10.0
    /// From a complete header to the end of its body, however steadily the body trickles; 408 beyond it.
    public var bodyTimeoutSeconds = 30.0
    /// Memory all unfinished request bodies of the process may hold (declared lengths count in
    /// full); past it a new request with a body is 503 `overloaded`. Range 64 KiB to 64 GiB.
    public var maxPendingBodyBytes = 256 * 1_048_576
    /// A vendor's answer body, as received and after gzip decoding; 502 `upstream_error` beyond it.
    /// Range 1 KiB to 1 GiB.
    public var maxUpstreamBodyBytes = 1_048_576
    /// A keep-alive connection with no request in progress is closed after this.
    public var idleTimeoutSeconds = 60.0
    /// TCP and TLS handshake to an upstream; 504 `upstream_timeout` beyond it (a deadline, like the
    /// total one; a refused or reset connection is 503 `upstream_unavailable`).
    public var upstreamConnectTimeoutSeconds = 2.0
    /// From sending an upstream request to its complete answer; 504 `upstream_timeout` beyond it.
    public var upstreamTimeoutSeconds = 10.0
    /// How long SIGTERM waits for requests in flight before closing what is left; 0 closes at once.
    public var shutdownGraceSeconds = 10.0
    /// After SIGTERM, how long `/readyz` answers 503 while the listeners still accept, so that load
    /// balancers and Kubernetes endpoints stop sending before anything is refused; 0 skips it.
    public var drainDelaySeconds = 5.0
    /// How often upstream host names are resolved again, off the loops (API.md §4).
    public var dnsRefreshSeconds = 30.0
    /// A bulk update's whole vendor phase, its items' waits for the vendor quota included (API.md §7).
    public var bulkTimeoutSeconds = 300.0
    /// Open client connections of the process (all workers); further ones wait in the kernel's accept queue.
    public var maxConnections = 10_000

    /// The documented defaults, which apply to every key the file leaves out.
    public init() {}

    static let keys = [
        "maxHeaderBytes", "maxBodyBytes", "maxBulkDevices", "headerTimeoutSeconds", "bodyTimeoutSeconds", "idleTimeoutSeconds",
        "maxPendingBodyBytes", "maxUpstreamBodyBytes",
        "upstreamConnectTimeoutSeconds", "upstreamTimeoutSeconds", "shutdownGraceSeconds", "maxConnections",
        "dnsRefreshSeconds", "drainDelaySeconds", "bulkTimeoutSeconds",
    ]
}

extension ConfigurationDecoder {
    func limits(_ node: Node, at path: ConfigurationKeyPath) -> Limits {
        var limits = Limits()
        guard let map = mapping(node, at: path) else { return limits }
        map.rejectUnknownKeys(known: Limits.keys)
        func seconds(_ key: String, allowsZero: Bool = false) -> Double? {
            map.decode(key) { self.seconds($0, at: $1, allowsZero: allowsZero) }
        }
        limits.maxHeaderBytes = map.integer("maxHeaderBytes", in: 1_024...1_048_576) ?? limits.maxHeaderBytes
        limits.maxBodyBytes = map.integer("maxBodyBytes", in: 1...1_073_741_824) ?? limits.maxBodyBytes
        limits.maxBulkDevices = map.integer("maxBulkDevices", in: 1...100_000) ?? limits.maxBulkDevices
        limits.headerTimeoutSeconds = seconds("headerTimeoutSeconds") ?? limits.headerTimeoutSeconds
        limits.bodyTimeoutSeconds = seconds("bodyTimeoutSeconds") ?? limits.bodyTimeoutSeconds
        limits.idleTimeoutSeconds = seconds("idleTimeoutSeconds") ?? limits.idleTimeoutSeconds
        limits.maxPendingBodyBytes = map.integer("maxPendingBodyBytes", in: 65_536...68_719_476_736) ?? limits.maxPendingBodyBytes
        limits.maxUpstreamBodyBytes = map.integer("maxUpstreamBodyBytes", in: 1_024...1_073_741_824) ?? limits.maxUpstreamBodyBytes
        limits.upstreamConnectTimeoutSeconds =
            seconds("upstreamConnectTimeoutSeconds") ?? limits.upstreamConnectTimeoutSeconds
        limits.upstreamTimeoutSeconds = seconds("upstreamTimeoutSeconds") ?? limits.upstreamTimeoutSeconds
        limits.shutdownGraceSeconds = seconds("shutdownGraceSeconds", allowsZero: true) ?? limits.shutdownGraceSeconds
        limits.dnsRefreshSeconds = seconds("dnsRefreshSeconds") ?? limits.dnsRefreshSeconds
        limits.bulkTimeoutSeconds = seconds("bulkTimeoutSeconds") ?? limits.bulkTimeoutSeconds
        limits.drainDelaySeconds = seconds("drainDelaySeconds", allowsZero: true) ?? limits.drainDelaySeconds
        limits.maxConnections = map.integer("maxConnections", in: 1...1_000_000) ?? limits.maxConnections
        return limits
    }
}
