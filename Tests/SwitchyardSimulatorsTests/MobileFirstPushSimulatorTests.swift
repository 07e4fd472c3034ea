import Foundation
import SwitchyardSimulators
import XCTest

/// mobilefirst-push: the client-credentials token endpoint, then
/// `PUT /imfpush/v1/apps/{applicationId}/devices/{deviceId}` with a token of both scopes.
final class MobileFirstPushSimulatorTests: XCTestCase {
    let client = "authorization: Basic " + Data("sim-push-client:sim-push-secret".utf8).base64EncodedString()
    let form = "content-type: application/x-www-form-urlencoded"
    let devicePath = "/imfpush/v1/apps/myapp/devices/12345-6789"

    func token(_ sim: SimulatorFixture, scope: String = "devices.write push.application.myapp") throws -> String {
        let result = sim.call("POST", "/mfp/api/az/v1/token", headers: [client, form],
                              body: "grant_type=client_credentials&scope=" + scope.replacingOccurrences(of: " ", with: "+"))
        XCTAssertEqual(result.status, 200, result.text)
        return try XCTUnwrap(result.json?["access_token"] as? String)
    }

    func put(_ sim: SimulatorFixture, _ path: String, token: String, body: String,
             contentType: String = "application/json", accept: String? = nil) -> CurlResult {
        var headers = ["authorization: Bearer \(token)", "content-type: \(contentType)"]
        if let accept { headers.append("accept: \(accept)") }
        return sim.call("PUT", path, headers: headers, body: body)
    }

    func testTokenThenUpdateAndTheUpdateIsVisible() throws {
        let sim = try SimulatorFixture(.mobileFirstPush)
        let answer = sim.call("POST", "/mfp/api/az/v1/token", headers: [client, form],
                              body: "grant_type=client_credentials&scope=devices.write%20push.application.myapp")
        XCTAssertEqual(answer.status, 200, answer.text)
        let grant = try XCTUnwrap(answer.json)
        XCTAssertEqual(grant["token_type"] as? String, "Bearer")
        XCTAssertEqual(grant["expires_in"] as? Int, 3599)
        XCTAssertEqual(grant["scope"] as? String, "devices.write push.application.myapp")
        XCTAssertEqual(answer.header("cache-control"), "no-store")
        let token = try XCTUnwrap(grant["access_token"] as? String)

        let update = put(sim, devicePath, token: token, body: json(["deviceId": "12345-6789", "userId": "bob"]),
                         accept: "application/json")
        XCTAssertEqual(update.status, 200, update.text)
        let registration = try XCTUnwrap(update.json)
        XCTAssertEqual(registration["userId"] as? String, "bob")
        XCTAssertEqual(registration["token"] as? String, "xyz", "fields not sent stay")
        XCTAssertEqual(registration["createdTime"] as? String, "2015-05-20T11:42:11Z")
        XCTAssertNotEqual(registration["lastUpdatedTime"] as? String, "2015-05-20T11:42:11Z")
        XCTAssertEqual(Set(registration.keys), ["createdMode", "createdTime", "deviceId", "lastUpdatedTime", "phoneNumber", "platform", "token", "userId"])

        let again = put(sim, devicePath, token: token, body: json(["token": "new-push-token"]))
        XCTAssertEqual(again.json?["userId"] as? String, "bob", "the earlier update is remembered")
        XCTAssertEqual(again.json?["token"] as? String, "new-push-token")
        let device = try XCTUnwrap(try sim.devices().first { $0["deviceId"] as? String == "12345-6789" })
        XCTAssertEqual(device["userId"] as? String, "bob")
        XCTAssertEqual(device["applicationId"] as? String, "myapp")
    }

