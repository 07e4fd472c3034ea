import SwitchyardSimulators
import XCTest

/// gate: `POST /api/v1/device_app_user_update/` with a Bearer token and `{"data": "<JSON string>"}`.
final class GateSimulatorTests: XCTestCase {
    let path = "/device_app_user_update/"
    let auth = "authorization: Bearer sim-gate-token"
    let jsonType = "content-type: application/json"

    func update(_ sim: SimulatorFixture, _ data: Any, headers: [String]? = nil) -> CurlResult {
        sim.call("POST", path, headers: headers ?? [auth, jsonType], body: json(["data": json(data)]))
    }

    func testUpdateEchoesTheUserAndLaterAnswersReflectIt() throws {
        let sim = try SimulatorFixture(.gate)
        let first = update(sim, ["username": "john_doe", "user_class": "gold"])
        XCTAssertEqual(first.status, 201, first.text)
        XCTAssertEqual(first.header("content-type"), "application/json")
        let user = try XCTUnwrap(first.json)
        XCTAssertEqual(user["user_class"] as? String, "gold")
        XCTAssertEqual(user["imei"] as? String, "123456789012345", "the whole record is echoed")
        XCTAssertEqual(user["password"] as? String, "hashed_password_string")

        // Found by another identifier; the earlier change is still there.
        let second = update(sim, ["imei": "123456789012345", "number": "+19995550000"])
        XCTAssertEqual(second.status, 201, second.text)
        XCTAssertEqual(second.json?["user_class"] as? String, "gold")
        XCTAssertEqual(second.json?["number"] as? String, "+19995550000")

        let users = try XCTUnwrap(try sim.state()["users"] as? [[String: Any]])
        let john = try XCTUnwrap(users.first { $0["username"] as? String == "john_doe" })
        XCTAssertEqual(john["number"] as? String, "+19995550000")
        XCTAssertEqual(john["user_class"] as? String, "gold")
    }

    func testAuthenticationFailuresAreDRFs401() throws {
        let sim = try SimulatorFixture(.gate)
        for (headers, detail) in [
            ([jsonType], "Authentication credentials were not provided."),
            (["authorization: Basic c2ltOnNpbQ==", jsonType], "Authentication credentials were not provided."),
            (["authorization: Bearer wrong-token", jsonType], "Invalid token."),
        ] {
            let result = update(sim, ["username": "john_doe"], headers: headers)
            XCTAssertEqual(result.status, 401, "\(headers)")
            XCTAssertEqual(result.json as NSDictionary?, ["detail": detail] as NSDictionary)
            XCTAssertEqual(result.header("www-authenticate"), "Bearer realm=\"api\"")
        }
        XCTAssertEqual(update(sim, ["username": "john_doe"], headers: ["authorization: bearer sim-gate-token", jsonType]).status, 201,
                       "the scheme name is case-insensitive")
    }

