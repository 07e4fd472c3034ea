import Foundation
import Switchyard
import XCTest

/// What a bad file is told: every problem at once, each with its place, key path and a message an
/// operator can act on, and never a secret.
final class ConfigurationValidationTests: XCTestCase {
    private var fixture: ConfigurationFixture!

    override func setUpWithError() throws {
        fixture = try ConfigurationFixture()
    }

    override func tearDown() {
        fixture.remove()
    }

    private let tls = "tls: {certificate: certs/dev/server.crt, privateKey: certs/dev/server.key}"
    private let auth = """
        auth:
          apiKeys: [{sha256: "\(ConfigurationFixture.validHash)", tenant: acme, scopes: [devices:write]}]
        """

    /// The minimal file with the `acme` tenant's flow mapping replaced by `tenant` (on line 5).
    private func withTenant(_ tenant: String) -> String {
        "\(tls)\n\(auth)\ntenants:\n  acme: \(tenant)\n"
    }

    func testUnknownKeysAreNamedWithTheClosestKnownKey() {
        let yaml = """
            tsl: {certificate: certs/dev/server.crt, privateKey: certs/dev/server.key}
            \(auth)
            tenants:
              acme: {vendr: gate, upstream: "https://gate.example.com", credentials: {token: t0ken}}
            limits: {maxheaderbyte: 2048, colour: 1}
            """
        XCTAssertEqual(fixture.problems(yaml), [
            #"gateway.yaml:1:1: tsl: unknown key (did you mean "tls"?)"#,
            "gateway.yaml:1:1: tls: missing required key",
            "gateway.yaml:5:9: tenants.acme.vendor: missing required key",
            #"gateway.yaml:5:10: tenants.acme.vendr: unknown key (did you mean "vendor"?)"#,
            #"gateway.yaml:6:10: limits.maxheaderbyte: unknown key (did you mean "maxHeaderBytes"?)"#,
            "gateway.yaml:6:31: limits.colour: unknown key (expected one of: maxHeaderBytes, maxBodyBytes, "
                + "maxBulkDevices, headerTimeoutSeconds, bodyTimeoutSeconds, idleTimeoutSeconds, maxPendingBodyBytes, "
                + "maxUpstreamBodyBytes, upstreamConnectTimeoutSeconds, "
                + "upstreamTimeoutSeconds, shutdownGraceSeconds, maxConnections, dnsRefreshSeconds, drainDelaySeconds, bulkTimeoutSeconds)",
        ])
    }

    /// Only a vendor quota waits: `maxWaitSeconds` on a tenant's own `rateLimit` is unknown there,
    /// and a wait beyond a minute is refused.
    func testMaxWaitSecondsBelongsToTheVendorQuotaAndIsBounded() throws {
        let tenant = #"{vendor: gate, upstream: "https://gate.example.com", credentials: {token: t0ken}, "#
        XCTAssertEqual(fixture.problems(withTenant(tenant + "rateLimit: {requests: 1, perSeconds: 1, maxWaitSeconds: 1}}")), [
            #"gateway.yaml:5:131: tenants.acme.rateLimit.maxWaitSeconds: unknown key (expected one of: requests, perSeconds, burst)"#,
        ])
        XCTAssertEqual(fixture.problems(withTenant(tenant + "vendorQuota: {requests: 1, perSeconds: 1, maxWaitSeconds: 61}}")), [
            "gateway.yaml:5:149: tenants.acme.vendorQuota.maxWaitSeconds: must be from 0 to 60 seconds, found 61",
        ])
        let accepted = try fixture.parse(withTenant(tenant + "vendorQuota: {requests: 1, perSeconds: 1, maxWaitSeconds: 2.5}}"))
        XCTAssertEqual(accepted.tenants["acme"]?.vendorQuota?.maxWaitSeconds, 2.5)
    }

    /// `vendorConcurrency` needs its `limit`; its wait and queue are bounded.
    func testVendorConcurrencyIsChecked() throws {
        let tenant = #"{vendor: gate, upstream: "https://gate.example.com", credentials: {token: t0ken}, "#
        XCTAssertEqual(fixture.problems(withTenant(tenant + "vendorConcurrency: {limit: 0, maxWaitSeconds: 61, maxQueue: 0, queue: 1}}")), [
            "gateway.yaml:5:118: tenants.acme.vendorConcurrency.limit: must be from 1 to 10000, found 0",
            "gateway.yaml:5:137: tenants.acme.vendorConcurrency.maxWaitSeconds: must be from 0 to 60 seconds, found 61",
            "gateway.yaml:5:151: tenants.acme.vendorConcurrency.maxQueue: must be from 1 to 100000, found 0",
            "gateway.yaml:5:154: tenants.acme.vendorConcurrency.queue: unknown key (expected one of: limit, maxWaitSeconds, maxQueue)",
        ])
        XCTAssertEqual(fixture.problems(withTenant(tenant + "vendorConcurrency: {maxWaitSeconds: 1}}")), [
            "gateway.yaml:5:110: tenants.acme.vendorConcurrency.limit: missing required key",
        ])
        let accepted = try fixture.parse(withTenant(tenant + "vendorConcurrency: {limit: 1, maxWaitSeconds: 2}}"))
        XCTAssertEqual(accepted.tenants["acme"]?.vendorConcurrency, ConcurrencyPolicy(limit: 1, maxWaitSeconds: 2, maxQueue: 1_000))
    }

