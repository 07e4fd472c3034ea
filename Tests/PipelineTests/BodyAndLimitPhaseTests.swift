import Foundation
import Switchyard
import SwitchyardHTTP
import XCTest

/// read body → rate limit: what the body and the tenant's budget decide, and that a request
/// refused there reaches no vendor and (before the limit) costs no budget.
final class BodyAndLimitPhaseTests: XCTestCase {
    private var harness: PipelineHarness!
    private let path = "/devices/iccid:8988216716970004975"

    override func setUpWithError() throws {
        harness = try PipelineHarness(limits: "maxBodyBytes: 1024", burst: 2)
        harness.vendor.script { _ in ScriptedVendor.json(200, #"{"iccid": "8988216716970004975"}"#) }
    }

    override func tearDown() {
        harness.stop()
    }

    func testReadBodyRefusesWhatIsNotJSONWithoutSpendingTheBudget() throws {
        let token = try harness.token("acme")
        let cases: [(headers: [(String, String)], body: [UInt8], status: Int, code: String)] = [
            ([("accept", "text/html"), ("content-type", "application/json")], Array("{}".utf8), 406, "not_acceptable"),
            ([("content-type", "text/plain")], Array("{}".utf8), 415, "unsupported_media_type"),
            ([("content-type", "application/json"), ("content-encoding", "br")], Array("{}".utf8), 415, "unsupported_media_type"),
            ([("content-type", "application/json"), ("content-encoding", "gzip")], Array("not gzip".utf8), 400, "invalid_request"),
            ([("content-type", "application/json"), ("content-encoding", "gzip")],
             GzipEncoder().compress(Array(repeating: UInt8(ascii: " "), count: 4096)), 413, "payload_too_large"),
            ([("content-type", "application/json")], Array(#"{"sim": }"#.utf8), 400, "invalid_request"),
        ]
        for (headers, body, status, code) in cases {
            let answer = try harness.send("PATCH", path, token: token, headers: headers, body: body)
            XCTAssertEqual(answer.status, status, "\(headers): \(answer.text)")
            XCTAssertEqual(answer.code, code, "\(headers)")
            XCTAssertEqual(answer.header("ratelimit"), #""tenant";r=2;t=0"#, "\(headers): the budget is stated, not spent")
        }
        XCTAssertTrue(harness.vendor.requests.isEmpty)
    }

    func testAnEmptyBodyIsRefusedAfterTheLimitAsMissing() throws {
        let answer = try harness.send("PATCH", path, token: try harness.token("acme"))
        XCTAssertEqual(answer.status, 400)
        XCTAssertEqual(answer.code, "invalid_request")
        XCTAssertEqual(answer.header("ratelimit"), #""tenant";r=1;t=1"#)
    }

    func testRateLimitAdmitsTheBurstThenRefusesWithRetryAfter() throws {
        let token = try harness.token("acme")
        let body = #"{"sim": {"status": "ACTIVATED"}}"#
        XCTAssertEqual(try harness.send("PATCH", path, token: token, json: body).status, 200)
        XCTAssertEqual(try harness.send("PATCH", path, token: token, json: body).status, 200)
        let refused = try harness.send("PATCH", path, token: token, json: body)
        XCTAssertEqual(refused.status, 429)
        XCTAssertEqual(refused.code, "rate_limited")
        XCTAssertEqual(refused.header("retry-after"), "1")
        XCTAssertEqual(refused.header("ratelimit-policy"), #""tenant";q=600;w=60"#)
        XCTAssertEqual(harness.vendor.requests.count, 2, "the refused request reached no vendor")
    }

    func testATenantWithoutALimitGetsNoRateLimitHeaders() throws {
        harness.vendor.script { _ in ScriptedVendor.json(201, #"{"message": "registered"}"#) }
        let answer = try harness.send("POST", "/devices", token: try harness.token("globex"), json: #"{"imei": "123456789012345"}"#)
        XCTAssertEqual(answer.status, 201, answer.text)
        XCTAssertNil(answer.header("ratelimit-policy"))
        XCTAssertNil(answer.header("ratelimit"))
    }
}
