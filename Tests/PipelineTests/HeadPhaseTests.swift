import Switchyard
import XCTest

/// route → authenticate → authorize: what the head alone decides, before any body is read, and
/// that nothing reaches the vendor.
final class HeadPhaseTests: XCTestCase {
    private var harness: PipelineHarness!

    override func setUpWithError() throws {
        harness = try PipelineHarness()
    }

    override func tearDown() {
        harness.stop()
    }

    func testRouteAnswersPathsAndMethodsItDoesNotServe() throws {
        let notFound = try harness.send("GET", "/nothing", token: nil)
        XCTAssertEqual(notFound.status, 404)
        XCTAssertEqual(notFound.code, "not_found")
        let wrongMethod = try harness.send("GET", "/devices", token: nil)
        XCTAssertEqual(wrongMethod.status, 405)
        XCTAssertEqual(wrongMethod.code, "method_not_allowed")
        XCTAssertEqual(wrongMethod.header("allow"), "POST, PATCH")
        let oneDevice = try harness.send("DELETE", "/devices/iccid:8988216716970004975", token: nil)
        XCTAssertEqual(oneDevice.header("allow"), "PATCH")
        XCTAssertNil(oneDevice.header("ratelimit"), "no tenant, no rate-limit headers")
        XCTAssertTrue(harness.vendor.requests.isEmpty)
    }

    func testAuthenticateRefusesMissingAndBadCredentials() throws {
        let missing = try harness.send("PATCH", "/devices/iccid:8988216716970004975", token: nil)
        XCTAssertEqual(missing.status, 401)
        XCTAssertEqual(missing.code, "unauthenticated")
        XCTAssertEqual(missing.header("www-authenticate"), #"Bearer error="invalid_token""#)
        let forged = try harness.token("acme").dropLast(2) + "xx"
        let bad = try harness.send("PATCH", "/devices/iccid:8988216716970004975", token: String(forged))
        XCTAssertEqual(bad.status, 401)
        XCTAssertEqual(bad.header("www-authenticate")?.hasPrefix("Bearer error=\"invalid_token\""), true)
        XCTAssertNil(bad.header("ratelimit"), "an unknown caller learns nothing of a tenant's budget")
        XCTAssertTrue(harness.vendor.requests.isEmpty)
    }

    func testAuthorizeNeedsTheOperationsScopeAndStatesTheBudgetWithoutSpendingIt() throws {
        let writeOnly = try harness.token("acme", [.devicesWrite])
        for _ in 0..<3 {
            let refused = try harness.send("PATCH", "/devices", token: writeOnly, json: #"{"devices": []}"#)
            XCTAssertEqual(refused.status, 403)
            XCTAssertEqual(refused.code, "insufficient_scope")
            XCTAssertEqual(refused.header("www-authenticate"), #"Bearer error="insufficient_scope", scope="devices:bulk""#)
            XCTAssertEqual(refused.header("ratelimit"), #""tenant";r=50;t=0"#, "peeked, not spent")
        }
        XCTAssertTrue(harness.vendor.requests.isEmpty)
    }

    /// The head's decisions are carried to the body: `respond` does not authenticate again.
    func testAnAdmittedHeadGoesOnWithWhatWasDecided() throws {
        harness.vendor.script { _ in ScriptedVendor.json(200, #"{"iccid": "8988216716970004975"}"#) }
        let answer = try harness.send("PATCH", "/devices/iccid:8988216716970004975", token: try harness.token("acme"),
                                      json: #"{"sim": {"status": "ACTIVATED"}}"#)
        XCTAssertEqual(answer.status, 200, answer.text)
        XCTAssertEqual(answer.json?["iccid"]?.stringValue, "8988216716970004975")
        XCTAssertEqual(answer.header("ratelimit"), #""tenant";r=49;t=1"#, "spent: one of 50, back in 0.1 s")
    }
}
