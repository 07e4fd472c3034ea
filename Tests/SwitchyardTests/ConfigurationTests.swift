import Foundation
import Switchyard
import XCTest

/// What a valid file turns into: the API.md §4 example, defaults, addresses, paths, substitution.
final class ConfigurationTests: XCTestCase {
    private var fixture: ConfigurationFixture!

    override func setUpWithError() throws {
        fixture = try ConfigurationFixture()
    }

    override func tearDown() {
        fixture.remove()
    }

    /// API.md §4 verbatim, except for a real hash in place of its placeholder.
    static let apiExample = """
        listen: "0.0.0.0:8443"
        tls: {certificate: certs/dev/server.crt, privateKey: certs/dev/server.key}
        admin: "127.0.0.1:9090"            # /healthz /readyz /metrics, plain HTTP, keep it on loopback
        limits: {maxHeaderBytes: 16384, maxBodyBytes: 1048576, maxBulkDevices: 1000, headerTimeoutSeconds: 10,
                 idleTimeoutSeconds: 60, upstreamConnectTimeoutSeconds: 2, upstreamTimeoutSeconds: 10}
        auth:
          jwt: {issuer: "https://id.example.com/", audience: "switchyard", hs256Secret: "${JWT_SECRET}",
                jwksFile: certs/jwks.json, leewaySeconds: 30}
          apiKeys: [{sha256: "\(ConfigurationFixture.validHash.uppercased())", tenant: acme, scopes: [devices:write]}]
        rateLimit: {store: memory, onStoreFailure: local}   # store: memory | redis://host:port; onStoreFailure: local | open | closed
        tenants:
          acme:
            vendor: control-center
            upstream: "https://restapi1.jasper.com"
            caFile: certs/upstream-ca.pem                     # optional; else the system trust store
            credentials: {username: "${CC_USER}", apiKey: "${CC_API_KEY}"}
            rateLimit: {requests: 600, perSeconds: 60, burst: 50}
            vendorQuota: {requests: 5, perSeconds: 1}        # optional outbound budget for this vendor account
          globex:  {vendor: gate, upstream: "https://gate.zequenze.com/api/v1", credentials: {token: "${GATE_TOKEN}"}}
          initech: {vendor: mobilefirst-push, upstream: "https://push.example.com", applicationId: myapp,
                    credentials: {clientId: "${MFP_ID}", clientSecret: "${MFP_SECRET}"}}
          umbrella: {vendor: vodlix, upstream: "https://api.example.tv", credentials: {cookie: "${VODLIX_COOKIE}"}}
          hooli:   {vendor: iot-security, upstream: "https://hooli.iot.example.com", customerId: hooli,
                    updateSource: cellular, credentials: {keyId: "${IOT_KEY_ID}", accessKey: "${IOT_ACCESS_KEY}"},
                    vendorQuota: {requests: 180, perSeconds: 60}}
        """

    static let apiExampleEnvironment = [
        "JWT_SECRET": ConfigurationFixture.secret32, "CC_USER": "cc-user", "CC_API_KEY": "cc-api-key",
        "GATE_TOKEN": "gate-token", "MFP_ID": "mfp-id", "MFP_SECRET": "mfp-secret",
        "VODLIX_COOKIE": "session=vodlix", "IOT_KEY_ID": "iot-key-id", "IOT_ACCESS_KEY": "iot-access-key",
    ]

