import SwitchyardDevices
import SwitchyardTestSupport
import Foundation
import SwitchyardSimulators
import XCTest

/// The control API shared by every simulator: recording, statistics, seeding, reset, info, and
/// its own errors; and `SimulatorHost`'s in-process equivalents.
final class ControlAPITests: XCTestCase {
    let auth = "authorization: Bearer sim-gate-token"
    let jsonType = "content-type: application/json"

    func testRequestsAreRecordedAsReceived() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        let body = json(["devicelist": [["imei": "123456789012345"]]])
        _ = sim.call("PUT", "/pub/v4.0/device/bulkUpdate?customerid=sim-tenant&updateSource=cellular",
                     headers: ["x-key-id: sim-iot-key-id", "x-access-key: sim-iot-access-key", jsonType, "X-Custom: one two"], body: body)
        _ = sim.control("GET", "/stats")
        sim.inject(json(["kind": "vendorError", "status": 500]))
        _ = sim.call("GET", "/nowhere")

        let listing = try XCTUnwrap(sim.control("GET", "/requests").json)
        XCTAssertEqual(listing["total"] as? Int, 2, "control requests are not recorded")
        let requests = try XCTUnwrap(listing["requests"] as? [[String: Any]])
        XCTAssertEqual(requests.count, 2)
        let first = requests[0]
        XCTAssertEqual(first["sequence"] as? Int, 1)
        XCTAssertEqual(first["method"] as? String, "PUT")
        XCTAssertEqual(first["target"] as? String, "/pub/v4.0/device/bulkUpdate?customerid=sim-tenant&updateSource=cellular")
        XCTAssertEqual(first["body"] as? String, body)
        XCTAssertEqual(first["bodyBase64"] as? String, Data(body.utf8).base64EncodedString())
        XCTAssertTrue(first["fault"] is NSNull)
        let headers = try XCTUnwrap(first["headers"] as? [[String]])
        XCTAssertTrue(headers.contains(["X-Custom", "one two"]), "\(headers)")
        XCTAssertTrue(headers.contains(["x-key-id", "sim-iot-key-id"]))
        XCTAssertEqual(requests[1]["fault"] as? String, "vendorError")
        XCTAssertEqual(requests[1]["target"] as? String, "/nowhere")

        let inProcess = sim.host.recordedRequests()
        XCTAssertEqual(inProcess.map(\.method), ["PUT", "GET"])
        XCTAssertEqual(inProcess.first?.bodyText, body)
        XCTAssertEqual(inProcess.first?.header("X-CUSTOM"), "one two")