    /// A migration's target is checked as a tenant is, without the tenant's own keys; its stage, share,
    /// pointers and rollback are checked; a canary needs its share.
    func testMigrationIsCheckedLikeATenant() throws {
        let tenant = #"{vendor: gate, upstream: "https://gate.example.com", credentials: {token: t0ken}, "#
        let target = #"vendor: control-center, upstream: "https://cc.example.com", credentials: {username: u, apiKey: k}"#
        XCTAssertEqual(fixture.problems(withTenant(tenant + """
            migration: {to: {\(target), rateLimit: {requests: 1, perSeconds: 1}, applicationId: app}, stage: mirror, \
            ignore: ["/ok", "user/class"], rollback: {maxErrorRateIncrease: 2}}}
            """)), [
            "gateway.yaml:5:207: tenants.acme.migration.to.rateLimit: a migration's target doesn't take this key: it stays the tenant's, whichever vendor serves it",
            "gateway.yaml:5:248: tenants.acme.migration.to.applicationId: only mobilefirst-push tenants take this key, not control-center",
            #"gateway.yaml:5:300: tenants.acme.migration.ignore[1]: expected a JSON pointer such as "/updatedAt", found "user/class""#,
            #"gateway.yaml:5:348: tenants.acme.migration.rollback.maxErrorRateIncrease: expected a number from 0 to 1, found "2""#,
        ])
        XCTAssertEqual(fixture.problems(withTenant(tenant + "migration: {to: {\(target)}, stage: canary}}")), [
            "gateway.yaml:5:102: tenants.acme.migration.percent: a canary needs \"percent\": the share of devices the target serves, 0 to 100",
        ])
        XCTAssertEqual(fixture.problems(withTenant(tenant + "migration: {stage: sideways, percent: 101}}")), [
            "gateway.yaml:5:102: tenants.acme.migration.to: missing required key",
            "gateway.yaml:5:110: tenants.acme.migration.stage: unknown stage \"sideways\" (expected one of: mirror, canary, cutover)",
            #"gateway.yaml:5:129: tenants.acme.migration.percent: expected a number from 0 to 100, found "101""#,
        ])
        let accepted = try fixture.parse(withTenant(tenant + "migration: {to: {\(target)}, stage: mirror, ignore: [/updatedAt]}}"))
        let migration = try XCTUnwrap(accepted.tenants["acme"]?.migration)
        XCTAssertEqual(migration.stage, .mirror)
        XCTAssertEqual(migration.ignore, ["/updatedAt"])
        XCTAssertEqual(migration.target.vendor, .controlCenter)
        XCTAssertEqual(migration.target.name, "acme>migration")
        XCTAssertEqual(migration.rollback, MigrationConfiguration.Rollback())
        XCTAssertEqual(Set(accepted.vendorBindings.keys), ["acme", "acme>migration"])
    }

    /// `idempotency.store` is memory or rateLimit.store's own Redis; its bounds are checked.
    func testIdempotencySettingsAreChecked() throws {
        let tenant = #"{vendor: gate, upstream: "https://gate.example.com", credentials: {token: t0ken}}"#
        let redis = "rateLimit: {store: \"redis://127.0.0.1:6390\"}\n"
        XCTAssertEqual(fixture.problems(withTenant(tenant) + redis + "idempotency: {store: \"redis://10.0.0.9:6379\", ttlSeconds: 0}\n"), [
            "gateway.yaml:7:22: idempotency.store: expected memory, or the redis://host:port of rateLimit.store",
            "gateway.yaml:7:59: idempotency.ttlSeconds: must be from 1 to 604800, found 0",
        ])
        let shared = try fixture.parse(withTenant(tenant) + redis + "idempotency: {store: \"redis://127.0.0.1:6390\", ttlSeconds: 60}\n")
        XCTAssertEqual(shared.idempotency.store, .rateLimitStore)
        XCTAssertEqual(shared.idempotency.ttlSeconds, 60)
        XCTAssertNil(try fixture.parse(withTenant(tenant)).idempotency.store, "by default where rateLimit.store is")
    }