    func testAPIExampleParsesToItsValues() throws {
        let config = try fixture.parse(Self.apiExample, environment: Self.apiExampleEnvironment)
        let certs = fixture.directory + "/certs"

        XCTAssertEqual(config.workers, .auto)
        XCTAssertEqual(config.listen, try listen("0.0.0.0", 8443))
        XCTAssertEqual(config.admin, try listen("127.0.0.1", 9090))
        XCTAssertEqual(config.tls.certificatePath, certs + "/dev/server.crt")
        XCTAssertEqual(config.tls.privateKeyPath, certs + "/dev/server.key")
        XCTAssertEqual(config.limits, Limits())

        let jwt = try XCTUnwrap(config.auth.jwt)
        XCTAssertEqual(jwt.issuer, "https://id.example.com/")
        XCTAssertEqual(jwt.audience, "switchyard")
        XCTAssertEqual(jwt.hs256Secret?.revealed, ConfigurationFixture.secret32)
        XCTAssertEqual(jwt.jwksFilePath, certs + "/jwks.json")
        XCTAssertEqual(jwt.leewaySeconds, 30)
        XCTAssertEqual(config.auth.apiKeys.count, 1)
        XCTAssertEqual(config.auth.apiKeys.first?.sha256, ConfigurationFixture.validHash, "normalized to lowercase")
        XCTAssertEqual(config.auth.apiKeys.first?.tenant, "acme")
        XCTAssertEqual(config.auth.apiKeys.first?.scopes, [.devicesWrite])

        XCTAssertEqual(config.rateLimit.store, .memory)
        XCTAssertEqual(config.rateLimit.onStoreFailure, .local)
        XCTAssertEqual(config.tenants.keys.sorted(), ["acme", "globex", "hooli", "initech", "umbrella"])

        let acme = try XCTUnwrap(config.tenants["acme"])
        XCTAssertEqual(acme.name, "acme")
        XCTAssertEqual(acme.vendor, .controlCenter)
        XCTAssertEqual(acme.upstream.description, "https://restapi1.jasper.com")
        XCTAssertEqual(acme.caFilePath, certs + "/upstream-ca.pem")
        XCTAssertEqual(acme.account, .controlCenter(username: Secret("cc-user"), apiKey: Secret("cc-api-key")))
        XCTAssertEqual(acme.rateLimit, RatePolicy(requests: 600, perSeconds: 60, burst: 50))
        XCTAssertEqual(acme.vendorQuota, RatePolicy(requests: 5, perSeconds: 1, burst: 5))

        let globex = try XCTUnwrap(config.tenants["globex"])
        XCTAssertEqual(globex.upstream.scheme, .https)
        XCTAssertEqual(globex.upstream.host, "gate.zequenze.com")
        XCTAssertEqual(globex.upstream.port, 443)
        XCTAssertEqual(globex.upstream.pathPrefix, "/api/v1")
        XCTAssertEqual(globex.account, .gate(token: Secret("gate-token")))
        XCTAssertNil(globex.caFilePath)
        XCTAssertNil(globex.rateLimit)
        XCTAssertNil(globex.vendorQuota)

        XCTAssertEqual(config.tenants["initech"]?.account,
                       .mobileFirstPush(applicationId: "myapp", clientId: Secret("mfp-id"), clientSecret: Secret("mfp-secret")))
        XCTAssertEqual(config.tenants["umbrella"]?.account, .vodlix(cookie: Secret("session=vodlix")))
        let hooli = try XCTUnwrap(config.tenants["hooli"])
        XCTAssertEqual(hooli.account, .iotSecurity(
            customerId: "hooli", updateSource: "cellular", keyId: Secret("iot-key-id"), accessKey: Secret("iot-access-key")))
        XCTAssertEqual(hooli.vendorQuota, RatePolicy(requests: 180, perSeconds: 60, burst: 180))
    }

    func testDefaultsApplyWhenKeysAreAbsent() throws {
        let config = try fixture.parse(ConfigurationFixture.minimal)
        XCTAssertEqual(config.workers, .auto)
        XCTAssertEqual(config.listen.description, "0.0.0.0:8443")
        XCTAssertEqual(config.admin?.description, "127.0.0.1:9090")
        XCTAssertNil(config.auth.jwt)
        XCTAssertEqual(config.rateLimit, RateLimitSettings())
        XCTAssertEqual(config.rateLimit.store, .memory)
        XCTAssertEqual(config.rateLimit.onStoreFailure, .local)

        let limits = config.limits
        XCTAssertEqual(limits.maxHeaderBytes, 16_384)
        XCTAssertEqual(limits.maxBodyBytes, 1_048_576)
        XCTAssertEqual(limits.maxBulkDevices, 1_000)
        XCTAssertEqual(limits.headerTimeoutSeconds, 10)
        XCTAssertEqual(limits.idleTimeoutSeconds, 60)
        XCTAssertEqual(limits.upstreamConnectTimeoutSeconds, 2)
        XCTAssertEqual(limits.upstreamTimeoutSeconds, 10)
        XCTAssertEqual(limits.shutdownGraceSeconds, 10)
        XCTAssertEqual(limits.maxConnections, 10_000)

        let acme = try XCTUnwrap(config.tenants["acme"])
        XCTAssertEqual(acme.upstream.port, 443)
        XCTAssertEqual(acme.upstream.pathPrefix, "")
        XCTAssertNil(acme.rateLimit)
    }

