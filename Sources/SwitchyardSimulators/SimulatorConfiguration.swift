import SwitchyardDevices

/// "At most `requests` in any `perSeconds`" for one account or tenant.
public struct SimulatorRateLimit: Sendable, Equatable {
    public var requests: Int
    public var perSeconds: Double

    public init(requests: Int, perSeconds: Double) {
        precondition(requests > 0 && perSeconds > 0, "a rate limit needs a positive count and window")
        self.requests = requests
        self.perSeconds = perSeconds
    }
}

/// Everything one simulator needs: which vendor it plays, where it listens, its TLS identity, the
/// path prefix in front of the vendor's paths and the credentials it accepts. Every field but the
/// certificate has a default a demo can print.
public struct SimulatorConfiguration: Sendable {
    public var vendor: Vendor
    /// A numeric address or a name (resolved once, at start).
    public var host: String
    /// 0 lets the kernel choose (read it back from `SimulatorHost.port`).
    public var port: UInt16
    /// PEM certificate (or chain) and key for the HTTPS listener.
    public var certificatePath: String
    public var privateKeyPath: String
    /// Prepended to every vendor path, like the path part of a tenant's `upstream`. Empty, or
    /// starting with `/` and not ending with one. The control API (`/_simulator/…`) is never
    /// prefixed.
    public var pathPrefix: String
    public var credentials: SimulatorCredentials
    /// The vendor's documented limit (control-center 5 per second per account, iot-security 180
    /// per minute per tenant); nil for none. The others document no limit.
    public var rateLimit: SimulatorRateLimit?
    /// mobilefirst-push: `expires_in` of the tokens it issues.
    public var tokenLifetimeSeconds: Int
    /// mobilefirst-push: the scopes its client may ask for; a trailing `*` matches any rest.
    public var grantableScopes: [String]
    /// Start (and `reset` back to) the seeded defaults listed in docs/SIMULATORS.md; false
    /// starts with no devices at all.
    public var seedsDefaults: Bool
    /// The newest requests kept for `GET /_simulator/requests`; older ones are dropped.
    public var maxRecordedRequests: Int

    public init(
        vendor: Vendor,
        host: String = "127.0.0.1",
        port: UInt16 = 0,
        certificatePath: String,
        privateKeyPath: String,
        pathPrefix: String? = nil,
        credentials: SimulatorCredentials? = nil
    ) {
        self.vendor = vendor
        self.host = host
        self.port = port
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.pathPrefix = pathPrefix ?? vendor.defaultPathPrefix
        self.credentials = credentials ?? .defaults(for: vendor)
        self.rateLimit = vendor.documentedRateLimit
        self.tokenLifetimeSeconds = 3599
        self.grantableScopes = ["devices.write", "push.application.*"]
        self.seedsDefaults = true
        self.maxRecordedRequests = 1000
    }

    /// The problems that would keep a host from starting, as sentences; empty when it can start.
    public var problems: [String] {
        var problems: [String] = []
        if !credentials.fits(vendor) {
            problems.append("the credentials are not the kind \(vendor.rawValue) uses")
        }
        if !pathPrefix.isEmpty && (!pathPrefix.hasPrefix("/") || pathPrefix.hasSuffix("/")) {
            problems.append("the path prefix must be empty or start with / and not end with one (got \"\(pathPrefix)\")")
        }
        if pathPrefix.hasPrefix(ControlAPI.root) {
            problems.append("the path prefix may not lie under \(ControlAPI.root)")
        }
        if tokenLifetimeSeconds <= 0 { problems.append("tokenLifetimeSeconds must be positive") }
        if maxRecordedRequests < 0 { problems.append("maxRecordedRequests may not be negative") }
        return problems
    }
}

extension Vendor {
    /// gate's documented base URL carries `/api/v1`; the others' paths start at the host.
    public var defaultPathPrefix: String {
        self == .gate ? "/api/v1" : ""
    }

    /// The limit the vendor documents (see docs/VENDORS.md), which its simulator enforces.
    public var documentedRateLimit: SimulatorRateLimit? {
        switch self {
        case .controlCenter: SimulatorRateLimit(requests: 5, perSeconds: 1)
        case .iotSecurity: SimulatorRateLimit(requests: 180, perSeconds: 60)
        case .gate, .mobileFirstPush, .vodlix: nil
        }
    }

    /// The vendor's endpoints, method and path (without the prefix), for help texts.
    public var endpoints: [String] {
        switch self {
        case .gate: ["POST /device_app_user_update/"]
        case .mobileFirstPush: ["POST /mfp/api/az/v1/token", "PUT /imfpush/v1/apps/{applicationId}/devices/{deviceId}"]
        case .controlCenter: ["PUT /rws/api/v1/devices/{iccid}"]
        case .vodlix: ["POST /v2/device"]
        case .iotSecurity: ["PUT /pub/v4.0/device/bulkUpdate?customerid={customerId}&updateSource={updateSource}"]
        }
    }
}
