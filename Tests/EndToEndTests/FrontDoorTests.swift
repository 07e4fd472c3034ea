import Foundation
import SwitchyardTestSupport
import XCTest

/// Step 3's front door over real TLS: tokens minted by `switchyard token`, API keys, scopes, and
/// per-tenant GCRA limits with their headers. (Every token defect has its own unit test in
/// SwitchyardTests/AuthenticatorTests; here each kind of refusal is seen on the wire.)
final class FrontDoorTests: XCTestCase {
    /// A fresh secret and API key per run: nothing secret is committed, not even for tests.
    static let secret = UUID().uuidString + UUID().uuidString
    static let apiKey = "sk-" + UUID().uuidString
    static let gateway = Shared<GatewayProcess>()

    static var configuration: String {
        let hash = TestEnvironment.run("/bin/sh", ["-c", "printf %s \"$0\" | sha256sum | cut -d' ' -f1", apiKey]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return GatewayProcess.configuration() + """

        auth:
          jwt: {hs256Secret: "\(secret)", issuer: "https://id.test/", audience: "switchyard"}
          apiKeys: [{sha256: "\(hash)", tenant: globex, scopes: [devices:write]}]
        tenants:
          acme: {vendor: control-center, upstream: "https://127.0.0.1:9", credentials: {username: u, apiKey: k},
                 rateLimit: {requests: 5, perSeconds: 1, burst: 3}}
          globex: {vendor: mobilefirst-push, upstream: "https://127.0.0.1:9", applicationId: app, credentials: {clientId: c, clientSecret: s}}
        """
    }

    var gateway: GatewayProcess {
        get throws { try FrontDoorTests.gateway.get { try GatewayProcess(configuration: FrontDoorTests.configuration.replacingOccurrences(of: "tenants: {}\n", with: "")) } }
    }

    override class func tearDown() {
        gateway.reset()
    }

    private func token(tenant: String = "acme", scope: String = "devices:write", config: String? = nil) throws -> String {
        let path = try config ?? gateway.configPath
        let result = TestEnvironment.run(TestEnvironment.binary.path,
                                         ["token", "--config", path, "--tenant", tenant, "--scope", scope])
        XCTAssertEqual(result.status, 0, result.error)
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One request, on `client` or else on a connection of its own: a refusal from the head
    /// (401, 403) closes the connection, since its body is never read.
    private func post(_ client: TLSTestClient? = nil, path: String = "/devices", method: String = "POST",
                      authorization: String?) throws -> TLSTestClient.Response? {
        let client = try client ?? gateway.client()
        let auth = authorization.map { "Authorization: \($0)\r\n" } ?? ""
        client.send("\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n\(auth)Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        return client.readResponse()
    }

    func testNoOrBadCredentialIs401WithTheBearerChallenge() throws {
        for authorization in [nil, "Bearer", "Bearer not-a-key", "Basic YTpi", "Bearer eyJhbGciOiJub25lIn0.eyJ0ZW5hbnQiOiJhY21lIn0."] {
            let response = try XCTUnwrap(post(authorization: authorization), "\(authorization ?? "none")")
            XCTAssertEqual(response.status, 401, "\(authorization ?? "none")")
            XCTAssertEqual(response.json?["code"] as? String, "unauthenticated")
            XCTAssertEqual(response.header("www-authenticate"), #"Bearer error="invalid_token""#)
            XCTAssertNil(response.header("ratelimit"), "no tenant, no tenant headers")
            XCTAssertFalse(response.bodyText.contains("not-a-key"), "a credential never echoes")
        }
    }

    func testAValidTokenReachesTheOperationWithRateLimitHeaders() throws {
        let response = try XCTUnwrap(post(authorization: "Bearer \(try token(tenant: "globex"))"))
        XCTAssertEqual(response.status, 501, "authenticated and admitted: mobilefirst-push has no POST /devices")
        XCTAssertEqual(response.json?["code"] as? String, "unsupported_operation")
        XCTAssertNil(response.header("ratelimit-policy"), "globex has no rate limit")
    }

    func testMissingScopeIs403NamingTheScope() throws {
        let bulkOnly = try XCTUnwrap(post(authorization: "Bearer \(try token(scope: "devices:bulk"))"))
        XCTAssertEqual(bulkOnly.status, 403)
        XCTAssertEqual(bulkOnly.json?["code"] as? String, "insufficient_scope")
        XCTAssertEqual(bulkOnly.header("www-authenticate"), #"Bearer error="insufficient_scope", scope="devices:write""#)
        let writeOnly = try XCTUnwrap(post(method: "PATCH", authorization: "Bearer \(try token(tenant: "globex"))"))
        XCTAssertEqual(writeOnly.status, 403, "PATCH /devices is bulk")
        XCTAssertEqual(writeOnly.header("www-authenticate"), #"Bearer error="insufficient_scope", scope="devices:bulk""#)
    }

    func testAPIKeyHitAndMiss() throws {
        XCTAssertEqual(try post(authorization: "Bearer \(FrontDoorTests.apiKey)")?.status, 501)
        XCTAssertEqual(try post(authorization: "Bearer \(FrontDoorTests.apiKey)x")?.status, 401)
    }

    func testATokenForATenantThisGatewayDoesNotKnowIs401() throws {
        // Same secret, one more tenant: a token another deployment could mint.
        let other = TestEnvironment.temporaryDirectory("other").appendingPathComponent("other.yaml").path
        try String(contentsOfFile: try gateway.configPath, encoding: .utf8)
            .replacingOccurrences(of: "tenants:\n", with: "tenants:\n  initech: {vendor: control-center, upstream: \"https://127.0.0.1:9\", credentials: {username: u, apiKey: k}}\n")
            .write(toFile: other, atomically: true, encoding: .utf8)
        let response = try XCTUnwrap(post(authorization: "Bearer \(try token(tenant: "initech", config: other))"))
        XCTAssertEqual(response.status, 401)
        XCTAssertEqual(response.json?["detail"] as? String, "The token's tenant is not known to this gateway.")
    }

    func testBurstThen429WithRetryAfterWhileAnotherTenantIsUntouchedAndRefusalsCostNothing() throws {
        // Admitted requests and 429s keep the connection, and one connection keeps the timing tight.
        let client = try gateway.client()
        let acme = "Bearer \(try token())"
        let globex = "Bearer \(FrontDoorTests.apiKey)"
        // Burst 3 from idle, 5 per second sustained.
        for remaining in [2, 1, 0] {
            let response = try XCTUnwrap(post(client, authorization: acme))
            XCTAssertEqual(response.status, 501)
            XCTAssertEqual(response.header("ratelimit-policy"), #""tenant";q=5;w=1"#)
            XCTAssertTrue(response.header("ratelimit")?.hasPrefix(#""tenant";r=\#(remaining);t="#) ?? false, response.header("ratelimit") ?? "none")
        }
        for _ in 0..<10 {
            let refused = try XCTUnwrap(post(client, authorization: acme))
            XCTAssertEqual(refused.status, 429)
            XCTAssertEqual(refused.json?["code"] as? String, "rate_limited")
            XCTAssertEqual(refused.header("retry-after"), "1")
            XCTAssertTrue(refused.header("ratelimit")?.hasPrefix(#""tenant";r=0;"#) ?? false)
            XCTAssertEqual(try post(client, authorization: globex)?.status, 501, "another tenant is untouched")
        }
        // Ten refusals spent nothing: one emission interval (200 ms) later exactly one more passes.
        usleep(250_000)
        XCTAssertEqual(try post(client, authorization: acme)?.status, 501)
        XCTAssertEqual(try post(client, authorization: acme)?.status, 429)
    }
}