    func testTLSAloneIsValidButWarnedAbout() throws {
        let config = try fixture.parse("tls: {certificate: certs/dev/server.crt, privateKey: certs/dev/server.key}\n")
        XCTAssertEqual(config.tenants, [:])
        XCTAssertEqual(config.auth, AuthSettings.none)
        XCTAssertEqual(config.warnings, [
            "tenants: none configured; no /devices request can be served",
            "auth: neither jwt nor apiKeys configured; no client can authenticate",
        ])
        XCTAssertEqual(try fixture.parse(ConfigurationFixture.minimal).warnings, [])
    }

    func testJWTDefaultsLeewayAndAcceptsEitherKeySource() throws {
        let yaml = ConfigurationFixture.minimal.replacingOccurrences(
            of: "auth:\n", with: "auth:\n  jwt: {jwksFile: certs/jwks.json}\n")
        let config = try fixture.parse(yaml + "\nworkers: 4\n")
        XCTAssertEqual(config.workers, .fixed(4))
        XCTAssertEqual(config.auth.jwt?.leewaySeconds, 30)
        XCTAssertNil(config.auth.jwt?.hs256Secret)
        XCTAssertNil(config.auth.jwt?.issuer)
    }

    func testAllLimitsCanBeSetAndSecondsMayBeFractional() throws {
        let config = try fixture.parse(ConfigurationFixture.minimal + """

            limits:
              maxHeaderBytes: 1024
              maxBodyBytes: 100
              maxBulkDevices: 3
              headerTimeoutSeconds: 0.25
              idleTimeoutSeconds: 1.5
              upstreamConnectTimeoutSeconds: 0.1
              upstreamTimeoutSeconds: 0.5
              shutdownGraceSeconds: 0
              maxConnections: 8
            """)
        var expected = Limits()
        expected.maxHeaderBytes = 1024
        expected.maxBodyBytes = 100
        expected.maxBulkDevices = 3
        expected.headerTimeoutSeconds = 0.25
        expected.idleTimeoutSeconds = 1.5
        expected.upstreamConnectTimeoutSeconds = 0.1
        expected.upstreamTimeoutSeconds = 0.5
        expected.shutdownGraceSeconds = 0
        expected.maxConnections = 8
        XCTAssertEqual(config.limits, expected)
    }

    func testListenAddresses() throws {
        func address(_ text: String) throws -> ListenAddress {
            try fixture.parse(ConfigurationFixture.minimal + "\nlisten: \"\(text)\"\n").listen
        }
        XCTAssertEqual(try address("1.2.3.4:443"), try listen("1.2.3.4", 443))
        XCTAssertEqual(try address("[::1]:443"), try listen("::1", 443))
        XCTAssertEqual(try address("[::1]:443").description, "[::1]:443")
        XCTAssertEqual(try address("localhost:443"), try listen("127.0.0.1", 443), "localhost is bound as 127.0.0.1")
        XCTAssertEqual(try address("127.0.0.1:0").port, 0, "port 0 asks for an ephemeral port")
        XCTAssertEqual(try address("[::]:65535"), try listen("::", 65535))
    }

    func testAdminCanBeTurnedOff() throws {
        XCTAssertNil(try fixture.parse(ConfigurationFixture.minimal + "\nadmin: off\n").admin)
        XCTAssertNil(try fixture.parse(ConfigurationFixture.minimal + "\nadmin: false\n").admin)
        XCTAssertNil(try fixture.parse(ConfigurationFixture.minimal + "\nadmin: ${ADMIN}\n", environment: ["ADMIN": "off"]).admin)
        XCTAssertEqual(try fixture.parse(ConfigurationFixture.minimal + "\nadmin: \"[::1]:0\"\n").admin, try listen("::1", 0))
    }

