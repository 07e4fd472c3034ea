import Foundation
import SwitchyardSimulators
import XCTest

/// control-center: `PUT /rws/api/v1/devices/{iccid}` with Basic `username:apiKey`, the error
/// catalogue, 200 now or 202 later, and 5 calls per second per account.
final class ControlCenterSimulatorTests: XCTestCase {
    let auth = "authorization: Basic " + Data("sim-cc-user:sim-cc-api-key".utf8).base64EncodedString()
    let jsonType = "content-type: application/json"
    let ready = "8988216716970004975"      // ACTIVATION_READY
    let active = "9088217871987000001"     // ACTIVATED, ipv4Address 10.0.0.1

    func edit(_ sim: SimulatorFixture, _ iccid: String, _ body: String, headers: [String]? = nil, version: String = "v1") -> CurlResult {
        sim.call("PUT", "/rws/api/\(version)/devices/\(iccid)", headers: headers ?? [auth, jsonType, "accept: application/json"], body: body)
    }

    /// Most tests send more than 5 calls a second; the limit has its own test.
    func unlimited() throws -> SimulatorFixture {
        try SimulatorFixture(.controlCenter) { $0.rateLimit = nil }
    }

    func device(_ sim: SimulatorFixture, _ iccid: String) throws -> [String: Any] {
        try XCTUnwrap(try sim.devices().first { $0["iccid"] as? String == iccid })
    }

    func testImmediateEditIs200AndVisible() throws {
        let sim = try unlimited()
        let result = edit(sim, ready, json(["status": "ACTIVATED", "accountCustom1": "sent by a test"]))
        XCTAssertEqual(result.status, 200, result.text)
        XCTAssertEqual(result.json as NSDictionary?, ["iccid": ready] as NSDictionary)
        let device = try device(sim, ready)
        XCTAssertEqual(device["status"] as? String, "ACTIVATED")
        XCTAssertEqual(device["accountCustom1"] as? String, "sent by a test")
        // Activating it again is the documented conflict: the first change stuck.
        let again = edit(sim, ready, json(["status": "ACTIVATED"]))
        XCTAssertEqual(again.json as NSDictionary?, ["errorMessage": "Cannot activate a SIM which is already activated.", "errorCode": "10030000"] as NSDictionary)
    }

    func testFutureEffectiveDateIs202AndScheduled() throws {
        let sim = try unlimited()
        let later = Date().addingTimeInterval(10 * 86_400).formatted(.iso8601)
        let scheduled = edit(sim, ready, json(["ratePlan": "Standard 5GB", "effectiveDate": later]))
        XCTAssertEqual(scheduled.status, 202, scheduled.text)
        XCTAssertEqual(scheduled.json as NSDictionary?, ["iccid": ready] as NSDictionary)
        var device = try device(sim, ready)
        XCTAssertEqual(device["ratePlan"] as? String, "Standard 1GB", "not yet")
        let pending = try XCTUnwrap(device["scheduled"] as? [[String: Any]])
        XCTAssertEqual(pending.first?["changes"] as? [String: String], ["ratePlan": "Standard 5GB"])

        let past = Date().addingTimeInterval(-3600).formatted(.iso8601)
        XCTAssertEqual(edit(sim, ready, json(["ratePlan": "IoT Pooled 10MB", "effectiveDate": past])).status, 200)
        device = try self.device(sim, ready)
        XCTAssertEqual(device["ratePlan"] as? String, "IoT Pooled 10MB")

        // Whole seconds on the wire: two seconds ahead is still ahead when the request lands.
        let soon = Date().addingTimeInterval(2).formatted(.iso8601)
        XCTAssertEqual(edit(sim, active, json(["customer": "Globex", "effectiveDate": soon])).status, 202)
        Thread.sleep(forTimeInterval: 2.2)
        XCTAssertEqual(try self.device(sim, active)["customer"] as? String, "Globex", "a scheduled change takes effect on its date")

        let tooLate = Date().addingTimeInterval(181 * 86_400).formatted(.iso8601)
        XCTAssertEqual(edit(sim, ready, json(["ratePlan": "Standard 5GB", "effectiveDate": tooLate])).json?["errorCode"] as? String, "10000012")
        XCTAssertEqual(edit(sim, ready, json(["ratePlan": "Standard 5GB", "effectiveDate": "next tuesday"])).json?["errorCode"] as? String, "10000012")
        let withOffset = Date().addingTimeInterval(5 * 86_400).formatted(.iso8601).replacingOccurrences(of: "Z", with: "+00:00")
        XCTAssertEqual(edit(sim, ready, json(["ratePlan": "Standard 5GB", "effectiveDate": withOffset])).status, 202,
                       "Control Center's own date format carries an offset")
    }

    func testAuthentication() throws {
        let sim = try unlimited()
        let anonymous = edit(sim, ready, json(["status": "ACTIVATED"]), headers: [jsonType])
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertEqual(anonymous.json as NSDictionary?, ["errorMessage": "Full authentication is required to access this resource"] as NSDictionary,
                       "no errorCode before authentication")
        XCTAssertEqual(anonymous.header("www-authenticate"), "Basic realm=\"Jasper\"")

        let wrong = "authorization: Basic " + Data("sim-cc-user:wrong".utf8).base64EncodedString()
        let refused = edit(sim, ready, json(["status": "ACTIVATED"]), headers: [wrong, jsonType])
        XCTAssertEqual(refused.status, 401)
        XCTAssertEqual(refused.json as NSDictionary?, ["errorMessage": "Invalid credentials.", "errorCode": "10000001"] as NSDictionary)
        XCTAssertEqual(try device(sim, ready)["status"] as? String, "ACTIVATION_READY")
    }

