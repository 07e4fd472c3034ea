import SwitchyardDevices
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SwitchyardHTTP
import SwitchyardIO

/// One vendor simulator serving HTTPS on its own event loop (one thread), for tests, demos and
/// `switchyard simulate`. Several hosts live side by side in one process, each isolated.
///
/// ```swift
/// let sim = try SimulatorHost(configuration: SimulatorConfiguration(
///     vendor: .gate, certificatePath: "certs/dev/server.crt", privateKeyPath: "certs/dev/server.key"))
/// sim.start()
/// print(sim.baseURL)          // https://localhost:40123/api/v1
/// sim.inject(SimulatorFault(.vendorError(status: 500, errorCode: nil, body: nil, headers: []), count: 2))
/// sim.stop()
/// ```
///
/// A host runs once: `start()`, then `stop()`. The in-process control methods (`inject`,
/// `recordedRequests`, …) do what the control API does and wait for the loop to do it, so they
/// must not be called from the host's own loop.
public final class SimulatorHost: Sendable {
    public let configuration: SimulatorConfiguration
    /// The bound address, with the kernel's port when the configuration said 0.
    public let address: SocketAddress
    private let loop: EventLoop
    private let server: HTTPServer
    private let state: SimulatorState
    private let lifecycle = Mutex<Lifecycle>(.created)

    private enum Lifecycle {
        case created
        case running(EventLoopThread)
        case stopped
    }

    /// Loads the certificate, binds the listener and seeds the vendor; serves nothing until
    /// `start()`. Throws `SimulatorError` for a configuration that cannot work, or the I/O or
    /// OpenSSL error that stopped it.
    public init(configuration: SimulatorConfiguration) throws {
        let problems = configuration.problems
        guard problems.isEmpty else { throw SimulatorError(problems.joined(separator: "; ")) }
        // A client that vanishes mid-answer must not kill the process that hosts the simulator.
        Signals.ignoreBrokenPipe()
        let tls = try TLSContext.server(certificateChain: configuration.certificatePath, privateKey: configuration.privateKeyPath)
        let bind = try SocketAddress.resolve(host: configuration.host, port: configuration.port)[0]
        self.configuration = configuration
        loop = try EventLoop(index: 0)
        state = SimulatorState(configuration: configuration)
        server = try HTTPServer(
            address: bind,
            loops: [loop],
            tls: tls,
            limits: ServerLimits(http: HTTPLimits(maxBodyBytes: 8 * 1_048_576), headerTimeoutSeconds: 10, idleTimeoutSeconds: 30),
            connectionLimit: ConnectionLimit(maximum: 4096),
            responder: SimulatorResponder(state: state)
        )
        address = server.address
        state.attach(statistics: server.statistics, connections: server.connectionLimit)
    }

    deinit {
        stop(gracePeriod: 0)
    }

    public var port: UInt16 { address.port }
    public var vendor: Vendor { configuration.vendor }
    public var credentials: SimulatorCredentials { configuration.credentials }

    /// `https://localhost:PORT` plus the path prefix: what a tenant's `upstream` should say. The
    /// dev certificate names localhost, 127.0.0.1 and ::1; other hosts are named as bound.
    public var baseURL: String { origin + configuration.pathPrefix }
    /// Where the control API lives.
    public var controlURL: String { origin + ControlAPI.root }

    private var origin: String {
        let host = switch address.host {
        case "127.0.0.1", "::1", "0.0.0.0", "::": "localhost"
        case let other where address.family == .ipv6: "[\(other)]"
        case let other: other
        }
        return "https://\(host):\(port)"
    }

    /// Starts the loop's thread; from now on the simulator answers.
    public func start() {
        lifecycle.withLock { lifecycle in
            guard case .created = lifecycle else { preconditionFailure("a SimulatorHost starts once") }
            lifecycle = .running(loop.start(name: "sim-\(configuration.vendor.rawValue)"))
        }
    }

    /// Stops accepting, lets answers under way finish for up to `gracePeriod` seconds (a delayed
    /// answer may take longer: it is then dropped), and ends the loop's thread.
    public func stop(gracePeriod: Double = 2) {
        lifecycle.withLock { lifecycle in
            guard case .running(let thread) = lifecycle else {
                lifecycle = .stopped
                return
            }
            server.beginShutdown()
            // The loop runs tasks in order: once this one ran, the listener is closed. Stopping
            // the loop before then could leave the shutdown task unrun and the port bound.
            let shutdownRan = DispatchSemaphore(value: 0)
            loop.execute { _ in shutdownRan.signal() }
            shutdownRan.wait()
            let deadline = MonotonicClock.now() + MonotonicClock.nanoseconds(seconds: gracePeriod)
            while server.openConnections > 0 && MonotonicClock.now() < deadline {
                usleep(5_000)
            }
            loop.stop()
            thread.join()
            lifecycle = .stopped
        }
    }

    // MARK: In-process control (what the control API does)

    /// Queues a fault for the next matching vendor requests.
    public func inject(_ fault: SimulatorFault) {
        onLoop { $0.faults.add(fault) }
    }

    /// The faults still waiting, in order, with their remaining counts.
    public func pendingFaults() -> [SimulatorFault] {
        onLoop { $0.faults.pending }
    }

    public func clearFaults() {
        onLoop { $0.faults.removeAll() }
    }

    /// The vendor requests recorded since start, reset or `clearRecordedRequests`, oldest first.
    public func recordedRequests() -> [RecordedRequest] {
        onLoop { $0.recorder.requests }
    }

    public func clearRecordedRequests() {
        onLoop { $0.recorder.removeAll() }
    }

    public func statistics() -> SimulatorStatistics {
        onLoop { $0.statistics }
    }

    /// Seeds state from the control API's JSON form (docs/SIMULATORS.md, per vendor).
    public func seed(json: String) throws(SimulatorError) {
        let result: Result<Void, SimulatorError> = onLoop { state in
            Result { () throws(SimulatorError) in try state.seed(Array(json.utf8)) }
        }
        try result.get()
    }

    /// The vendor's state as `GET /_simulator/devices` shows it (JSON text).
    public func stateJSON() -> String {
        onLoop { String(decoding: $0.vendor.state.jsonBytes, as: UTF8.self) }
    }

    /// Back to the seeded defaults, with no faults, recordings or counts.
    public func reset() {
        onLoop { $0.reset() }
    }

    /// Runs `body` with the state on the loop's thread and waits for it; before start and after
    /// stop no loop runs, so it runs here (under the lifecycle lock, which orders it with them).
    private func onLoop<T: Sendable>(_ body: @escaping @Sendable (SimulatorState) -> T) -> T {
        lifecycle.withLock { lifecycle in
            guard case .running = lifecycle else { return body(state) }
            let box = ResultBox<T>()
            let done = DispatchSemaphore(value: 0)
            loop.execute { [state] _ in
                box.value = body(state)
                done.signal()
            }
            done.wait()
            return box.value!
        }
    }
}

/// Carries a result from the loop's thread to the waiting one; the semaphore orders the write
/// before the read, which is why the unchecked `Sendable` is sound.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