    func testMalformedDataIs400() throws {
        let sim = try SimulatorFixture(.gate)
        let cases: [(body: String, expected: NSDictionary)] = [
            ("{not json", ["detail": "JSON parse error - the body is not valid JSON"]),
            ("{}", ["data": ["This field is required."]]),
            (#"{"data": null}"#, ["data": ["This field is required."]]),
            (#"{"data": 5}"#, ["data": ["Not a valid string."]]),
            (#"{"data": {"username": "john_doe"}}"#, ["data": ["Not a valid string."]]),
            (#"{"data": "{username: john}"}"#, ["data": ["Value must be valid JSON."]]),
            (#"{"data": "[1, 2]"}"#, ["data": ["Value must be valid JSON."]]),
        ]
        for item in cases {
            let result = sim.call("POST", path, headers: [auth, jsonType], body: item.body)
            XCTAssertEqual(result.status, 400, item.body)
            XCTAssertEqual(result.json as NSDictionary?, item.expected, item.body)
        }
        let anonymous = update(sim, ["password": "x", "user_class": "gold"])
        XCTAssertEqual(anonymous.status, 400, "no identifier names a user")
        XCTAssertNotNil(anonymous.json?["data"] as? [String])
    }

    func testInvalidFieldValuesAre422() throws {
        let sim = try SimulatorFixture(.gate)
        let cases: [(data: [String: Any], field: String)] = [
            (["username": "john_doe", "imei": "12"], "imei"),
            (["username": "john_doe", "imsi": "31012012345678901"], "imsi"),
            (["username": "john_doe", "iccid": "89ABC"], "iccid"),
            (["username": "john_doe", "number": "call me"], "number"),
            (["username": "john doe"], "username"),
            (["username": "john_doe", "user_class": ""], "user_class"),
            (["username": "john_doe", "user_class": 3], "user_class"),
            (["username": "john_doe", "favourite_colour": "red"], "favourite_colour"),
        ]
        for item in cases {
            let result = update(sim, item.data)
            XCTAssertEqual(result.status, 422, "\(item.data)")
            let messages = result.json?[item.field] as? [String]
            XCTAssertEqual(messages?.count, 1, "\(item.data): \(result.text)")
        }
        // Identifiers of two different users.
        let mixed = update(sim, ["username": "john_doe", "imei": "356938035643809"])
        XCTAssertEqual(mixed.status, 422)
        XCTAssertNotNil(mixed.json?["non_field_errors"])
        // Nothing changed.
        let users = try XCTUnwrap(try sim.state()["users"] as? [[String: Any]])
        XCTAssertEqual(users.first?["user_class"] as? String, "premium")
    }

    func testUnknownUserIs404UntilSeeded() throws {
        let sim = try SimulatorFixture(.gate)
        let unknown = update(sim, ["username": "ghost", "user_class": "gold"])
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(unknown.json as NSDictionary?, ["detail": "User not found."] as NSDictionary)

        let seeded = sim.control("POST", "/devices", body: json(["users": [["username": "ghost", "imei": "111111111111111"]]]))
        XCTAssertEqual(seeded.status, 200, seeded.text)
        let found = update(sim, ["username": "ghost", "user_class": "gold"])
        XCTAssertEqual(found.status, 201, found.text)
        XCTAssertEqual(found.json as NSDictionary?, ["username": "ghost", "imei": "111111111111111", "user_class": "gold"] as NSDictionary)
    }

    func testPathsMethodsAndMediaTypes() throws {
        let sim = try SimulatorFixture(.gate)
        let get = sim.call("GET", path, headers: [auth])
        XCTAssertEqual(get.status, 405)
        XCTAssertEqual(get.header("allow"), "POST, OPTIONS")
        XCTAssertEqual(get.json?["detail"] as? String, "Method \"GET\" not allowed.")

        XCTAssertEqual(sim.call("POST", "/device_app_user_update", headers: [auth, jsonType], body: "{}").status, 404,
                       "every gate path ends with a slash")
        let unprefixed = Curl.request(port: sim.port, "POST", path, headers: [auth, jsonType], body: "{}")
        XCTAssertEqual(unprefixed.status, 404, "the path lives under /api/v1")
        XCTAssertEqual(unprefixed.json?["detail"] as? String, "Not found.")

        let text = sim.call("POST", path, headers: [auth, "content-type: text/plain"], body: "data")
        XCTAssertEqual(text.status, 415)
        let form = sim.call("POST", path, headers: [auth, "content-type: application/x-www-form-urlencoded"],
                            body: "data=" + (json(["username": "jane_roe"]).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        XCTAssertEqual(form.status, 201, "DRF's form parser takes `data` too: \(form.text)")
    }

    func testConfiguredPrefixAndToken() throws {
        let sim = try SimulatorFixture(.gate) {
            $0.pathPrefix = "/gate/api"
            $0.credentials = .bearerToken("another-token")
        }
        XCTAssertEqual(sim.host.baseURL, "https://localhost:\(sim.port)/gate/api")
        let result = update(sim, ["username": "john_doe"], headers: ["authorization: Bearer another-token", jsonType])
        XCTAssertEqual(result.status, 201, result.text)
        XCTAssertEqual(update(sim, ["username": "john_doe"]).status, 401)
    }
}