    func testErrorCatalogue() throws {
        let sim = try unlimited()
        let cases: [(iccid: String, body: String, version: String, status: Int, code: String)] = [
            (ready, json(["status": "SOMEWHERE"]), "v1", 400, "10000005"),
            (ready, json(["status": 1]), "v1", 400, "10000005"),
            (ready, "{}", "v1", 400, "10000011"),
            (ready, json(["effectiveDate": "2020-01-01T00:00:00Z"]), "v1", 400, "10000011"),
            (ready, json(["ipv4Address": "10.9.9.9"]), "v1", 400, "10000011"),
            (ready, json(["ratePlan": "Unlimited Everything"]), "v1", 404, "10000013"),
            (ready, json(["communicationPlan": "Carrier Pigeon"]), "v1", 400, "10000014"),
            (ready, json(["customer": "Initech"]), "v1", 400, "10000015"),
            (ready, json(["overageLimitOverride": "SOMETIMES"]), "v1", 400, "10000016"),
            (ready, "{\"status\": \"ACTIVATED\",", "v1", 400, "10000023"),
            (ready, "[1]", "v1", 400, "10000023"),
            (ready, json(["status": "ACTIVATED"]), "v2", 400, "10000024"),
            (ready, json(["deviceID": 12]), "v1", 400, "10000025"),
            (ready, json(["modemID": false]), "v1", 400, "10000026"),
            (ready, json(["status": "ACTIVATED", "colour": "red"]), "v1", 400, "10000028"),
            (ready, json(["accountCustom11": "x"]), "v1", 400, "10000028"),
            (ready, json(["accountCustom1": String(repeating: "x", count: 2001)]), "v1", 400, "10000028"),
            (active, json(["status": "TEST_READY"]), "v1", 400, "10000029"),
            (ready, json(["ipv4Address": "10.0.0.1", "apn": "iot.example", "pdpId": "2"]), "v1", 400, "10000517"),
            (active, json(["status": "ACTIVATED"]), "v1", 400, "10030000"),
            ("8900000000000000000", json(["status": "ACTIVATED"]), "v1", 404, "20000001"),
        ]
        for item in cases {
            let result = edit(sim, item.iccid, item.body, version: item.version)
            let label = "\(item.version) \(item.iccid) \(item.body.prefix(80))"
            XCTAssertEqual(result.status, item.status, label)
            let body = try XCTUnwrap(result.json, label)
            XCTAssertEqual(body["errorCode"] as? String, item.code, "\(label): \(result.text)")
            XCTAssertEqual(Set(body.keys), ["errorMessage", "errorCode"], label)
            XCTAssertFalse((body["errorMessage"] as? String ?? "").isEmpty, label)
        }
        XCTAssertEqual(edit(sim, ready, json(["ipv4Address": "10.0.0.2", "apn": "iot.example", "pdpId": "2"])).status, 200,
                       "a free address with its apn and pdpId is fine")
        XCTAssertEqual(sim.call("GET", "/rws/api/v1/devices/\(ready)", headers: [auth]).status, 405)
    }

    func testFiveCallsPerSecondPerAccount() throws {
        let sim = try SimulatorFixture(.controlCenter)
        let seeded = sim.control("POST", "/devices", body: json(["accounts": [["username": "second", "apiKey": "key-2"]]]))
        XCTAssertEqual(seeded.status, 200, seeded.text)
        let burst = Curl.repeated(port: sim.port, count: 10, "PUT", "/rws/api/v1/devices/\(ready)",
                                  headers: [auth, jsonType], body: json(["ratePlan": "Standard 1GB"]))
        XCTAssertEqual(burst.count, 10)
        XCTAssertEqual(burst.prefix(5).map(\.status), [200, 200, 200, 200, 200])
        let limited = try XCTUnwrap(burst.first { $0.status == 429 }, "10 calls on one connection come faster than 5 per second")
        XCTAssertEqual(try JSONSerialization.jsonObject(with: Data(limited.body)) as? NSDictionary,
                       ["errorMessage": "Rate Limit Exceeded", "errorCode": "40000029"] as NSDictionary)

        // Another account has its own budget.
        let other = "authorization: Basic " + Data("second:key-2".utf8).base64EncodedString()
        XCTAssertEqual(edit(sim, ready, json(["ratePlan": "Standard 1GB"]), headers: [other, jsonType]).status, 200)
        // Refused calls do not count: a second later the first account may call again.
        Thread.sleep(forTimeInterval: 1.1)
        XCTAssertEqual(edit(sim, ready, json(["ratePlan": "Standard 1GB"])).status, 200)
    }

    func testInjectedCatalogueError() throws {
        let sim = try unlimited()
        sim.inject(json(["kind": "vendorError", "errorCode": "10000008"]))
        let result = edit(sim, ready, json(["operatorCustom1": "x"]))
        XCTAssertEqual(result.status, 400)
        XCTAssertEqual(result.json as NSDictionary?, [
            "errorMessage": "Your role does not have access to operator and customer custom fields.", "errorCode": "10000008",
        ] as NSDictionary)
        sim.inject(json(["kind": "vendorError", "status": 500]))
        XCTAssertEqual(edit(sim, ready, "{}").json?["errorCode"] as? String, "30000001", "a bare 500 is the catalogue's server error")
    }
}
