import Crypto
import Foundation
@testable import Switchyard
import SwitchyardTestSupport
import SwitchyardVendors
import XCTest

/// What a reload builds (`GatewayState`): the JWKS file read again, so keys rotate without a
/// restart, and what did not change carried over.
final class ReloadStateTests: XCTestCase {
    private func configuration(jwksFile: String, tenants: String) throws -> GatewayConfiguration {
        try GatewayConfiguration.parse(yaml: """
            tls: {certificate: "\(TestEnvironment.serverCertificate)", privateKey: "\(TestEnvironment.serverKey)"}
            auth:
              jwt: {jwksFile: "\(jwksFile)", issuer: "https://id.example", audience: "switchyard"}
            tenants:
            \(tenants)
            """, baseDirectory: "/", source: "test.yaml", environment: [:])
    }

    private static let acme = "  acme: {vendor: control-center, upstream: \"https://127.0.0.1:9\", credentials: {username: u, apiKey: k}, rateLimit: {requests: 5, perSeconds: 60}, vendorConcurrency: {limit: 2}}"
    private static let globex = "  globex: {vendor: gate, upstream: \"https://127.0.0.1:9/api/v1\", credentials: {token: t}}"

    func testAReloadReadsTheJWKSFileAgainAndKeepsWhatDidNotChange() throws {
        let file = TestEnvironment.temporaryFile("jwks.json")
        // Before the rotation the file holds the RSA key only; the EC key is the new one.
        let full = try XCTUnwrap(JSONSerialization.jsonObject(with: AuthenticatorTests.jwks) as? [String: Any])
        let rsaOnly = ["keys": (full["keys"] as! [[String: Any]]).filter { $0["kid"] as? String == "rsa1" }]
        try JSONSerialization.data(withJSONObject: rsaOnly).write(to: URL(fileURLWithPath: file))
        let before = try GatewayState(configuration: configuration(jwksFile: file, tenants: Self.acme), loopCount: 1,
                                      adapter: VendorAdapters.adapter(for:), previous: nil)
        let token = AuthenticatorTests.token(header: ["alg": "ES256", "kid": "ec1"], claims: AuthenticatorTests.claims(), signer: .es256)
        let header = "Bearer \(token)"
        XCTAssertEqual(before.authenticator.authenticate(authorizationHeader: header, now: AuthenticatorTests.now, cache: nil).failureDetail,
                       "The token is signed with an unknown key.")

        try AuthenticatorTests.jwks.write(to: URL(fileURLWithPath: file))
        let after = try GatewayState(configuration: configuration(jwksFile: file, tenants: Self.acme + "\n" + Self.globex), loopCount: 1,
                                     adapter: VendorAdapters.adapter(for:), previous: before)
        XCTAssertEqual(try after.authenticator.authenticate(authorizationHeader: header, now: AuthenticatorTests.now, cache: nil).get().tenant, "acme")
        XCTAssertNotNil(before.authenticator.authenticate(authorizationHeader: header, now: AuthenticatorTests.now, cache: nil).failureDetail,
                        "a request that started before the reload keeps the old keys")
        XCTAssertTrue(after.bindings["acme"]?.route === before.bindings["acme"]?.route, "an unchanged tenant keeps its route (pool key, token)")
        XCTAssertNotNil(after.bindings["globex"]?.route)
        XCTAssertTrue(after.rateLimiter === before.rateLimiter, "unchanged policies keep their budgets (globex has none)")
        XCTAssertTrue(after.vendorQuota === before.vendorQuota)
        XCTAssertTrue(after.concurrency === before.concurrency, "unchanged caps keep their slots, held and waiting")

        let faster = Self.acme.replacingOccurrences(of: "requests: 5", with: "requests: 6")
        let changed = try GatewayState(configuration: configuration(jwksFile: file, tenants: faster), loopCount: 1,
                                       adapter: VendorAdapters.adapter(for:), previous: after)
        XCTAssertTrue(changed.rateLimiter !== after.rateLimiter, "a changed policy is a new limiter")
        XCTAssertTrue(changed.bindings["acme"]?.route === after.bindings["acme"]?.route, "the rate limit is not part of the route")
        XCTAssertTrue(changed.concurrency === after.concurrency)
        let wider = Self.acme.replacingOccurrences(of: "limit: 2", with: "limit: 3")
        let widened = try GatewayState(configuration: configuration(jwksFile: file, tenants: wider), loopCount: 1,
                                       adapter: VendorAdapters.adapter(for:), previous: changed)
        XCTAssertTrue(widened.concurrency !== changed.concurrency, "a changed cap starts afresh; calls holding old slots give them back there")
    }

