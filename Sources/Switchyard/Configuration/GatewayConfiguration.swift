import Foundation
import Yams

/// Everything the gateway is told by its configuration file (API.md §4), typed and validated.
///
/// A value is only ever produced from a file that passed every check, so the server, a reload and
/// `switchyard check` share one definition of "valid", and code that receives a configuration never
/// re-validates it. A reload builds a new value and swaps it in whole; `Equatable` tells whether
/// anything changed.
public struct GatewayConfiguration: Sendable, Equatable {
    /// Event-loop processes; default `auto`.
    public var workers = WorkerCount.auto
    /// The TLS listener for clients; default `0.0.0.0:8443`.
    public var listen: ListenAddress
    /// The plain-HTTP listener for /healthz, /readyz, /metrics and /-/reload; default
    /// `127.0.0.1:9090`, `nil` when the file says `admin: off`.
    public var admin: ListenAddress?
    public var tls: TLSSettings
    public var limits: Limits
    public var auth: AuthSettings
    public var rateLimit: RateLimitSettings
    /// Keyed by tenant name.
    public var tenants: [String: TenantConfiguration]
    /// A JSON line per `/devices` request on standard output (default), or `off`.
    public var accessLog = AccessLogDestination.stdout
    /// How the gateway's own messages (startup, reload, outages) are written to standard error.
    public var logFormat = LogFormat.text
    /// Traces (API.md §6); off by default.
    public var observability = ObservabilitySettings()
    /// `Idempotency-Key` answers (API.md §2).
    public var idempotency = IdempotencySettings()

    static let keys = [
        "workers", "listen", "admin", "tls", "limits", "auth", "rateLimit", "tenants", "accessLog", "logFormat", "observability",
        "idempotency",
    ]

    /// Valid but probably not what the operator meant; `check` and `serve` print these.
    public var warnings: [String] {
        var warnings: [String] = []
        if tenants.isEmpty { warnings.append("tenants: none configured; no /devices request can be served") }
        if auth.jwt == nil && auth.apiKeys.isEmpty {
            warnings.append("auth: neither jwt nor apiKeys configured; no client can authenticate")
        }
        return warnings
    }

    /// Reads and validates the file at `path`; relative paths inside it are resolved against its directory.
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> GatewayConfiguration {
        let (yaml, directory) = try read(path)
        return try parse(yaml: yaml, baseDirectory: directory, source: path, environment: environment)
    }

    /// What minting a token needs from the file at `path`, and nothing else: the `auth` section,
    /// validated, and the tenants' names. TLS files, listeners and vendor credentials (with the
    /// environment variables they name) are not read, so `switchyard token` works where only
    /// the secret is at hand, as on a developer's machine or in a CI job.
    public static func loadTokenSettings(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> (auth: AuthSettings, tenantNames: Set<String>) {
        let (yaml, directory) = try read(path)
        let (decoder, root) = try compose(yaml: yaml, baseDirectory: directory, source: path, environment: environment)
        var tenantNames = Set<String>()
        var auth = AuthSettings.none
        if let map = decoder.mapping(root, at: .root) {
            tenantNames = Set(map.mapping("tenants")?.keys ?? [])
            auth = map.decode("auth") { decoder.authSettings($0, at: $1, tenantNames: tenantNames) } ?? .none
        }
        guard decoder.problems.isEmpty else { throw ConfigurationError(problems: decoder.problems.sortedByLocation()) }
        return (auth, tenantNames)
    }

    /// The file's text and the directory its relative paths are resolved against.
    private static func read(_ path: String) throws(ConfigurationError) -> (yaml: String, directory: String) {
        let absolute = ConfigurationFilePath.resolve(path, against: FileManager.default.currentDirectoryPath)
        let unreadable = { (message: String) in
            ConfigurationError(problems: [
                ConfigurationProblem(source: path, keyPath: "", line: nil, column: nil, message: message),
            ])
        }
        if let problem = ConfigurationFilePath.whyUnreadable(absolute) { throw unreadable(problem) }
        guard let data = FileManager.default.contents(atPath: absolute) else {
            throw unreadable("cannot read \(absolute)")
        }
        guard let yaml = String(data: data, encoding: .utf8) else { throw unreadable("not UTF-8 text") }
        let parent = String(absolute[..<(absolute.lastIndex(of: "/") ?? absolute.startIndex)])
        return (yaml, parent.isEmpty ? "/" : parent)
    }

    /// Validates `yaml` as if read from a file named `source` in `baseDirectory` (what relative paths
    /// are resolved against; a relative directory is taken from the working directory).
    public static func parse(
        yaml: String, baseDirectory: String, source: String, environment: [String: String]
    ) throws(ConfigurationError) -> GatewayConfiguration {
        let (decoder, root) = try compose(yaml: yaml, baseDirectory: baseDirectory, source: source, environment: environment)
        let configuration = decoder.gatewayConfiguration(root)
        guard let configuration, decoder.problems.isEmpty else {
            assert(!decoder.problems.isEmpty, "a configuration is only missing after a reported problem")
            throw ConfigurationError(problems: decoder.problems.sortedByLocation())
        }
        return configuration
    }

    /// The YAML's node tree and a decoder for it; a syntax error or an empty file is the one problem.
    private static func compose(
        yaml: String, baseDirectory: String, source: String, environment: [String: String]
    ) throws(ConfigurationError) -> (ConfigurationDecoder, Node) {
        let decoder = ConfigurationDecoder(
            source: source,
            baseDirectory: ConfigurationFilePath.resolve(baseDirectory, against: FileManager.default.currentDirectoryPath),
            environment: environment)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationError(problems: [YAMLSyntaxProblem.problem(for: error, source: source)])
        }
        guard let root else {
            throw ConfigurationError(problems: [
                ConfigurationProblem(source: source, keyPath: "", line: nil, column: nil, message: "the file is empty"),
            ])
        }
        return (decoder, root)
    }
}

