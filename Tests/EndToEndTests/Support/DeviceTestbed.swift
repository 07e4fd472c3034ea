import Foundation
import Switchyard
import SwitchyardDevices
import SwitchyardJSON
import SwitchyardSimulators
import SwitchyardTestSupport
import XCTest

/// Step 4's test rig: one in-process simulator per vendor on loopback HTTPS, and the real
/// gateway binary with one tenant bound to each (or a tenant configuration the test chooses),
/// a fresh JWT secret per rig, and a keep-alive TLS client per call site.
final class DeviceTestbed: @unchecked Sendable {
    /// The tenant bound to each vendor in the default rig.
    static let tenants: [(name: String, vendor: Vendor)] = [
        ("cc", .controlCenter), ("gate", .gate), ("push", .mobileFirstPush), ("vodlix", .vodlix), ("iot", .iotSecurity),
    ]

    let simulators: [Vendor: SimulatorHost]
    let gateway: GatewayProcess
    let secret = UUID().uuidString + UUID().uuidString
    private var tokens: [String: String] = [:]
    private let lock = NSLock()

    /// `tenantLines` maps a tenant to extra keys for its flow mapping (`vendorQuota: {…}`);
    /// `limits` is added to the gateway's limits; `bindings` overrides which vendor serves a tenant;
    /// `settings` adds top-level keys (`observability: {…}`).
    /// `vendorLimits: false` lifts the simulators' own documented rate limits, for a test of the
    /// gateway's budgets alone.
    init(limits: String = "upstreamTimeoutSeconds: 2", workers: Int = 2, extra: [String: String] = [:],
         bindings: [(name: String, vendor: Vendor)] = DeviceTestbed.tenants, settings: String = "", vendorLimits: Bool = true) throws {
        var simulators: [Vendor: SimulatorHost] = [:]
        for vendor in Vendor.allCases {
            var configuration = SimulatorConfiguration(
                vendor: vendor, certificatePath: TestEnvironment.serverCertificate, privateKeyPath: TestEnvironment.serverKey)
            if !vendorLimits { configuration.rateLimit = nil }
            let simulator = try SimulatorHost(configuration: configuration)
            simulator.start()
            simulators[vendor] = simulator
        }
        self.simulators = simulators
        let tenants = bindings.map { tenant in
            "  \(tenant.name): {\(Self.binding(tenant.vendor, simulators[tenant.vendor]!))\(extra[tenant.name].map { ", " + $0 } ?? "")}"
        }.joined(separator: "\n")
        gateway = try GatewayProcess(configuration: GatewayProcess.configuration(limits: limits, workers: workers) + """

        auth:
          jwt: {hs256Secret: "\(secret)"}
        tenants:
        \(tenants)
        \(settings)
        """)
    }

    /// A tenant's vendor, upstream and credentials, as the simulator accepts them.
    static func binding(_ vendor: Vendor, _ simulator: SimulatorHost) -> String {
        let upstream = "upstream: \"https://127.0.0.1:\(simulator.port)\(simulator.configuration.pathPrefix)\", caFile: \"\(TestEnvironment.caFile)\""
        switch vendor {
        case .controlCenter: return "vendor: control-center, \(upstream), credentials: {username: sim-cc-user, apiKey: sim-cc-api-key}"
        case .gate: return "vendor: gate, \(upstream), credentials: {token: sim-gate-token}"
        case .mobileFirstPush: return "vendor: mobilefirst-push, \(upstream), applicationId: myapp, credentials: {clientId: sim-push-client, clientSecret: sim-push-secret}"
        case .vodlix: return "vendor: vodlix, \(upstream), credentials: {cookie: \"PHPSESSID=sim-vodlix-session\"}"
        case .iotSecurity: return "vendor: iot-security, \(upstream), customerId: sim-tenant, updateSource: cellular, credentials: {keyId: sim-iot-key-id, accessKey: sim-iot-access-key}"
        }
    }