    func testUpstreamURLs() throws {
        func upstream(_ text: String) throws -> UpstreamEndpoint {
            let yaml = ConfigurationFixture.minimal.replacingOccurrences(of: "https://gate.example.com", with: text)
            return try XCTUnwrap(fixture.parse(yaml).tenants["acme"]).upstream
        }
        let simulator = try upstream("http://127.0.0.1:8081/sim/")
        XCTAssertEqual(simulator.scheme, .http)
        XCTAssertEqual(simulator.host, "127.0.0.1")
        XCTAssertEqual(simulator.port, 8081)
        XCTAssertEqual(simulator.pathPrefix, "/sim", "the trailing slash is dropped so appended paths never double it")
        XCTAssertEqual(try upstream("http://localhost").port, 80)
        XCTAssertEqual(try upstream("http://127.9.9.9:1").host, "127.9.9.9")
        XCTAssertEqual(try upstream("http://[::1]:9000/").description, "http://[::1]:9000")
        let mixedCase = try upstream("HTTPS://Gate.Example.COM:8443/Api/V1")
        XCTAssertEqual(mixedCase.description, "https://gate.example.com:8443/Api/V1", "scheme and host are case-insensitive, the path is not")
        XCTAssertEqual(try upstream("https://[2001:db8::1]").host, "2001:db8::1")
    }

    func testRateLimitStoreAndPolicies() throws {
        let redis = try fixture.parse(ConfigurationFixture.minimal + "\nrateLimit: {store: \"redis://10.0.0.5:6380\", onStoreFailure: closed}\n")
        XCTAssertEqual(redis.rateLimit.store, .redis(host: "10.0.0.5", port: 6380))
        XCTAssertEqual(redis.rateLimit.onStoreFailure, .closed)
        let defaultPort = try fixture.parse(ConfigurationFixture.minimal + "\nrateLimit: {store: \"redis://cache.internal\", onStoreFailure: open}\n")
        XCTAssertEqual(defaultPort.rateLimit.store, .redis(host: "cache.internal", port: 6379))
        XCTAssertEqual(defaultPort.rateLimit.onStoreFailure, .open)

        let yaml = ConfigurationFixture.minimal.replacingOccurrences(
            of: "credentials: {token: t0ken}", with: "credentials: {token: t0ken}, rateLimit: {requests: 10, perSeconds: 1}")
        XCTAssertEqual(try fixture.parse(yaml).tenants["acme"]?.rateLimit, RatePolicy(requests: 10, perSeconds: 1, burst: 10),
                       "burst defaults to requests")
    }

    func testAPIKeyScopes() throws {
        let yaml = ConfigurationFixture.minimal.replacingOccurrences(
            of: "scopes: [devices:write]", with: "scopes: [devices:bulk, devices:write, devices:bulk]")
        XCTAssertEqual(try fixture.parse(yaml).auth.apiKeys.first?.scopes, [.devicesWrite, .devicesBulk])
    }

    // MARK: Paths

    func testLoadResolvesRelativePathsAgainstTheFilesDirectory() throws {
        let path = try fixture.write(ConfigurationFixture.minimal.replacingOccurrences(
            of: "privateKey: certs/dev/server.key",
            with: "privateKey: \(fixture.directory)/./certs//dev/server.key"), to: "gateway.yaml")
        let elsewhere = FileManager.default.currentDirectoryPath
        XCTAssertNotEqual(elsewhere, fixture.directory)

        let config = try GatewayConfiguration.load(path: path, environment: [:])
        XCTAssertEqual(config.tls.certificatePath, fixture.directory + "/certs/dev/server.crt")
        XCTAssertEqual(config.tls.privateKeyPath, fixture.directory + "/certs/dev/server.key", "absolute paths are kept, tidied")
    }

    func testParentSegmentsAreLeftForTheKernel() throws {
        try fixture.write(ConfigurationFixture.minimal.replacingOccurrences(of: "certs/dev/", with: "../certs/dev/"), to: "routes/gateway.yaml")
        let config = try GatewayConfiguration.load(path: fixture.directory + "/routes/gateway.yaml", environment: [:])
        XCTAssertEqual(config.tls.certificatePath, fixture.directory + "/routes/../certs/dev/server.crt")
    }