extension ConfigurationDecoder {
    func gatewayConfiguration(_ node: Node) -> GatewayConfiguration? {
        guard let map = mapping(node, at: .root) else { return nil }
        map.rejectUnknownKeys(known: GatewayConfiguration.keys)
        let workers = map.decode("workers") { workerCount($0, at: $1) } ?? .auto
        let listen = map.decode("listen") { listenAddress($0, at: $1) }
        let admin = map.decode("admin") { adminAddress($0, at: $1) }
        let tls = map.decode("tls", required: true) { tlsSettings($0, at: $1) }
        let limits = map.decode("limits") { self.limits($0, at: $1) } ?? Limits()
        let tenants = map.decode("tenants") { self.tenants($0, at: $1) } ?? ([:], [])
        let auth = map.decode("auth") { authSettings($0, at: $1, tenantNames: tenants.names) } ?? AuthSettings.none
        let rateLimit = map.decode("rateLimit") { rateLimitSettings($0, at: $1) } ?? RateLimitSettings()
        let accessLog: AccessLogDestination = map.decode("accessLog") { choice($0, at: $1, noun: "access log destination") } ?? .stdout
        let logFormat: LogFormat = map.decode("logFormat") { choice($0, at: $1, noun: "log format") } ?? .text
        let observability = map.decode("observability") { observabilitySettings($0, at: $1) } ?? ObservabilitySettings()
        let idempotency = map.decode("idempotency") { idempotencySettings($0, at: $1, rateLimitStore: rateLimit.store) }
            ?? IdempotencySettings()
        guard let tls else { return nil }
        return GatewayConfiguration(
            workers: workers,
            listen: listen ?? ListenAddress(host: "0.0.0.0", port: 8443),
            admin: admin ?? ListenAddress(host: "127.0.0.1", port: 9090),
            tls: tls, limits: limits, auth: auth, rateLimit: rateLimit, tenants: tenants.tenants, accessLog: accessLog,
            logFormat: logFormat, observability: observability, idempotency: idempotency)
    }
}

extension [ConfigurationProblem] {
    /// Document order, so the list reads top to bottom like the file; problems without a place
    /// (the file as a whole) come first. The sort is stable, keeping decoding order within a node.
    func sortedByLocation() -> [ConfigurationProblem] {
        enumerated().sorted { a, b in
            let left = (a.element.line ?? 0, a.element.column ?? 0, a.offset)
            let right = (b.element.line ?? 0, b.element.column ?? 0, b.offset)
            return left < right
        }.map(\.element)
    }
}