    func stop() {
        gateway.stop()
        for simulator in simulators.values { simulator.stop() }
    }

    /// Every simulator back to its seeded devices, with no fault pending and nothing recorded:
    /// what each test of a class sharing one rig starts from.
    func resetSimulators() {
        for simulator in simulators.values {
            simulator.reset()
            simulator.clearFaults()
            simulator.clearRecordedRequests()
        }
    }

    func simulator(_ vendor: Vendor) -> SimulatorHost { simulators[vendor]! }

    /// A token for `tenant` with both scopes, minted by `switchyard token` once per tenant.
    func token(_ tenant: String) -> String {
        lock.lock()
        defer { lock.unlock() }
        if let token = tokens[tenant] { return token }
        let result = TestEnvironment.run(TestEnvironment.binary.path, [
            "token", "--config", gateway.configPath, "--tenant", tenant, "--scope", "devices:write devices:bulk"])
        XCTAssertEqual(result.status, 0, result.error)
        let token = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        tokens[tenant] = token
        return token
    }

    struct Answer {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        var json: JSONValue?

        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        var text: String { String(decoding: body, as: UTF8.self) }
        var code: String? { json?.objectValue?["code"]?.stringValue }
        var pointers: [String] {
            json?.objectValue?["fields"]?.arrayValue?.compactMap { $0.objectValue?["pointer"]?.stringValue } ?? []
        }
    }

    /// One request as `tenant` over a new TLS connection; `body` as written, `headers` extra
    /// lines (`content-type: application/json` unless given).
    func call(_ tenant: String, _ method: String, _ path: String, _ body: String? = nil,
              headers: [String] = [], timeout: Double = 10, file: StaticString = #filePath, line: UInt = #line) throws -> Answer {
        let client = try gateway.client()
        var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token(tenant))\r\n"
        if !headers.contains(where: { $0.lowercased().hasPrefix("content-type:") }), body != nil {
            head += "Content-Type: application/json\r\n"
        }
        for header in headers { head += header + "\r\n" }
        let bytes = Array((body ?? "").utf8)
        _ = client.send(Array((head + "Content-Length: \(bytes.count)\r\n\r\n").utf8) + bytes)
        let response = try XCTUnwrap(client.readResponse(timeout: timeout), "no answer to \(method) \(path)", file: file, line: line)
        // Every answer a device test sees is also checked against docs/openapi.yaml.
        let template = path == "/devices" ? "/devices" : path.hasPrefix("/devices/") ? "/devices/{id}" : path
        let headers = Dictionary(response.headers.map { ($0.0.lowercased(), $0.1) }, uniquingKeysWith: { first, _ in first })
        let mismatches = try Self.openAPI.problems(method: method, pathTemplate: template, status: response.status,
                                                   contentType: headers["content-type"], headers: headers, body: response.body)
        XCTAssertEqual(mismatches, [], "\(method) \(path) → \(response.status) does not conform to docs/openapi.yaml", file: file, line: line)
        return Answer(status: response.status, headers: response.headers, body: response.body,
                      json: try? JSONParser.parse(response.body))
    }

    /// docs/openapi.yaml, loaded once for every rig.
    static var openAPI: OpenAPIDocument {
        get throws { try loadedOpenAPI.get() }
    }

    private static let loadedOpenAPI = Result { try OpenAPIDocument() }
}

extension JSONValue {
    /// Parses JSON text in a test, failing loudly.
    static func parse(_ text: String) -> JSONValue {
        do { return try JSONParser.parse(Array(text.utf8)) } catch { preconditionFailure("bad JSON in a test: \(error): \(text)") }
    }

    /// Follows an RFC 6901 pointer.
    subscript(pointer pointer: String) -> JSONValue? {
        var value: JSONValue? = self
        for token in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            switch value {
            case .object(let object): value = object[String(token)]
            case .array(let array): value = Int(token).flatMap { array.indices.contains($0) ? array[$0] : nil }
            default: return nil
            }
        }
        return value
    }
}