    func testWrongTypesNameTheKeyAndTheExpectedType() {
        let yaml = """
            \(tls)
            \(auth)
            tenants:
              acme: {vendor: gate, upstream: [https://gate.example.com], credentials: {token: {a: b}}}
            limits: {maxBodyBytes: lots, headerTimeoutSeconds: soon, maxBulkDevices: 1.5}
            rateLimit: memory
            listen:
            """
        XCTAssertEqual(fixture.problems(yaml), [
            "gateway.yaml:5:34: tenants.acme.upstream: expected a string, found a list",
            "gateway.yaml:5:83: tenants.acme.credentials.token: expected a string, found a mapping",
            #"gateway.yaml:6:24: limits.maxBodyBytes: expected an integer, found "lots""#,
            #"gateway.yaml:6:52: limits.headerTimeoutSeconds: expected a number of seconds, found "soon""#,
            #"gateway.yaml:6:74: limits.maxBulkDevices: expected an integer, found "1.5""#,
            "gateway.yaml:7:12: rateLimit: expected a mapping, found a string",
            "gateway.yaml:8:8: listen: expected a string, found null",
        ])
    }

    func testMissingRequiredKeys() {
        XCTAssertEqual(fixture.problems("workers: auto\n"), [
            "gateway.yaml:1:1: tls: missing required key",
        ])
        XCTAssertEqual(fixture.problems(withTenant("{vendor: iot-security}")), [
            "gateway.yaml:5:9: tenants.acme.upstream: missing required key",
            "gateway.yaml:5:9: tenants.acme.credentials: missing required key",
            "gateway.yaml:5:9: tenants.acme.customerId: missing required key",
            "gateway.yaml:5:9: tenants.acme.updateSource: missing required key",
        ])
        XCTAssertEqual(fixture.problems("tls: {certificate: certs/dev/server.crt}\n\(auth)\ntenants:\n  acme: {}\n"), [
            "gateway.yaml:1:6: tls.privateKey: missing required key",
            "gateway.yaml:5:9: tenants.acme.vendor: missing required key",
            "gateway.yaml:5:9: tenants.acme.upstream: missing required key",
            "gateway.yaml:5:9: tenants.acme.credentials: missing required key",
        ])
    }

