import SwitchyardHTTP
import SwitchyardIO
#if canImport(Glibc)
import Glibc
#endif

extension RuntimeSettings {
    /// The runtime view of a validated configuration. Resolving `listen` and `admin` may look a
    /// name up (`localhost:8443`), which blocks: this runs at startup, never on a loop.
    public init(configuration: GatewayConfiguration) throws {
        func resolve(_ address: ListenAddress) throws -> SocketAddress {
            guard let first = try SocketAddress.resolve(host: address.host, port: address.port).first else {
                throw IOError("resolving \(address)", errno: EHOSTUNREACH)
            }
            return first
        }
        let limits = configuration.limits
        let workers: Int
        switch configuration.workers {
        case .auto: workers = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        case .fixed(let count): workers = count
        }
        self.init(
            listen: try resolve(configuration.listen),
            admin: try configuration.admin.map(resolve),
            certificateChain: configuration.tls.certificatePath,
            privateKey: configuration.tls.privateKeyPath,
            workers: workers,
            limits: ServerLimits(
                http: HTTPLimits(maxHeaderBytes: limits.maxHeaderBytes, maxBodyBytes: limits.maxBodyBytes),
                headerTimeoutSeconds: limits.headerTimeoutSeconds,
                bodyTimeoutSeconds: limits.bodyTimeoutSeconds,
                idleTimeoutSeconds: limits.idleTimeoutSeconds,
                maxPendingBodyBytes: limits.maxPendingBodyBytes
            ),
            maxConnections: limits.maxConnections,
            shutdownGraceSeconds: limits.shutdownGraceSeconds,
            drainDelaySeconds: limits.drainDelaySeconds
        )
    }
}
