import SwitchyardHTTP
import SwitchyardIO

/// Counters of one simulator since it started or was last reset.
public struct SimulatorStatistics: Sendable, Equatable {
    /// TCP connections accepted, the control API's own included.
    public var acceptedConnections: Int
    /// Vendor requests received (control API requests are not counted).
    public var requests: Int
    /// Connections open now.
    public var openConnections: Int

    var json: [String: Any] {
        ["acceptedConnections": acceptedConnections, "requests": requests, "openConnections": openConnections]
    }
}

/// Everything a simulator knows: its vendor's state, the fault queue, the recorded requests and
/// the counters' baselines. The control API, the responder and the host's in-process calls all
/// work on it.
///
/// `@unchecked Sendable` because it is confined to the host's loop: the host touches it on
/// another thread only before the loop's thread starts or after it ended.
final class SimulatorState: @unchecked Sendable {
    let configuration: SimulatorConfiguration
    let vendor: any VendorSimulator
    var faults = FaultQueue()
    var recorder: RequestRecorder
    private var serverStatistics: HTTPServerStatistics?
    private var connectionLimit: ConnectionLimit?
    private var acceptedBaseline = 0

    init(configuration: SimulatorConfiguration) {
        self.configuration = configuration
        self.recorder = RequestRecorder(capacity: configuration.maxRecordedRequests)
        self.vendor = switch configuration.vendor {
        case .gate: GateSimulator(configuration: configuration)
        case .mobileFirstPush: MobileFirstPushSimulator(configuration: configuration)
        case .controlCenter: ControlCenterSimulator(configuration: configuration)
        case .vodlix: VodlixSimulator(configuration: configuration)
        case .iotSecurity: IoTSecuritySimulator(configuration: configuration)
        }
    }

    /// Connects the server's counters, which exist only once the server does.
    func attach(statistics: HTTPServerStatistics, connections: ConnectionLimit) {
        serverStatistics = statistics
        connectionLimit = connections
    }

    var statistics: SimulatorStatistics {
        SimulatorStatistics(
            acceptedConnections: (serverStatistics?.acceptedCount ?? 0) - acceptedBaseline,
            requests: recorder.total,
            openConnections: connectionLimit?.current ?? 0
        )
    }

    /// Seeds the vendor from the control API's JSON (`"replace": true` forgets devices first).
    func seed(_ bytes: [UInt8]) throws(SimulatorError) {
        guard var document = SimulatorJSON.object(bytes) else {
            throw SimulatorError("the seed must be a JSON object")
        }
        var replacing = false
        if let replace = document.removeValue(forKey: "replace") {
            guard SimulatorJSON.isBoolean(replace), let flag = replace as? Bool else {
                throw SimulatorError("\"replace\" must be true or false")
            }
            replacing = flag
        }
        try vendor.seed(document, replacing: replacing)
    }

    /// Back to the state at start: seeded defaults, no faults, no recorded requests, counters at 0.
    func reset() {
        vendor.reset()
        faults.removeAll()
        recorder.removeAll()
        acceptedBaseline = serverStatistics?.acceptedCount ?? 0
    }

    /// What a client needs to talk to this simulator, for `GET /_simulator/info` and demos.
    var info: [String: Any] {
        var credentials: [String: Any] = [:]
        for (key, value) in configuration.credentials.configurationKeys { credentials[key] = value }
        var info: [String: Any] = [
            "vendor": configuration.vendor.rawValue,
            "pathPrefix": configuration.pathPrefix,
            "credentials": credentials,
            "endpoints": configuration.vendor.endpoints.map { endpoint -> String in
                let space = endpoint.firstIndex(of: " ")!
                return endpoint[..<space] + " " + configuration.pathPrefix + endpoint[endpoint.index(after: space)...]
            },
            "faultKinds": SimulatorFault.kindNames,
        ]
        if let limit = configuration.rateLimit {
            info["rateLimit"] = ["requests": limit.requests, "perSeconds": limit.perSeconds]
        }
        return info
    }
}