    func testLoadReportsAMissingFile() {
        XCTAssertThrowsError(try GatewayConfiguration.load(path: fixture.directory + "/nope.yaml", environment: [:])) { error in
            XCTAssertEqual((error as? ConfigurationError)?.description,
                           "\(fixture.directory)/nope.yaml: no such file: \(fixture.directory)/nope.yaml")
        }
    }

    // MARK: Environment substitution

    func testNumbersAndAddressesCanComeFromTheEnvironment() throws {
        let config = try fixture.parse(ConfigurationFixture.minimal + """

            listen: "${HOST}:${PORT}"
            workers: ${WORKERS}
            limits: {maxBodyBytes: "${MAX_BODY}", headerTimeoutSeconds: "${HEADER_TIMEOUT}"}
            """, environment: ["HOST": "127.0.0.1", "PORT": "0", "WORKERS": "2", "MAX_BODY": "2048", "HEADER_TIMEOUT": "0.5"])
        XCTAssertEqual(config.listen, try listen("127.0.0.1", 0))
        XCTAssertEqual(config.workers, .fixed(2))
        XCTAssertEqual(config.limits.maxBodyBytes, 2048)
        XCTAssertEqual(config.limits.headerTimeoutSeconds, 0.5)
    }

    func testSubstitutionInsideStringsAndEscapes() throws {
        let yaml = ConfigurationFixture.minimal.replacingOccurrences(
            of: "credentials: {token: t0ken}", with: #"credentials: {token: "pre-${TOKEN}-$${NOT_A_VAR}-$5-${TOKEN}"}"#)
        let config = try fixture.parse(yaml, environment: ["TOKEN": "x${Y}"])
        XCTAssertEqual(config.tenants["acme"]?.account, .gate(token: Secret("pre-x${Y}-${NOT_A_VAR}-$5-x${Y}")),
                       "$${ is a literal ${, a lone $ stays, and substituted text is not expanded again")
    }

    /// API.md §4: `${file:…}` is the file's content without one trailing newline (a Kubernetes
    /// secret or a systemd credential), relative paths from the configuration's directory.
    func testValuesCanComeFromFiles() throws {
        try "t0k3n\n\n".write(toFile: fixture.directory + "/gate-token", atomically: true, encoding: .utf8)
        try "8443".write(toFile: fixture.directory + "/port", atomically: true, encoding: .utf8)
        let yaml = ConfigurationFixture.minimal.replacingOccurrences(
            of: "credentials: {token: t0ken}", with: #"credentials: {token: "${file:gate-token}"}"#)
            + "\nlisten: \"127.0.0.1:${file:\(fixture.directory)/port}\"\n"
        XCTAssertEqual(fixture.problems(yaml), [
            "gateway.yaml:5:83: tenants.acme.credentials.token: must not contain control characters (a trailing newline?)",
        ], "only one trailing newline goes; a second is the file's content and caught as such")
        try "t0k3n\n".write(toFile: fixture.directory + "/gate-token", atomically: true, encoding: .utf8)
        let config = try fixture.parse(yaml)
        XCTAssertEqual(config.tenants["acme"]?.account, .gate(token: Secret("t0k3n")))
        XCTAssertEqual(config.listen, try listen("127.0.0.1", 8443))
    }

    // MARK: Secrets

    func testPrintingAConfigurationNeverShowsASecret() throws {
        let config = try fixture.parse(Self.apiExample, environment: Self.apiExampleEnvironment)
        var dumped = ""
        dump(config, to: &dumped)
        let renderings = [String(describing: config), String(reflecting: config), dumped, "\(config.tenants)"]
        for rendering in renderings {
            XCTAssertTrue(rendering.contains("<redacted>"))
            for secret in Self.apiExampleEnvironment.values {
                XCTAssertFalse(rendering.contains(secret), "\(secret) leaked")
            }
        }
        XCTAssertEqual("\(Secret("hunter2"))", "<redacted>")
    }

    private func listen(_ host: String, _ port: UInt16) throws -> ListenAddress {
        let yaml = ConfigurationFixture.minimal + "\nlisten: \"\(host.contains(":") ? "[\(host)]" : host):\(port)\"\n"
        return try fixture.parse(yaml).listen
    }
}
