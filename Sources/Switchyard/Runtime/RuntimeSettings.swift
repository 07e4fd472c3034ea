import SwitchyardHTTP
import SwitchyardIO

/// What the running gateway needs from its configuration, in the types the I/O layers use:
/// resolved addresses, a worker count, server limits.
public struct RuntimeSettings: Sendable {
    public var listen: SocketAddress
    public var admin: SocketAddress?
    public var certificateChain: String
    public var privateKey: String
    public var workers: Int
    public var limits: ServerLimits
    public var maxConnections: Int
    public var shutdownGraceSeconds: Double
    /// After SIGTERM, how long `/readyz` answers 503 while the listeners still accept (API.md §4).
    public var drainDelaySeconds: Double

    public init(
        listen: SocketAddress, admin: SocketAddress?, certificateChain: String, privateKey: String,
        workers: Int, limits: ServerLimits, maxConnections: Int, shutdownGraceSeconds: Double, drainDelaySeconds: Double = 0
    ) {
        self.listen = listen
        self.admin = admin
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.workers = workers
        self.limits = limits
        self.maxConnections = maxConnections
        self.shutdownGraceSeconds = shutdownGraceSeconds
        self.drainDelaySeconds = drainDelaySeconds
    }
}
