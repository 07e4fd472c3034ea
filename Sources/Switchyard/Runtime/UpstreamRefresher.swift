import Logging
import Synchronization
import SwitchyardHTTP
import SwitchyardIO

/// Follows the vendors' DNS (API.md §4): every `limits.dnsRefreshSeconds`, off the loops, each
/// tenant's upstream name (and the trace collector's) is resolved again and new connections use the answer.
///
/// The log says when a tenant's name stops or starts resolving, once per change rather than once
/// per pass, so an outage of the resolver is one line per tenant and not a line every interval.
final class UpstreamRefresher: Sendable {
    private let gateway: Gateway
    private let logger: Logger
    private let thread: PeriodicThread
    /// Tenants whose name did not resolve when last looked at, with the host, as logged.
    private let failing = Mutex<[String: String]>([:])

    init(gateway: Gateway, intervalSeconds: Double, logger: Logger) {
        self.gateway = gateway
        self.logger = logger
        thread = PeriodicThread(name: "switchyard-dns", intervalSeconds: intervalSeconds)
    }

    /// Logs the names that do not resolve now (the startup's resolution) and starts refreshing.
    func start() {
        logChanges()
        let started = thread.start { [self] in
            for (_, target) in gateway.upstreams { target.refreshAddresses() }
            gateway.tracer?.refreshCollectorAddresses()
            logChanges()
        }
        if !started {
            logger.error("could not start the DNS refresh thread; upstream names stay as resolved at startup")
        }
    }

    func stop() {
        thread.stop()
    }

    /// Compares each tenant's resolution with what was last logged and logs the difference: after
    /// every refresh pass, and after a reload (which may bring tenants whose name doesn't resolve).
    func logChanges() {
        let upstreams = gateway.upstreams
        failing.withLock { failing in
            var now: [String: String] = [:]
            for (tenant, target) in upstreams.sorted(by: { $0.tenant < $1.tenant }) {
                guard let failure = target.resolutionFailure else {
                    if let host = failing[tenant] { logger.notice("tenant \(tenant): upstream \(host) resolves again") }
                    continue
                }
                now[tenant] = target.host
                guard failing[tenant] == nil else { continue }
                let consequence = target.addresses.isEmpty
                    ? "its requests answer 503 upstream_unavailable until it resolves"
                    : "its last addresses stay in use"
                logger.warning("tenant \(tenant): \(failure.description); \(consequence)")
            }
            failing = now
        }
    }
}
