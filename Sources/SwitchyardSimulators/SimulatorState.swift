import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON

/// Counters of one simulator since it started or was last reset.
public struct SimulatorStatistics: Sendable, Equatable {
    /// TCP connections accepted, the control API's own included.
    public var acceptedConnections: Int
    /// Vendor requests received (control API requests are not counted).
    public var requests: Int
    /// Connections open now.
    public var openConnections: Int
    /// Vendor requests received and not yet answered (a `delay` fault holds its answer back).
    public var inFlight: Int
    /// The most vendor requests in flight at once: what a concurrency cap in front of the
    /// simulator must keep at or under the cap.
    public var maxInFlight: Int
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
    private var inFlight = 0
    private var maxInFlight = 0

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
            openConnections: connectionLimit?.current ?? 0,
            inFlight: inFlight,
            maxInFlight: maxInFlight
        )
    }

    /// A vendor request arrived; `callAnswered` when its answer goes (or its connection is dropped).
    func callArrived() {
        inFlight += 1
        maxInFlight = max(maxInFlight, inFlight)
    }

    func callAnswered() {
        inFlight -= 1
    }

    /// Seeds the vendor from the control API's JSON (`"replace": true` forgets devices first).
    func seed(_ bytes: [UInt8]) throws(SimulatorError) {
        guard let document = JSONBody.parse(bytes)?.objectValue else {
            throw SimulatorError("the seed must be a JSON object")
        }
        var replacing = false
        if let replace = document["replace"] {
            guard let flag = replace.boolValue else {
                throw SimulatorError("\"replace\" must be true or false")
            }
            replacing = flag
        }
        try vendor.seed(JSONObject(document.members.filter { $0.name != "replace" }), replacing: replacing)
    }

    /// Back to the state at start: seeded defaults, no faults, no recorded requests, counters at 0.
    func reset() {
        vendor.reset()
        faults.removeAll()
        recorder.removeAll()
        acceptedBaseline = serverStatistics?.acceptedCount ?? 0
        maxInFlight = inFlight
    }
}
