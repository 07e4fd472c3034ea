import Logging
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The running gateway: one event loop per worker, the TLS listener on every loop, the admin
/// listener on the first, and the graceful shutdown that ties them together.
///
/// `@unchecked Sendable`: built, started and shut down from the main thread; `threads`, its one
/// mutable member, is written by `start` and read by `shutdown`, both on that thread.
public final class GatewayRuntime: @unchecked Sendable {
    public let settings: RuntimeSettings
    public let gateway: Gateway
    public let admin: AdminResponder
    public let server: HTTPServer
    public let adminServer: HTTPServer?
    private let loops: [EventLoop]
    private var threads: [EventLoopThread] = []
    private let logger: Logger
    private let reloader: Reloader
    /// Returns a flood's heap to the kernel once it is over.
    private let trimmer = MemoryTrimmer()
    /// Follows the vendors' DNS.
    private let refresher: UpstreamRefresher
    /// Records the loops' metric events once a second, so that a scrape has little left to do.
    private let metricsCollection = PeriodicThread(name: "switchyard-prom", intervalSeconds: 1)

    /// Loads the certificate, binds every listener and registers them; nothing runs until `start()`.
    /// Failing here (a bad key, a port in use) fails startup with a message naming the cause.
    /// `adapter` makes each tenant's vendor adapter (SwitchyardVendors, which builds on this
    /// module). `configurationPath` is the file SIGHUP and `POST /-/reload` read again (nil: no reload).
    public init(settings: RuntimeSettings, configuration: GatewayConfiguration,
                adapter: @escaping @Sendable (TenantConfiguration) -> any VendorAdapter,
                configurationPath: String? = nil, logger: Logger) throws {
        self.settings = settings
        self.logger = logger
        Signals.ignoreBrokenPipe()
        let tls = try TLSContext.server(certificateChain: settings.certificateChain, privateKey: settings.privateKey)
        let loops = try (0..<max(1, settings.workers)).map { try EventLoop(index: $0) }
        self.loops = loops
        self.gateway = try Gateway(configuration: configuration, loops: loops, adapter: adapter, log: { [logger] in logger.warning("\($0)") })
        let gateway = self.gateway
        let refresher = UpstreamRefresher(gateway: gateway, intervalSeconds: configuration.limits.dnsRefreshSeconds, logger: logger)
        self.refresher = refresher
        let server = try HTTPServer(
            address: settings.listen, loops: loops, tls: tls, limits: settings.limits,
            connectionLimit: ConnectionLimit(maximum: settings.maxConnections), responder: gateway
        )
        self.server = server
        let reload = Reloader(path: configurationPath, gateway: gateway, server: server, refresher: refresher, logger: logger)
        self.reloader = reload
        let reloadHandler: (@Sendable () -> (succeeded: Bool, message: String))?
        if configurationPath != nil {
            reloadHandler = { reload.reload() }
        } else {
            reloadHandler = nil
        }
        // The admin server is made after its responder, which reads its connections: a box
        // filled in once, before anything can scrape.
        let adminServerBox = Mutex<HTTPServer?>(nil)
        self.admin = AdminResponder(metrics: {
            let adminConnections = adminServerBox.withLock { $0?.openConnections } ?? 0
            return gateway.metricsExposition { reading in
                Self.read(server, adminConnections: adminConnections, reloads: reload, into: &reading)
            }
        }, reload: reloadHandler, migrations: { gateway.migrationReports() })
        if let adminAddress = settings.admin {
            // The admin listener answers probes and operators: a few connections on one loop.
            let adminServer = try HTTPServer(
                address: adminAddress, loops: [loops[0]], tls: nil,
                limits: ServerLimits(http: HTTPLimits(maxHeaderBytes: 8192, maxBodyBytes: 65536),
                                     headerTimeoutSeconds: 5, idleTimeoutSeconds: 30),
                connectionLimit: ConnectionLimit(maximum: 64), responder: admin
            )
            adminServerBox.withLock { $0 = adminServer }
            self.adminServer = adminServer
        } else {
            self.adminServer = nil
        }
    }

    /// What the listeners and the reloader count, for a scrape: connections, what the
    /// hostile-client defences hold and refuse, TLS handshakes, reloads.
    private static func read(_ server: HTTPServer, adminConnections: Int, reloads: Reloader,
                             into reading: inout GatewayMetrics.Reading) {
        let statistics = server.statistics
        reading.level(.connectionsActive, ["tls"], server.openConnections)
        reading.level(.connectionsActive, ["admin"], adminConnections)
        reading.level(.pendingBodyBytes, [], server.pendingBodies.current)
        reading.total(.clientTimeouts, [], statistics.timeoutCount)
        reading.total(.clientRejections, [], statistics.rejectionCount)
        reading.total(.tlsHandshakes, ["ok", "false"], statistics.fullHandshakeCount)
        reading.total(.tlsHandshakes, ["ok", "true"], statistics.resumedHandshakeCount)
        reading.total(.tlsHandshakes, ["failed", "false"], statistics.failedHandshakeCount)
        reading.total(.configReloads, ["ok"], reloads.succeededCount)
        reading.total(.configReloads, ["refused"], reloads.refusedCount)
    }

