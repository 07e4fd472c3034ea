import SwitchyardDevices
import ArgumentParser
import Foundation
import Switchyard
import SwitchyardIO
import SwitchyardSimulators

/// `switchyard demo`: the whole product on loopback. Dev certificates, one simulator per vendor,
/// the gateway with one tenant bound to each (routes/demo.yaml), a token per tenant, and curl
/// commands that exercise every vendor. Run it from the repository (it uses `certs/` and `routes/`).
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway, dev certificates and a simulator of each vendor on loopback, and print commands to try.",
        discussion: """
        Generates certs/dev/ with certs/make-dev-certs.sh on first use, starts the five vendor simulators on free \
        ports and serves routes/demo.yaml with one tenant per vendor. Ctrl-C stops everything.
        """
    )

    @Option(help: ArgumentHelp("The gateway's HTTPS port.", valueName: "port"))
    var port: UInt16 = 8443

    @Option(help: ArgumentHelp("The admin port (/healthz, /readyz).", valueName: "port"))
    var adminPort: UInt16 = 9090

    /// The demo's tenants, as routes/demo.yaml binds them.
    static let tenants: [(name: String, vendor: Vendor)] = [
        ("acme", .controlCenter), ("globex", .gate), ("initech", .mobileFirstPush), ("umbrella", .vodlix), ("hooli", .iotSecurity),
    ]

    func run() throws {
        try makeCertificates()
        try makeSecret()
        // Blocked before any loop thread exists, so only the main thread's sigwait gets them.
        Signals.blockTermination()
        var simulators: [SimulatorHost] = []
        for (_, vendor) in Self.tenants {
            do {
                let simulator = try SimulatorHost(configuration: SimulatorConfiguration(
                    vendor: vendor, certificatePath: "certs/dev/server.crt", privateKeyPath: "certs/dev/server.key"))
                if vendor == .gate { try simulator.seed(json: Self.migratedSIM) }
                simulator.start()
                simulators.append(simulator)
                setenv("SWITCHYARD_DEMO_\(vendor.rawValue.uppercased().replacingOccurrences(of: "-", with: "_"))_PORT", "\(simulator.port)", 1)
            } catch {
                printError("switchyard demo: cannot start the \(vendor.rawValue) simulator: \(error)")
                throw ExitCode(1)
            }
        }
        defer { for simulator in simulators { simulator.stop() } }
        setenv("SWITCHYARD_DEMO_PORT", "\(port)", 1)
        setenv("SWITCHYARD_DEMO_ADMIN_PORT", "\(adminPort)", 1)

        let configPath = "routes/demo.yaml"
        let configuration = try loadConfiguration(configPath)
        let runtime = try Startup.runtime(configPath: configPath)
        runtime.start()
        let tokens = try Dictionary(uniqueKeysWithValues: Self.tenants.map { tenant in
            (tenant.name, try mintToken(configuration, tenant: tenant.name))
        })
        let gate = simulators.first { $0.vendor == .gate }.map { "https://localhost:\($0.port)" } ?? ""
        printNow(instructions(base: "https://localhost:\(runtime.server.address.port)", tokens: tokens,
                              admin: runtime.adminServer.map { "\($0.address)" } ?? "127.0.0.1:\(adminPort)", gate: gate))
        runtime.runUntilSignalled()
    }

    private func makeCertificates() throws {
        let script = "certs/make-dev-certs.sh"
        guard FileManager.default.isExecutableFile(atPath: script) else {
            printError("switchyard demo: run it from the repository root (\(script) not found in \(FileManager.default.currentDirectoryPath))")
            throw ExitCode(1)
        }
        let certificates = Process()
        certificates.executableURL = URL(fileURLWithPath: script)
        certificates.standardOutput = FileHandle.nullDevice
        try certificates.run()
        certificates.waitUntilExit()
        guard certificates.terminationStatus == 0 else {
            printError("switchyard demo: \(script) failed (status \(certificates.terminationStatus))")
            throw ExitCode(1)
        }
    }

    /// The JWT secret routes/demo.yaml reads (`${file:…}`), made on first use like the
    /// certificates beside it, so that `switchyard token --config routes/demo.yaml` mints tokens the
    /// demo accepts, across runs. Random, never committed (certs/dev/ is git-ignored), readable by
    /// its owner only.
    private func makeSecret() throws {
        guard !FileManager.default.fileExists(atPath: Self.secretPath) else { return }
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        guard FileManager.default.createFile(atPath: Self.secretPath, contents: Data((secret + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            printError("switchyard demo: cannot write \(Self.secretPath)")
            throw ExitCode(1)
        }
    }

    static let secretPath = "certs/dev/demo-jwt-secret"

    /// acme's SIM in the gate account it is moving to (routes/demo.yaml, `migration`).
    static let migratedSIM = #"{"users": [{"iccid": "8988216716970004975", "generic_id": "tracker-1", "username": "acme_fleet"}]}"#

    private func mintToken(_ configuration: GatewayConfiguration, tenant: String) throws -> String {
        guard let jwt = configuration.auth.jwt, let secret = jwt.hs256Secret else {
            printError("switchyard demo: routes/demo.yaml has no auth.jwt.hs256Secret")
            throw ExitCode(1)
        }
        let now = Int(Date().timeIntervalSince1970)
        return try HS256TokenMinter.mint(secret: secret, tenant: tenant, scopes: [.devicesWrite, .devicesBulk],
                                         issuedAt: now, expiresAt: now + 12 * 3600, issuer: jwt.issuer, audience: jwt.audience)
    }

    private func instructions(base: String, tokens: [String: String], admin: String, gate: String) -> String {
        func curl(_ tenant: String, _ method: String, _ path: String, _ body: String) -> String {
            """
              curl --cacert certs/dev/ca.crt -s -i -X \(method) \(base)\(path) \\
                   -H 'authorization: Bearer \(tokens[tenant]!)' \\
                   -H 'content-type: application/json' -d '\(body)'
            """
        }
        return """

        Switchyard demo is up: the gateway on \(base), one simulator per vendor, one tenant each.
        Tokens last 12 hours and carry devices:write and devices:bulk. Try:

        # acme → control-center: change a SIM's status by ICCID (200; 202 with a future effectiveAt)
        \(curl("acme", "PATCH", "/devices/iccid:8988216716970004975", #"{"sim": {"status": "ACTIVATED", "ratePlan": "Standard 5GB"}}"#))

        # globex → gate: update a user's device by IMEI (the simulator gets `data` as a JSON string; the password is never echoed)
        \(curl("globex", "POST", "/devices", #"{"imei": "123456789012345", "user": {"class": "gold", "password": "s3cret!"}}"#))

        # initech → mobilefirst-push: a registration's user id (the gateway fetches and caches the OAuth token)
        \(curl("initech", "PATCH", "/devices/12345-6789", #"{"user": {"id": "alice"}, "push": {"token": "fcm-1234"}}"#))

        # umbrella → vodlix: register a set-top box by MAC
        \(curl("umbrella", "POST", "/devices", #"{"mac": "a1:b2:c3:d4:e5:f6", "platform": {"os": "tvOS", "osVersion": "17.1", "type": "STB"}, "app": {"name": "MyApp", "version": "2.1"}}"#))

        # hooli → iot-security: a bulk update in one vendor call (the second device is unknown, so the vendor counts 1 of 2: 207, each item 202)
        \(curl("hooli", "PATCH", "/devices", #"{"devices": [{"id": "imei:356938035643809", "session": {"event": "Start"}}, {"id": "imei:490154203237519", "apn": "iot.example"}]}"#))

        # an error case: vodlix refuses a banned device (403 device_banned, the vendor's answer under "upstream")
        \(curl("umbrella", "POST", "/devices", #"{"mac": "DE:AD:BE:EF:00:01", "platform": {"os": "Android", "osVersion": "14", "type": "STB"}, "app": {"name": "MyApp", "version": "2.1"}}"#))

        # another: control-center cannot store a MAC address (422 unsupported_field, nothing sent)
        \(curl("acme", "PATCH", "/devices/8988216716970004975", #"{"mac": "A1B2C3D4E5F6"}"#))

        # acme is moving to gate (routes/demo.yaml, migration: mirror): what control-center accepts goes to gate too, and
        # both answers are compared. A change both take (200; a match in the report):
        \(curl("acme", "PATCH", "/devices/iccid:8988216716970004975", #"{"deviceId": "tracker-7"}"#))

        # make gate's next answer state another device id, as a diverged account would (the simulator's fault API, 201):
          curl --cacert certs/dev/ca.crt -s -i -X POST \(gate)/_simulator/faults \
               -d '{"kind": "vendorError", "status": 201, "body": "{\\"iccid\\": \\"8988216716970004975\\", \\"generic_id\\": \\"tracker-0\\"}"}'

        # the next change: the client's answer is control-center's as always (200); the report has a mismatch on /deviceId
        \(curl("acme", "PATCH", "/devices/iccid:8988216716970004975", #"{"deviceId": "tracker-8"}"#))

        # the migration's report: matches, the mismatch, and the SIM fields gate can't take (from acme's first command)
          curl -s http://\(admin)/-/migrations
        # the same as a table (several --admin sum the replicas):
          swift run switchyard migration status --admin \(admin)

          # readiness (503 while draining)
          curl -s http://\(admin)/readyz

        # more tokens (any tenant above, other scopes or lifetimes), signed with the demo's secret in \(Self.secretPath):
          TOKEN=$(swift run switchyard token --config routes/demo.yaml --tenant hooli --scope 'devices:write devices:bulk' --ttl 3600)

        Ctrl-C stops the gateway and the simulators. The access log is off here, so that these
        instructions stay readable; `accessLog: stdout` in routes/demo.yaml turns it on.

        """
    }
}