    func testTokenEndpointErrorsFollowOAuth() throws {
        let sim = try SimulatorFixture(.mobileFirstPush)
        let wrongSecret = "authorization: Basic " + Data("sim-push-client:nope".utf8).base64EncodedString()
        let cases: [(headers: [String], body: String, status: Int, error: String)] = [
            ([wrongSecret, form], "grant_type=client_credentials&scope=devices.write", 401, "invalid_client"),
            ([form], "grant_type=client_credentials&scope=devices.write", 401, "invalid_client"),
            ([client, "content-type: application/json"], #"{"grant_type": "client_credentials"}"#, 400, "invalid_request"),
            ([client, form], "scope=devices.write", 400, "invalid_request"),
            ([client, form], "grant_type=password&scope=devices.write", 400, "unsupported_grant_type"),
            ([client, form], "grant_type=client_credentials", 400, "invalid_scope"),
            ([client, form], "grant_type=client_credentials&scope=devices.write+admin", 400, "invalid_scope"),
        ]
        for item in cases {
            let result = sim.call("POST", "/mfp/api/az/v1/token", headers: item.headers, body: item.body)
            XCTAssertEqual(result.status, item.status, "\(item.body): \(result.text)")
            XCTAssertEqual(result.json?["error"] as? String, item.error, item.body)
        }
        XCTAssertEqual(sim.call("POST", "/mfp/api/az/v1/token", headers: [wrongSecret, form], body: "").header("www-authenticate"),
                       "Basic realm=\"mfp\"")
        XCTAssertEqual(sim.call("GET", "/mfp/api/az/v1/token", headers: [client]).status, 405)
    }

    func testUpdateNeedsATokenWithBothScopes() throws {
        let sim = try SimulatorFixture(.mobileFirstPush)
        let body = json(["userId": "mallory"])
        for (token, challenge) in [
            (try token(sim, scope: "devices.write"), "insufficient_scope"),
            (try token(sim, scope: "push.application.myapp"), "insufficient_scope"),
            (try token(sim, scope: "devices.write push.application.otherapp"), "insufficient_scope"),
            ("not-a-token", "invalid_token"),
        ] {
            let result = put(sim, devicePath, token: token, body: body)
            XCTAssertEqual(result.status, 401, token)
            XCTAssertTrue(result.header("www-authenticate")?.contains(challenge) == true, "\(result.headers)")
        }
        let anonymous = sim.call("PUT", devicePath, headers: ["content-type: application/json"], body: body)
        XCTAssertEqual(anonymous.status, 401)
        let device = try XCTUnwrap(try sim.devices().first { $0["deviceId"] as? String == "12345-6789" })
        XCTAssertEqual(device["userId"] as? String, "admin", "no refused request changed anything")
    }

    func testTokensExpire() throws {
        let sim = try SimulatorFixture(.mobileFirstPush) { $0.tokenLifetimeSeconds = 1 }
        let grant = sim.call("POST", "/mfp/api/az/v1/token", headers: [client, form],
                             body: "grant_type=client_credentials&scope=devices.write+push.application.myapp")
        XCTAssertEqual(grant.json?["expires_in"] as? Int, 1)
        let token = try XCTUnwrap(grant.json?["access_token"] as? String)
        XCTAssertEqual(put(sim, devicePath, token: token, body: "{}").status, 200)
        Thread.sleep(forTimeInterval: 1.2)
        XCTAssertEqual(put(sim, devicePath, token: token, body: "{}").status, 401)
    }

    func testDocumentedErrors() throws {
        let sim = try SimulatorFixture(.mobileFirstPush)
        let token = try token(sim)
        let longest = put(sim, devicePath, token: token, body: json(["userId": String(repeating: "u", count: 254)]))
        XCTAssertEqual(longest.status, 200, "254 characters are allowed")
        let tooLong = put(sim, devicePath, token: token, body: json(["userId": String(repeating: "u", count: 255)]))
        XCTAssertEqual(tooLong.status, 400)
        XCTAssertEqual(tooLong.json?["message"] as? String, "A device registration has userId longer than 254 characters.")

        let unknownDevice = put(sim, "/imfpush/v1/apps/myapp/devices/no-such-device", token: token, body: "{}")
        XCTAssertEqual(unknownDevice.status, 404)
        XCTAssertEqual(unknownDevice.json?["message"] as? String, "A device registration with the specified deviceId is not found.")
        let otherApp = try self.token(sim, scope: "devices.write push.application.otherapp")
        XCTAssertEqual(put(sim, "/imfpush/v1/apps/otherapp/devices/12345-6789", token: otherApp, body: "{}").status, 404)

        let text = put(sim, devicePath, token: token, body: "{}", contentType: "text/plain")
        XCTAssertEqual(text.status, 405, "the document's status for a wrong Content-Type")
        XCTAssertEqual(put(sim, devicePath, token: token, body: "{}", contentType: "application/json; charset=utf-8").status, 200)

        let html = put(sim, devicePath, token: token, body: "{}", accept: "text/html")
        XCTAssertEqual(html.status, 406)
        XCTAssertEqual(put(sim, devicePath, token: token, body: "{}", accept: "text/html, application/*;q=0.5").status, 200)

        XCTAssertEqual(put(sim, devicePath, token: token, body: "{oops").status, 400)
        XCTAssertEqual(put(sim, devicePath, token: token, body: json(["userId": 7])).status, 400)
        XCTAssertEqual(sim.call("GET", devicePath, headers: ["authorization: Bearer \(token)"]).status, 405)
    }

    func testSeededDevicesCanBeUpdated() throws {
        let sim = try SimulatorFixture(.mobileFirstPush)
        let seeded = sim.control("POST", "/devices", body: json([
            "devices": [["applicationId": "shop", "deviceId": "d-1", "platform": "G", "userId": "x"]],
        ]))
        XCTAssertEqual(seeded.status, 200, seeded.text)
        let token = try token(sim, scope: "devices.write push.application.shop")
        let result = put(sim, "/imfpush/v1/apps/shop/devices/d-1", token: token, body: json(["phoneNumber": "555"]))
        XCTAssertEqual(result.status, 200, result.text)
        XCTAssertEqual(result.json?["platform"] as? String, "G")
        XCTAssertEqual(result.json?["phoneNumber"] as? String, "555")
    }
}