    public func start() {
        threads = loops.map { $0.start(name: "switchyard-\($0.index)") }
        gateway.tracer?.start()
        trimmer.start()
        refresher.start()
        let gateway = gateway
        metricsCollection.start { gateway.collectMetrics() }
        var message: Logger.Message = "listening on https://\(server.address) with \(loops.count) workers"
        if let adminServer { message = "\(message); admin on http://\(adminServer.address)" }
        logger.info(message)
    }

    /// The drain (API.md §4): `/readyz` answers 503 at once while both listeners still accept, for
    /// `drainDelay` seconds, so that load balancers and Kubernetes endpoints stop sending before
    /// anything is refused; then stops accepting, lets requests in flight finish for up to the
    /// grace period (keep-alive clients get `Connection: close` on their next answer), closes what
    /// is left, stops the loops. Returns the number of connections cut off at the deadline.
    @discardableResult
    public func shutdown(drainDelay: Double = 0) -> Int {
        admin.markDraining()
        if drainDelay > 0 { usleep(UInt32(min(drainDelay, 3600) * 1_000_000)) }
        logger.info("shutting down: draining connections for up to \(settings.shutdownGraceSeconds) s")
        server.beginShutdown()
        adminServer?.beginShutdown()
        let deadline = MonotonicClock.now() + MonotonicClock.nanoseconds(seconds: settings.shutdownGraceSeconds)
        while server.openConnections + (adminServer?.openConnections ?? 0) > 0 && MonotonicClock.now() < deadline {
            usleep(20_000)
        }
        let remaining = server.openConnections + (adminServer?.openConnections ?? 0)
        gateway.close()
        trimmer.stop()
        refresher.stop()
        metricsCollection.stop()
        for loop in loops { loop.stop() }
        for thread in threads { thread.join() }
        gateway.finishTracing()
        if let tracer = gateway.tracer {
            logger.info("traces: \(tracer.exportedSpanCount) spans exported, \(tracer.droppedSpanCount) dropped, \(tracer.failedExportCount) failed exports")
        }
        return remaining
    }

    /// `switchyard serve`: runs until SIGTERM or SIGINT, then drains and returns. Ctrl-C (SIGINT) is
    /// a person at a terminal, whom no load balancer routes by: it skips the drain delay.
    public func runUntilSignalled() {
        while true {
            switch Signals.wait() {
            case .terminate:
                return stop(drainDelay: settings.drainDelaySeconds)
            case .interrupt:
                return stop(drainDelay: 0)
            case .hangup:
                _ = reloader.reload()
            }
        }
    }

    private func stop(drainDelay: Double) {
        if drainDelay > 0 { logger.info("draining: /readyz answers 503; the listeners close in \(drainDelay) s") }
        let cut = shutdown(drainDelay: drainDelay)
        if cut > 0 {
            logger.warning("grace period over: closed \(cut) connections with requests unfinished")
        } else {
            logger.info("drained; bye")
        }
    }
}

/// Reads the configuration file again and applies it (SIGHUP, `POST /-/reload`): one reload at
/// a time, a bad file refused with the running configuration kept, each outcome logged.
final class Reloader: Sendable {
    let path: String?
    let gateway: Gateway
    /// Handed the certificate and key the file names, read again on each reload.
    let server: HTTPServer
    /// Told after each reload, which may bring tenants whose name doesn't resolve.
    let refresher: UpstreamRefresher
    let logger: Logger
    private let lock = Mutex(())
    private let succeeded = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)

    /// Reloads so far, by outcome, for `switchyard_config_reloads_total`.
    var succeededCount: Int { succeeded.load(ordering: .relaxed) }
    var refusedCount: Int { refused.load(ordering: .relaxed) }

    init(path: String?, gateway: Gateway, server: HTTPServer, refresher: UpstreamRefresher, logger: Logger) {
        self.path = path
        self.gateway = gateway
        self.server = server
        self.refresher = refresher
        self.logger = logger
    }

    /// Whether the new configuration is in effect, and what to tell the operator.
    func reload() -> (succeeded: Bool, message: String) {
        guard let path else { return (false, "this gateway was not started from a file") }
        return lock.withLock { _ in
            let outcome: (succeeded: Bool, message: String)
            do {
                let configuration = try GatewayConfiguration.load(path: path)
                // The certificate and key first: a pair that doesn't load refuses the whole reload.
                let tls = try TLSContext.server(certificateChain: configuration.tls.certificatePath,
                                                privateKey: configuration.tls.privateKeyPath)
                let restartOnly = try gateway.apply(configuration)
                server.replaceTLS(tls)
                var message = "\(path): reloaded (\(configuration.tenants.count) tenants)"
                if !restartOnly.isEmpty {
                    message += "; changed but applied only on restart: \(restartOnly.joined(separator: ", "))"
                }
                outcome = (true, message)
            } catch {
                outcome = (false, "\(path): reload refused, the running configuration is kept: \(error)")
            }
            if outcome.succeeded {
                succeeded.add(1, ordering: .relaxed)
                logger.notice("\(outcome.message)")
                refresher.logChanges()
            } else {
                refused.add(1, ordering: .relaxed)
                logger.error("\(outcome.message)")
            }
            return outcome
        }
    }
}