        XCTAssertEqual(sim.control("DELETE", "/requests").status, 200)
        XCTAssertEqual(sim.control("GET", "/requests").json?["total"] as? Int, 0)
        XCTAssertEqual(sim.host.recordedRequests(), [])
    }

    func testRecordingKeepsTheNewest() throws {
        let sim = try SimulatorFixture(.gate) { $0.maxRecordedRequests = 3 }
        let answers = Curl.repeated(port: sim.port, count: 5, "GET", "/api/v1/device_app_user_update/?n=1")
        XCTAssertEqual(answers.map(\.status), [401, 401, 401, 401, 401])
        let listing = try XCTUnwrap(sim.control("GET", "/requests").json)
        XCTAssertEqual(listing["total"] as? Int, 5)
        XCTAssertEqual((listing["requests"] as? [[String: Any]])?.map { $0["sequence"] as? Int }, [3, 4, 5])
    }

    func testStatistics() throws {
        let sim = try SimulatorFixture(.gate)
        let answers = Curl.repeated(port: sim.port, count: 3, "POST", "/api/v1/device_app_user_update/",
                                    headers: [auth, jsonType], body: json(["data": json(["username": "john_doe"])]))
        XCTAssertEqual(answers.map(\.status), [201, 201, 201])
        let stats = try XCTUnwrap(sim.control("GET", "/stats").json)
        XCTAssertEqual(stats["requests"] as? Int, 3)
        XCTAssertEqual(stats["acceptedConnections"] as? Int, 2, "one connection for the three requests, one for this call")
        XCTAssertNotNil(stats["openConnections"] as? Int)
        let inProcess = sim.host.statistics()
        XCTAssertEqual(inProcess.requests, 3)
        XCTAssertEqual(inProcess.acceptedConnections, 2, "the in-process call opens no connection")
    }

    func testResetRestoresTheStart() throws {
        let sim = try SimulatorFixture(.vodlix)
        _ = sim.call("POST", "/v2/device", headers: ["cookie: PHPSESSID=sim-vodlix-session", jsonType], body: json([
            "mac_address": "112233445566", "device_os": "iOS", "device_version": "17", "device_type": "Mobile",
            "app_version": "1", "app_name": "A",
        ]))
        sim.inject(json(["kind": "reset", "count": 3]))
        XCTAssertEqual(try sim.devices().count, 2)

        let reset = sim.control("POST", "/reset")
        XCTAssertEqual(reset.status, 200)
        let stats = try XCTUnwrap(sim.control("GET", "/stats").json)
        XCTAssertEqual(stats["requests"] as? Int, 0)
        XCTAssertEqual(stats["acceptedConnections"] as? Int, 1, "only this call's connection since the reset")
        XCTAssertEqual(try sim.devices().map { $0["mac_address"] as? String }, ["A1B2C3D4E5F6"])
        XCTAssertEqual(sim.pendingFaults().count, 0)
        XCTAssertEqual(sim.control("GET", "/requests").json?["total"] as? Int, 0)
    }

    func testSeeding() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        let replaced = sim.control("POST", "/devices", body: json(["replace": true, "devices": [["iccid": "1111", "ipAddress": "10.1.1.1"]]]))
        XCTAssertEqual(replaced.status, 200, replaced.text)
        XCTAssertEqual((replaced.json?["devices"] as? [[String: Any]])?.count, 1, "the answer is the new state")
        XCTAssertEqual(sim.control("POST", "/devices", body: json(["devices": [["iccid": "2222"]]])).status, 200)
        XCTAssertEqual(try sim.devices().compactMap { $0["iccid"] as? String }, ["1111", "2222"])

        for body in ["{oops", "[]", json(["gadgets": []]), json(["devices": "all"]), json(["devices": [["ipAddress": "1.2.3.4"]]]),
                     json(["devices": [["iccid": 5]]]), json(["replace": "yes"])] {
            let result = sim.control("POST", "/devices", body: body)
            XCTAssertEqual(result.status, 400, body)
            XCTAssertNotNil(result.json?["error"] as? String, body)
        }
        XCTAssertEqual(try sim.devices().count, 2, "refused seeds change nothing")

        XCTAssertThrowsError(try sim.host.seed(json: "{\"devices\": 1}"))
        try sim.host.seed(json: json(["devices": [["imei": "333333333333333"]]]))
        XCTAssertTrue(sim.host.stateJSON().contains("333333333333333"))
        sim.host.reset()
        XCTAssertEqual(try sim.devices().count, 3, "reset brings back the defaults")
    }

    func testStartingEmpty() throws {
        let sim = try SimulatorFixture(.controlCenter) { $0.seedsDefaults = false }
        let state = try sim.state()
        XCTAssertEqual((state["devices"] as? [Any])?.count, 0)
        XCTAssertEqual((state["ratePlans"] as? [Any])?.count, 0)
    }

    func testInfoNamesCredentialsAndEndpoints() throws {
        let sim = try SimulatorFixture(.mobileFirstPush)
        let info = try XCTUnwrap(sim.control("GET", "/info").json)
        XCTAssertEqual(info["vendor"] as? String, "mobilefirst-push")
        XCTAssertEqual(info["credentials"] as? [String: String], ["clientId": "sim-push-client", "clientSecret": "sim-push-secret"])
        XCTAssertEqual(info["endpoints"] as? [String], [
            "POST /mfp/api/az/v1/token", "PUT /imfpush/v1/apps/{applicationId}/devices/{deviceId}",
        ])
        XCTAssertEqual(info["faultKinds"] as? [String], ["vendorError", "delay", "reset", "garbage", "gzip", "chunked", "closeMidBody", "resetAfterGarbage", "resetMidBody", "interim"])
        XCTAssertEqual(sim.host.controlURL, "https://localhost:\(sim.port)/_simulator")
    }

    func testControlAPIErrors() throws {
        let sim = try SimulatorFixture(.gate)
        let unknown = sim.control("GET", "/nothing")
        XCTAssertEqual(unknown.status, 404)
        XCTAssertNotNil(unknown.json?["endpoints"] as? [String])
        let wrongMethod = sim.control("PUT", "/stats")
        XCTAssertEqual(wrongMethod.status, 405)
        XCTAssertEqual(wrongMethod.header("allow"), "GET")
        XCTAssertEqual(sim.control("GET", "/stats/").status, 200, "a trailing slash is forgiven")
    }

    func testEachVendorAnswersUnknownPathsItsOwnWay() throws {
        let expectations: [(Vendor, String)] = [
            (.gate, "detail"), (.mobileFirstPush, "message"), (.controlCenter, "errorMessage"), (.vodlix, "message"), (.iotSecurity, "msg"),
        ]
        for (vendor, member) in expectations {
            let sim = try SimulatorFixture(vendor)
            let result = Curl.request(port: sim.port, "GET", "/no/such/path")
            XCTAssertEqual(result.status, 404, vendor.rawValue)
            XCTAssertNotNil(result.json?[member], "\(vendor.rawValue): \(result.text)")
        }
    }

    func testConfigurationProblemsStopTheHost() {
        var configuration = SimulatorConfiguration(vendor: .gate, certificatePath: TestEnvironment.serverCertificate,
                                                   privateKeyPath: TestEnvironment.serverKey)
        configuration.credentials = .basic(username: "u", apiKey: "k")
        XCTAssertThrowsError(try SimulatorHost(configuration: configuration)) { error in
            XCTAssertTrue("\(error)".contains("credentials"), "\(error)")
        }
        configuration.credentials = .bearerToken("t")
        configuration.pathPrefix = "api/"
        XCTAssertThrowsError(try SimulatorHost(configuration: configuration))
        configuration.pathPrefix = "/api"
        configuration.certificatePath = "/nonexistent.crt"
        XCTAssertThrowsError(try SimulatorHost(configuration: configuration))
    }

    func testSeveralHostsInOneProcess() throws {
        let hosts = try Vendor.allCases.map { try SimulatorFixture($0) }
        XCTAssertEqual(Set(hosts.map(\.port)).count, 5)
        for fixture in hosts {
            XCTAssertEqual(fixture.control("GET", "/info").json?["vendor"] as? String, fixture.host.vendor.rawValue)
        }
    }

    func testStopEndsServingAndIsIdempotent() throws {
        let sim = try SimulatorFixture(.gate)
        XCTAssertEqual(sim.control("GET", "/stats").status, 200)
        sim.host.stop()
        sim.host.stop()
        let after = Curl.request(port: sim.port, "GET", "/_simulator/stats", maxTime: 3)
        XCTAssertEqual(after.exitCode, 7, "nothing listens any more: \(after.stderr)")
        XCTAssertEqual(sim.host.statistics().requests, 0, "in-process calls still work after stop")
    }
}