    /// A migration's target is a binding of its own (route, quota, cap, circuit under
    /// `acme>migration`), labelled with its tenant; a reload that keeps `to` keeps the report and the
    /// target's route, another `to` starts both afresh, and removing `migration` ends it.
    func testAMigrationsReportOutlivesReloadsThatKeepItsTarget() throws {
        let file = TestEnvironment.temporaryFile("jwks.json")
        try AuthenticatorTests.jwks.write(to: URL(fileURLWithPath: file))
        let target = "vendor: gate, upstream: \"https://127.0.0.1:9/api/v1\", credentials: {token: t}, vendorQuota: {requests: 1, perSeconds: 1}"
        func migrating(_ target: String, ignore: String = "[]") -> String {
            Self.acme.replacingOccurrences(of: "vendorConcurrency: {limit: 2}}", with:
                "vendorConcurrency: {limit: 2}, migration: {to: {\(target)}, stage: mirror, ignore: \(ignore)}}")
        }
        func state(_ tenants: String, previous: GatewayState?) throws -> GatewayState {
            try GatewayState(configuration: configuration(jwksFile: file, tenants: tenants), loopCount: 1,
                             adapter: VendorAdapters.adapter(for:), previous: previous)
        }
        let first = try state(migrating(target), previous: nil)
        let migration = try XCTUnwrap(first.migrations["acme"])
        XCTAssertEqual(migration.target.route.name, "acme>migration")
        XCTAssertEqual(migration.target.route.tenant, "acme")
        XCTAssertEqual(migration.target.route.adapter.vendor, .gate)
        XCTAssertTrue(migration.current === first.bindings["acme"])
        XCTAssertNotNil(first.quotaPolicies["acme>migration"], "the target's quota is its own")
        XCTAssertNil(first.quotaPolicies["acme"])
        XCTAssertNotNil(first.bindings["acme>migration"]?.circuit)
        XCTAssertNil(first.concurrencyPolicies["acme>migration"], "the tenant's cap is not the target's")
        XCTAssertNotNil(first.bindings["acme>migration"]?.quota, "each binding holds its own quota, cap and circuit")
        XCTAssertNil(first.bindings["acme"]?.quota)
        XCTAssertNil(first.bindings["acme>migration"]?.cap)
        XCTAssertNotNil(first.bindings["acme"]?.cap)
        XCTAssertTrue(first.bindings["acme"]?.circuit !== first.bindings["acme>migration"]?.circuit)
        XCTAssertNil(first.bindings["acme>migration"]?.limit, "a target's requests are its tenant's: no limit of its own")
        for (name, binding) in first.bindings {
            XCTAssertTrue(first.binding(named: name) === binding, "\(name) found by its bytes")
            let (route, adapter) = (binding.route, binding.route.adapter)
            XCTAssertEqual(route.vendor, adapter.vendor, name)
            XCTAssertEqual(route.primaryKind, adapter.primaryKind, name)
            XCTAssertEqual(route.batchSize, max(1, adapter.batchSize), name)
            XCTAssertEqual(route.fanOutConcurrency, max(1, adapter.fanOutConcurrency), name)
        }
        for unknown in ["", "acm", "acmE", "acme>", "acme>migration2"] { XCTAssertNil(first.binding(named: unknown), unknown) }
        migration.report.record(.match, operation: "PATCH /devices/{id}", requestID: "r1")

        let kept = try state(migrating(target, ignore: "[/apn]"), previous: first)
        XCTAssertTrue(kept.migrations["acme"]?.report === migration.report, "another ignore list keeps the counts")
        XCTAssertTrue(kept.bindings["acme>migration"]?.route === first.bindings["acme>migration"]?.route, "and the target's route")
        XCTAssertEqual(kept.migrations["acme"]?.ignoring, ["/apn"])
        XCTAssertEqual(kept.migrations["acme"]?.report.snapshot.matched, 1)

        let elsewhere = try state(migrating(target.replacingOccurrences(of: "127.0.0.1:9", with: "127.0.0.1:10")), previous: kept)
        XCTAssertTrue(elsewhere.migrations["acme"]?.report !== migration.report, "another target starts afresh")
        XCTAssertTrue(elsewhere.bindings["acme>migration"]?.route !== kept.bindings["acme>migration"]?.route)
        XCTAssertEqual(elsewhere.migrations["acme"]?.report.snapshot.matched, 0)

        let done = try state(Self.acme, previous: elsewhere)
        XCTAssertTrue(done.migrations.isEmpty)
        XCTAssertNil(done.bindings["acme>migration"]?.route)
    }

    /// A tenant's `caFile` is read again by every reload: the same bytes keep the route (its pool
    /// and token), other bytes (a rotated CA) build a new one that trusts them.
    func testAReloadReadsTheTenantsCAFileAgain() throws {
        let jwks = TestEnvironment.temporaryFile("jwks-ca.json")
        try AuthenticatorTests.jwks.write(to: URL(fileURLWithPath: jwks))
        let caFile = TestEnvironment.temporaryFile("upstream-ca.pem")
        try FileManager.default.copyItem(atPath: TestEnvironment.caFile, toPath: caFile)
        let tenant = "  acme: {vendor: control-center, upstream: \"https://127.0.0.1:9\", caFile: \"\(caFile)\", credentials: {username: u, apiKey: k}}"
        func state(after previous: GatewayState?) throws -> GatewayState {
            try GatewayState(configuration: configuration(jwksFile: jwks, tenants: tenant), loopCount: 1,
                             adapter: VendorAdapters.adapter(for:), previous: previous)
        }
        let first = try state(after: nil)
        let same = try state(after: first)
        XCTAssertTrue(same.bindings["acme"]?.route === first.bindings["acme"]?.route, "the same CA keeps the route")

        let other = TestEnvironment.temporaryDirectory("other-ca")
        XCTAssertEqual(TestEnvironment.run(TestEnvironment.repositoryRoot.appendingPathComponent("certs/make-dev-certs.sh").path,
                                           ["--out", other.path]).status, 0)
        try FileManager.default.removeItem(atPath: caFile)
        try FileManager.default.copyItem(atPath: other.appendingPathComponent("ca.crt").path, toPath: caFile)
        let rotated = try state(after: same)
        XCTAssertTrue(rotated.bindings["acme"]?.route !== same.bindings["acme"]?.route, "a rotated CA builds a new route")
        XCTAssertEqual(rotated.bindings["acme"]?.route.caBundle, FileManager.default.contents(atPath: caFile).map { Array($0) })
    }
}

extension Result where Failure == AuthenticationFailure {
    var failureDetail: String? {
        if case .failure(let failure) = self { failure.detail } else { nil }
    }
}