    func testUnknownVendor() {
        XCTAssertEqual(fixture.problems(withTenant(#"{vendor: gatee, upstream: "https://g.example.com", credentials: {token: t}}"#)), [
            #"gateway.yaml:5:18: tenants.acme.vendor: unknown vendor "gatee" "#
                + "(expected one of: gate, mobilefirst-push, control-center, vodlix, iot-security)",
        ])
    }

    func testVendorSpecificKeysAndCredentials() {
        XCTAssertEqual(fixture.problems(withTenant(
            #"{vendor: gate, upstream: "https://g.example.com", applicationId: app, credentials: {username: u}}"#)), [
            "gateway.yaml:5:59: tenants.acme.applicationId: only mobilefirst-push tenants take this key, not gate",
            "gateway.yaml:5:92: tenants.acme.credentials.token: missing required key",
            "gateway.yaml:5:93: tenants.acme.credentials.username: unknown key (expected one of: token)",
        ])
        XCTAssertEqual(fixture.problems(withTenant(
            #"{vendor: mobilefirst-push, upstream: "https://p.example.com", applicationId: "my app", credentials: {clientId: "a:b", clientSecret: s}}"#)), [
            #"gateway.yaml:5:86: tenants.acme.applicationId: "my app" may contain only letters, digits, ".", "_", "~" and "-" (it goes into the vendor's URL as is)"#,
            #"gateway.yaml:5:120: tenants.acme.credentials.clientId: must not contain ":", which ends the user id in HTTP Basic authentication"#,
        ])
    }

    func testUpstreamMustBeHTTPSOrLoopbackHTTP() {
        func problems(_ upstream: String) -> [String] {
            fixture.problems(withTenant(#"{vendor: gate, upstream: "\#(upstream)", credentials: {token: t}}"#))
        }
        let prefix = "gateway.yaml:5:34: tenants.acme.upstream: "
        XCTAssertEqual(problems("ftp://files.example.com"),
                       [prefix + #"scheme "ftp" is not supported (expected https, or http to a loopback host)"#])
        let loopbackOnly = "plain http is allowed only to a loopback host (127.0.0.0/8, ::1, localhost): "
            + "anywhere else credentials and device data would cross the network unencrypted; use https"
        XCTAssertEqual(problems("http://gate.example.com"), [prefix + loopbackOnly])
        XCTAssertEqual(problems("http://10.0.0.1:8080"), [prefix + loopbackOnly])
        XCTAssertEqual(problems("http://[::2]"), [prefix + loopbackOnly])
        XCTAssertEqual(problems("http://128.0.0.1"), [prefix + loopbackOnly])
        XCTAssertEqual(problems("gate.example.com"), [prefix + "expected an absolute URL like https://host[:port][/prefix]"])
        XCTAssertEqual(problems("https://user:pw@gate.example.com"),
                       [prefix + "must not contain user information; put credentials under credentials"])
        XCTAssertEqual(problems("https://gate.example.com/api?x=1"),
                       [prefix + "must not have a query or fragment; the adapter builds those"])
        XCTAssertEqual(problems("https://gate.example.com:0"), [prefix + "the port must be a number from 1 to 65535"])
        XCTAssertEqual(problems("https://gate.example.com:99999"), [prefix + "the port must be a number from 0 to 65535"])
        XCTAssertEqual(problems("https://gate..example.com"), [prefix + "not a valid IP address or host name"])
        XCTAssertEqual(problems("https://10.0.0.256"), [prefix + "not a valid IP address or host name"])
    }

    func testBadListenAddresses() {
        let cases = [
            ("8443", #""8443": expected host:port, like 0.0.0.0:8443 or [::1]:8443"#),
            ("0.0.0.0", #""0.0.0.0": expected host:port, like 0.0.0.0:8443 or [::1]:8443"#),
            ("::1:443", #""::1:443": IPv6 addresses must be in brackets, like [::1]:8443"#),
            ("[::1:443", #""[::1:443": unclosed "[" in an IPv6 address"#),
            ("[::g]:443", #""[::g]:443": not a valid IPv6 address inside the brackets"#),
            ("[127.0.0.1]:443", #""[127.0.0.1]:443": not a valid IPv6 address inside the brackets"#),
            ("1.2.3.4:65536", #""1.2.3.4:65536": the port must be a number from 0 to 65535"#),
            ("1.2.3.4:", #""1.2.3.4:": the port must be a number from 0 to 65535"#),
            ("1.2.3:443", #""1.2.3:443": not a valid IP address or host name"#),
            ("01.2.3.4:443", #""01.2.3.4:443": not a valid IP address or host name"#),
            ("example.com:443", #""example.com:443": listen on an IP address or localhost, not a host name"#),
        ]
        for (address, message) in cases {
            XCTAssertEqual(fixture.problems(ConfigurationFixture.minimal + "\nlisten: \"\(address)\"\n"),
                           ["gateway.yaml:6:9: listen: " + message], address)
        }
        XCTAssertEqual(fixture.problems(ConfigurationFixture.minimal + "\nadmin: on\n"),
                       [#"gateway.yaml:6:8: admin: "on": expected host:port, like 0.0.0.0:8443 or [::1]:8443"#])
    }

    func testJWTKeys() {
        func problems(_ jwt: String, environment: [String: String] = [:]) -> [String] {
            fixture.problems(ConfigurationFixture.minimal.replacingOccurrences(of: "auth:\n", with: "auth:\n  jwt: \(jwt)\n"),
                             environment: environment)
        }
        XCTAssertEqual(problems(#"{hs256Secret: "${SECRET}"}"#, environment: ["SECRET": String(repeating: "x", count: 31)]), [
            "gateway.yaml:3:22: auth.jwt.hs256Secret: must be at least 32 bytes long (generate one with: openssl rand -base64 48)",
        ])
        XCTAssertEqual(problems("{issuer: me, leewaySeconds: 301}"), [
            "gateway.yaml:3:8: auth.jwt: set hs256Secret, jwksFile or both: without a key no token can be verified",
            "gateway.yaml:3:36: auth.jwt.leewaySeconds: must be from 0 to 300, found 301",
        ])
        XCTAssertEqual(problems("{jwksFile: certs/missing.json, audiences: [a]}"), [
            "gateway.yaml:3:19: auth.jwt.jwksFile: no such file: \(fixture.directory)/certs/missing.json",
            #"gateway.yaml:3:39: auth.jwt.audiences: unknown key (did you mean "audience"?)"#,
        ])
    }

    func testAPIKeyEntries() {
        let yaml = """
            \(tls)
            auth:
              apiKeys:
                - {sha256: "\(ConfigurationFixture.validHash)", tenant: acmee, scopes: [devices:write]}
                - {sha256: "\(ConfigurationFixture.validHash.uppercased())", tenant: acme, scopes: [devices:write]}
                - {sha256: "abc123", tenant: acme, scopes: []}
                - {sha256: "\(String(repeating: "g", count: 64))", tenant: acme, scopes: [devices:read, devices:bulk]}
                - {tenant: acme, scopes: devices:write, name: ci}
            tenants:
              acme: {vendor: gate, upstream: "https://gate.example.com", credentials: {token: t0ken}}
            """
        let hashRule = "expected the key's SHA-256 as 64 hexadecimal characters (printf %s KEY | sha256sum)"
        XCTAssertEqual(fixture.problems(yaml), [
            #"gateway.yaml:4:92: auth.apiKeys[0].tenant: no tenant named "acmee" is configured (did you mean "acme"?)"#,
            "gateway.yaml:5:16: auth.apiKeys[1].sha256: the same key is already listed as auth.apiKeys[0]; a key belongs to one tenant",
            "gateway.yaml:6:16: auth.apiKeys[2].sha256: " + hashRule,
            "gateway.yaml:6:48: auth.apiKeys[2].scopes: must list at least one scope (devices:write, devices:bulk)",
            "gateway.yaml:7:16: auth.apiKeys[3].sha256: " + hashRule,
            #"gateway.yaml:7:107: auth.apiKeys[3].scopes[0]: unknown scope "devices:read" (expected one of: devices:write, devices:bulk)"#,
            "gateway.yaml:8:7: auth.apiKeys[4].sha256: missing required key",
            "gateway.yaml:8:30: auth.apiKeys[4].scopes: expected a list, found a string",
            #"gateway.yaml:8:45: auth.apiKeys[4].name: unknown key (expected one of: sha256, tenant, scopes)"#,
        ])
    }

    func testMissingEnvironmentVariablesAreNamed() {
        let yaml = ConfigurationFixture.minimal.replacingOccurrences(
            of: "{token: t0ken}", with: #"{token: "${GATE_TOKEN}"}, rateLimit: {requests: "${RPS}", perSeconds: "${WINDOW}${UNIT}"}"#)
        XCTAssertEqual(fixture.problems(yaml, environment: ["WINDOW": "1"]), [
            "gateway.yaml:5:83: tenants.acme.credentials.token: environment variable GATE_TOKEN is not set",
            "gateway.yaml:5:123: tenants.acme.rateLimit.requests: environment variable RPS is not set",
            "gateway.yaml:5:145: tenants.acme.rateLimit.perSeconds: environment variable UNIT is not set",
        ])
    }

    /// A `${file:…}` that can't be used names the file and why, never its content.
    func testUnusableFilesAreNamed() throws {
        let directory = fixture.directory
        try Data(repeating: UInt8(ascii: "s"), count: 65_537).write(to: URL(fileURLWithPath: directory + "/huge"))
        try Data([0x73, 0xff, 0xfe]).write(to: URL(fileURLWithPath: directory + "/binary"))
        func problems(_ reference: String) -> [String] {
            fixture.problems(ConfigurationFixture.minimal.replacingOccurrences(of: "{token: t0ken}", with: "{token: \"\(reference)\"}"))
        }
        let prefix = "gateway.yaml:5:83: tenants.acme.credentials.token: ${file:…}: "
        XCTAssertEqual(problems("${file:absent}"), [prefix + "no such file: \(directory)/absent"])
        XCTAssertEqual(problems("${file:.}"), [prefix + "\(directory) is a directory, not a file"])
        XCTAssertEqual(problems("${file:huge}"), [prefix + "\(directory)/huge is larger than 64 KiB"])
        XCTAssertEqual(problems("${file:binary}"), [prefix + "\(directory)/binary is not UTF-8 text"])
    }

    func testMalformedReferencesAreRefusedWithoutEchoingTheValue() {
        let message = #"tenants.acme.credentials.token: "${" must start a reference like ${NAME} (letters, digits, "_") or ${file:PATH}; write "$${" for a literal "${""#
        for token in ["${GATE TOKEN}", "s3cr3t${", "${}", "${1X}", "${file:}"] {
            let yaml = ConfigurationFixture.minimal.replacingOccurrences(of: "{token: t0ken}", with: "{token: \"\(token)\"}")
            XCTAssertEqual(fixture.problems(yaml), ["gateway.yaml:5:83: " + message], token)
        }
    }

    func testRangesAreChecked() {
        let yaml = ConfigurationFixture.minimal.replacingOccurrences(
            of: "credentials: {token: t0ken}",
            with: "credentials: {token: t0ken}, rateLimit: {requests: 0, perSeconds: 86401, burst: -1}") + """

            workers: 257
            limits: {maxHeaderBytes: 512, maxBodyBytes: 0, maxBulkDevices: 100001, headerTimeoutSeconds: 0,
                     idleTimeoutSeconds: 3601, upstreamConnectTimeoutSeconds: -1, upstreamTimeoutSeconds: .inf,
                     shutdownGraceSeconds: -0.5, maxConnections: 0}
            """
        XCTAssertEqual(fixture.problems(yaml), [
            "gateway.yaml:5:113: tenants.acme.rateLimit.requests: must be from 1 to 1000000, found 0",
            "gateway.yaml:5:128: tenants.acme.rateLimit.perSeconds: must be from 1 to 86400, found 86401",
            "gateway.yaml:5:142: tenants.acme.rateLimit.burst: must be from 1 to 1000000, found -1",
            #"gateway.yaml:6:10: workers: expected "auto" or an integer from 1 to 256, found "257""#,
            "gateway.yaml:7:26: limits.maxHeaderBytes: must be from 1024 to 1048576, found 512",
            "gateway.yaml:7:45: limits.maxBodyBytes: must be from 1 to 1073741824, found 0",
            "gateway.yaml:7:64: limits.maxBulkDevices: must be from 1 to 100000, found 100001",
            "gateway.yaml:7:94: limits.headerTimeoutSeconds: must be more than 0 and at most 3600 seconds, found 0",
            "gateway.yaml:8:30: limits.idleTimeoutSeconds: must be more than 0 and at most 3600 seconds, found 3601",
            "gateway.yaml:8:67: limits.upstreamConnectTimeoutSeconds: must be more than 0 and at most 3600 seconds, found -1",
            #"gateway.yaml:8:95: limits.upstreamTimeoutSeconds: expected a number of seconds, found ".inf""#,
            "gateway.yaml:9:32: limits.shutdownGraceSeconds: must be from 0 to 3600 seconds, found -0.5",
            "gateway.yaml:9:54: limits.maxConnections: must be from 1 to 1000000, found 0",
        ])
    }

    func testRateLimitStore() {
        func problems(_ rateLimit: String) -> [String] {
            fixture.problems(ConfigurationFixture.minimal + "\nrateLimit: \(rateLimit)\n")
        }
        XCTAssertEqual(problems(#"{store: "redis://:hunter2@cache:6379"}"#),
                       ["gateway.yaml:6:20: rateLimit.store: expected redis://host:port with no user, password or database"])
        XCTAssertEqual(problems(#"{store: "rediss://cache:6379"}"#),
                       ["gateway.yaml:6:20: rateLimit.store: expected memory or redis://host:port"])
        XCTAssertEqual(problems(#"{store: "redis://cache:0"}"#),
                       ["gateway.yaml:6:20: rateLimit.store: the port must be a number from 1 to 65535"])
        XCTAssertEqual(problems("{onStoreFailure: fail}"),
                       [#"gateway.yaml:6:29: rateLimit.onStoreFailure: unknown policy "fail" (expected one of: local, open, closed)"#])
        XCTAssertEqual(problems("{storeTimeoutMilliseconds: 0}"),
                       ["gateway.yaml:6:39: rateLimit.storeTimeoutMilliseconds: must be from 1 to 1000, found 0"])
        XCTAssertEqual(try? fixture.parse(ConfigurationFixture.minimal + "\nrateLimit: {storeTimeoutMilliseconds: 50}\n")
            .rateLimit.storeTimeoutMilliseconds, 50)
    }

    func testFilesAreCheckedAndNamedByTheirKey() throws {
        try FileManager.default.createDirectory(atPath: fixture.directory + "/certs/dir", withIntermediateDirectories: true)
        let yaml = """
            tls: {certificate: certs/dev/missing.crt, privateKey: /nonexistent/server.key}
            \(auth)
            tenants:
              acme: {vendor: gate, upstream: "https://gate.example.com", credentials: {token: t0ken}, caFile: certs/dir}
            """
        XCTAssertEqual(fixture.problems(yaml), [
            "gateway.yaml:1:20: tls.certificate: no such file: \(fixture.directory)/certs/dev/missing.crt",
            "gateway.yaml:1:55: tls.privateKey: no such file: /nonexistent/server.key",
            "gateway.yaml:5:99: tenants.acme.caFile: \(fixture.directory)/certs/dir is a directory, not a file",
        ])
    }

    func testTenantNames() {
        let yaml = """
            \(tls)
            \(auth)
            tenants:
              acme: {vendor: gate, upstream: "https://gate.example.com", credentials: {token: t0ken}}
              Acme_Corp: {vendor: vodlix, upstream: "https://v.example.com", credentials: {cookie: c}}
              -dash: {vendor: vodlix, upstream: "https://v.example.com", credentials: {cookie: c}}
              \(String(repeating: "a", count: 64)): {vendor: vodlix, upstream: "http://v.example.com", credentials: {cookie: c}}
            """
        let rule = #"tenant names are 1 to 63 lowercase letters, digits, "_" and "-", starting with a letter or digit"#
        XCTAssertEqual(fixture.problems(yaml), [
            "gateway.yaml:6:3: tenants.Acme_Corp: " + rule,
            "gateway.yaml:7:3: tenants.-dash: " + rule,
            "gateway.yaml:8:3: tenants.\(String(repeating: "a", count: 64)): " + rule,
            "gateway.yaml:8:96: tenants.\(String(repeating: "a", count: 64)).upstream: plain http is allowed only to a "
                + "loopback host (127.0.0.0/8, ::1, localhost): anywhere else credentials and device data would "
                + "cross the network unencrypted; use https",
        ])
    }

    func testManyProblemsAreReportedTogetherInDocumentOrder() {
        let yaml = """
            listen: "0.0.0.0:99999"
            tls:
              certificate: certs/dev/server.crt
              privateKey: certs/dev/server.key
              ciphers: all
            auth:
              apiKeys:
                - sha256: "\(ConfigurationFixture.validHash)"
                  tenant: nobody
                  scopes: [devices:write]
            tenants:
              acme:
                vendor: control-center
                upstream: "http://restapi1.jasper.com"
                credentials:
                  username: "${CC_USER}"
                rateLimit:
                  requests: 600
                  perSeconds: 60
                  burst: many
            """
        let problems = fixture.problems(yaml)
        XCTAssertEqual(problems, [
            #"gateway.yaml:1:9: listen: "0.0.0.0:99999": the port must be a number from 0 to 65535"#,
            "gateway.yaml:5:3: tls.ciphers: unknown key (expected one of: certificate, privateKey)",
            #"gateway.yaml:9:15: auth.apiKeys[0].tenant: no tenant named "nobody" is configured"#,
            "gateway.yaml:14:15: tenants.acme.upstream: plain http is allowed only to a loopback host (127.0.0.0/8, "
                + "::1, localhost): anywhere else credentials and device data would cross the network unencrypted; use https",
            "gateway.yaml:16:7: tenants.acme.credentials.apiKey: missing required key",
            "gateway.yaml:16:17: tenants.acme.credentials.username: environment variable CC_USER is not set",
            #"gateway.yaml:20:14: tenants.acme.rateLimit.burst: expected an integer, found "many""#,
        ])
    }

    func testProblemsCarryTheirPartsSeparately() {
        do {
            _ = try fixture.parse(withTenant(#"{vendor: gatee, upstream: "https://g.example.com", credentials: {token: t}}"#))
            XCTFail("accepted")
        } catch {
            XCTAssertEqual(error.problems.count, 1)
            XCTAssertEqual(error.problems.first?.source, "gateway.yaml")
            XCTAssertEqual(error.problems.first?.keyPath, "tenants.acme.vendor")
            XCTAssertEqual(error.problems.first?.line, 5)
            XCTAssertEqual(error.problems.first?.column, 18)
        }
    }

    // MARK: YAML itself

    func testSyntaxErrorsAreOneProblemWithTheirLine() {
        XCTAssertEqual(fixture.problems("tls: {certificate: a\nauth:\n  x: 1\n"), [
            "gateway.yaml:2:5: invalid YAML: while parsing a flow mapping at line 1, did not find expected ',' or '}'",
        ])
        XCTAssertEqual(fixture.problems("auth:\n  jwt: 1\n    x: 2\n"), [
            "gateway.yaml:3:6: invalid YAML: mapping values are not allowed in this context",
        ])
        XCTAssertEqual(fixture.problems("tls: 1\nlisten: a\ntls: 2\n"), [
            #"gateway.yaml:1:1: duplicate key "tls" in one mapping; each key may appear once"#,
        ])
        // Found by fuzzing: a repeated complex key beside a repeated plain one was reported with a
        // key order and line that changed between two reads of the same text.
        for _ in 0..<20 {
            XCTAssertEqual(fixture.problems("t:\n? t-2:\n? t-2:\nt:\n"), [
                #"gateway.yaml: duplicate key "t", a key that is not a plain string in one mapping; each key may appear once"#,
            ])
        }
        XCTAssertEqual(fixture.problems("tls: 1\n---\ntls: 2\n"), [
            "gateway.yaml:2:1: invalid YAML: expected a single document in the stream at line 1, but found another document",
        ])
        XCTAssertEqual(fixture.problems("tls: a\nlisten: x\u{7}y\n"), [
            "gateway.yaml:2:10: invalid YAML: control characters are not allowed",
        ])
        XCTAssertEqual(fixture.problems("# nothing yet\n"), ["gateway.yaml: the file is empty"])
        XCTAssertEqual(fixture.problems("- tls\n"), ["gateway.yaml:1:1: expected a mapping, found a list"])
    }

    func testLoadRefusesAFileThatIsNotUTF8() throws {
        let path = fixture.directory + "/latin1.yaml"
        try Data([0x74, 0x6C, 0x73, 0x3A, 0x20, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try GatewayConfiguration.load(path: path, environment: [:])) { error in
            XCTAssertEqual((error as? ConfigurationError)?.description, "\(path): not UTF-8 text")
        }
    }

    func testAliasesAreExpanded() throws {
        let yaml = ConfigurationFixture.minimal + """

            limits: {headerTimeoutSeconds: &t 3, idleTimeoutSeconds: *t}
            """
        XCTAssertEqual(try fixture.parse(yaml).limits.idleTimeoutSeconds, 3)
    }

    // MARK: Tracing

    func testTracingIsOnWithAnEndpointAndTakesTheDocumentedDefaults() throws {
        XCTAssertNil(try fixture.parse(ConfigurationFixture.minimal).observability.tracing)
        XCTAssertNil(try fixture.parse(ConfigurationFixture.minimal + "\nobservability: {tracing: {sampleRatio: 0.5}}\n")
            .observability.tracing)
        let tracing = try XCTUnwrap(try fixture.parse(ConfigurationFixture.minimal
            + "\nobservability: {tracing: {otlpEndpoint: \"http://127.0.0.1:4318\"}}\n").observability.tracing)
        XCTAssertEqual(tracing.endpoint.description, "http://127.0.0.1:4318/v1/traces")
        XCTAssertEqual(tracing.sampleRatio, 1)
        XCTAssertEqual(tracing.serviceName, "switchyard")
        let given = try XCTUnwrap(try fixture.parse(ConfigurationFixture.minimal + """

            observability:
              tracing: {otlpEndpoint: "https://otel.example.com/otlp/v1/traces", sampleRatio: 0.1, serviceName: edge}
            """).observability.tracing)
        XCTAssertEqual(given.endpoint.description, "https://otel.example.com/otlp/v1/traces")
        XCTAssertEqual(given.sampleRatio, 0.1)
        XCTAssertEqual(given.serviceName, "edge")
    }

    func testBadTracingValuesNameTheirKey() {
        func problems(_ tracing: String) -> [String] {
            fixture.problems(ConfigurationFixture.minimal + "\nobservability:\n  tracing: \(tracing)\n")
        }
        let prefix = "gateway.yaml:7:"
        XCTAssertEqual(problems(#"{otlpEndpoint: "http://127.0.0.1:4318", sampleRatio: 1.5}"#),
                       [prefix + #"65: observability.tracing.sampleRatio: expected a number from 0 to 1, found "1.5""#])
        XCTAssertEqual(problems(#"{otlpEndpoint: "http://127.0.0.1:4318", sampleRatio: -0.1}"#),
                       [prefix + #"65: observability.tracing.sampleRatio: expected a number from 0 to 1, found "-0.1""#])
        XCTAssertEqual(problems(#"{otlpEndpoint: "http://127.0.0.1:4318", sampleRatio: often}"#),
                       [prefix + #"65: observability.tracing.sampleRatio: expected a number from 0 to 1, found "often""#])
        XCTAssertEqual(problems(#"{otlpEndpoint: "http://127.0.0.1:4318", serviceName: ""}"#),
                       [prefix + "65: observability.tracing.serviceName: must not be empty"])
        XCTAssertEqual(problems(#"{otlpEndpoint: "grpc://127.0.0.1:4317"}"#),
                       [prefix + #"27: observability.tracing.otlpEndpoint: scheme "grpc" is not supported (expected https, or http to a loopback host)"#])
        XCTAssertEqual(problems(#"{otlpEndpoint: "http://collector.example.com:4318"}"#),
                       [prefix + "27: observability.tracing.otlpEndpoint: plain http is allowed only to a loopback host (127.0.0.0/8, ::1, "
                           + "localhost): anywhere else credentials and device data would cross the network unencrypted; use https"])
        XCTAssertEqual(problems(#"{otlpEndpoint: "https://user:pw@otel.example.com"}"#),
                       [prefix + "27: observability.tracing.otlpEndpoint: must not contain user information"])
        XCTAssertEqual(problems(#"{otlpEndpoint: "https://otel.example.com/v1/traces?key=1"}"#),
                       [prefix + "27: observability.tracing.otlpEndpoint: must not have a query or fragment"])
        XCTAssertEqual(problems(#"{otlpEndpoint: "https://otel.example.com", sampleRate: 0.1}"#),
                       [prefix + #"55: observability.tracing.sampleRate: unknown key (did you mean "sampleRatio"?)"#])
        XCTAssertEqual(fixture.problems(ConfigurationFixture.minimal + "\nobservability: {traces: {}}\n"),
                       ["gateway.yaml:6:17: observability.traces: unknown key (expected one of: tracing)"])
        XCTAssertEqual(fixture.problems(ConfigurationFixture.minimal + "\nobservability: on\n"),
                       ["gateway.yaml:6:16: observability: expected a mapping, found a string"])
    }

    // MARK: Secrets

    func testSecretsNeverAppearInErrors() {
        let secrets = [
            "jwt-secret-that-is-too-short", "gate-token\n", "cc:user", "cc-api-key-value", "mfp-client-secret",
            "vodlix-cookie-value", "iot-key-id-value", "iot-access-key-value",
        ]
        let environment = Dictionary(uniqueKeysWithValues: secrets.enumerated().map { ("S\($0.offset)", $0.element) })
        let yaml = """
            \(tls)
            auth:
              jwt: {hs256Secret: "${S0}", jwksFile: certs/none.json}
              apiKeys: [{sha256: "${S1}", tenant: gate, scopes: [devices:write]}]
            tenants:
              gate: {vendor: gate, upstream: "https://${S3}@g.example.com", credentials: {token: "${S1}", extra: "${S7}"}}
              cc: {vendor: control-center, upstream: "https://c.example.com", credentials: {username: "${S2}", apiKey: ["${S3}"]}}
              mfp: {vendor: mobilefirst-push, upstream: "https://m.example.com", credentials: {clientId: "${S4}", clientSecret: "${S4}${MISSING}"}}
              vod: {vendor: vodlix, upstream: "https://v.example.com", credentials: {cookie: "${S5}${"}}
              iot: {vendor: iot-security, upstream: "https://i.example.com", customerId: "${S6}", updateSource: x, credentials: {keyId: "${S6}", accessKey: {v: "${S7}"}}}
              bad: {vendor: nobody, upstream: "https://b.example.com", credentials: {token: "${S7}"}}
            rateLimit: {store: "redis://${S5}@cache:6379"}
            """
        let text = fixture.problems(yaml, environment: environment).joined(separator: "\n")
        XCTAssertEqual(text.split(separator: "\n").count, 14, text)
        for secret in secrets {
            XCTAssertFalse(text.contains(secret.trimmingCharacters(in: .newlines)), "\(secret) leaked:\n\(text)")
        }
    }
}
