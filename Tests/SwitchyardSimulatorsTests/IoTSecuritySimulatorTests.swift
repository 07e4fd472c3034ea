import SwitchyardSimulators
import XCTest

/// iot-security: `PUT /pub/v4.0/device/bulkUpdate?customerid=…&updateSource=…` with `X-Key-Id`
/// and `X-Access-Key`, answering `updatedDeviceNum`; 400, 403, 429 past 180 per minute, 500.
final class IoTSecuritySimulatorTests: XCTestCase {
    let keys = ["x-key-id: sim-iot-key-id", "x-access-key: sim-iot-access-key", "content-type: application/json"]
    let path = "/pub/v4.0/device/bulkUpdate?customerid=sim-tenant&updateSource=cellular"

    func bulk(_ sim: SimulatorFixture, _ body: String, path: String? = nil, headers: [String]? = nil) -> CurlResult {
        sim.call("PUT", path ?? self.path, headers: headers ?? keys, body: body)
    }

    func testBulkUpdateCountsTheDevicesItUpdated() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        let list: [Any] = [
            ["iccid": "8988216716970004975", "ipAddress": "10.99.0.1", "SessionEvtType": "start", "sessionStart": 1_700_000_000],
            ["imei": "123456789012345", "ipAddress": "10.99.0.2", "apn": "other.apn"],
            ["iccid": "8900000000000000000", "ipAddress": "10.99.0.3"],
            "not an object",
        ]
        let result = bulk(sim, json(["devicelist": list]))
        XCTAssertEqual(result.status, 200, result.text)
        XCTAssertEqual(result.json as NSDictionary?, [
            "api": "device/bulkUpdate", "ver": "v4.0", "code": 1, "message": "OK", "updatedDeviceNum": 2,
        ] as NSDictionary)

        let devices = try sim.devices()
        let first = try XCTUnwrap(devices.first { $0["iccid"] as? String == "8988216716970004975" })
        XCTAssertEqual(first["ipAddress"] as? String, "10.99.0.1")
        XCTAssertEqual(first["sessionStart"] as? String, "1700000000")
        XCTAssertEqual(first["updateSource"] as? String, "cellular")
        let third = try XCTUnwrap(devices.first { $0["imei"] as? String == "123456789012345" })
        XCTAssertEqual(third["apn"] as? String, "other.apn")
        XCTAssertFalse(devices.contains { $0["iccid"] as? String == "8900000000000000000" }, "unknown devices are not created")

        XCTAssertEqual(bulk(sim, json(["devicelist": [] as [Any]])).json?["updatedDeviceNum"] as? Int, 0)
    }

    func testInvalidQueryIs400() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        for query in ["", "?customerid=sim-tenant", "?updateSource=cellular", "?customerid=&updateSource=cellular"] {
            let result = bulk(sim, json(["devicelist": [] as [Any]]), path: "/pub/v4.0/device/bulkUpdate" + query)
            XCTAssertEqual(result.status, 400, query)
            XCTAssertEqual(result.json as NSDictionary?, [
                "code": 400, "msg": "Bad Request. This occurs when an HTTP request contains an invalid query string.",
            ] as NSDictionary, query)
        }
        for body in ["{oops", "{}", json(["devicelist": "all"])] {
            let result = bulk(sim, body)
            XCTAssertEqual(result.status, 400, body)
            XCTAssertEqual(result.json?["code"] as? Int, 400)
        }
    }

    func testBadKeysAre403() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        let body = json(["devicelist": [["iccid": "8988216716970004975", "ipAddress": "10.66.0.1"]]])
        let cases: [(headers: [String], path: String)] = [
            (["content-type: application/json"], path),
            (["x-key-id: sim-iot-key-id", "x-access-key: wrong", "content-type: application/json"], path),
            (["x-key-id: wrong", "x-access-key: sim-iot-access-key", "content-type: application/json"], path),
            (keys, "/pub/v4.0/device/bulkUpdate?customerid=other-tenant&updateSource=cellular"),
        ]
        for item in cases {
            let result = bulk(sim, body, path: item.path, headers: item.headers)
            XCTAssertEqual(result.status, 403, "\(item)")
            XCTAssertEqual(result.json as NSDictionary?, [
                "code": 403,
                "msg": "Forbidden access. Either the provided API key is invalid or it does not have the required RBAC permissions to run this API.",
            ] as NSDictionary)
        }
        let device = try XCTUnwrap(try sim.devices().first)
        XCTAssertEqual(device["ipAddress"] as? String, "10.20.0.11", "refused requests change nothing")
    }

    func test180RequestsPerMinutePerTenant() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        let answers = Curl.repeated(port: sim.port, count: 181, "PUT", path, headers: keys,
                                    body: json(["devicelist": [["imei": "123456789012345"]]]))
        XCTAssertEqual(answers.count, 181)
        XCTAssertEqual(answers.prefix(180).filter { $0.status == 200 }.count, 180)
        XCTAssertEqual(answers.last?.status, 429)
        XCTAssertEqual(try JSONSerialization.jsonObject(with: Data(answers.last?.body ?? [])) as? NSDictionary, [
            "code": 429,
            "msg": "Too many requests. The number of requests for device details for a single device exceeded the rate limit of 180 queries per minute per tenant.",
        ] as NSDictionary)
        XCTAssertEqual(sim.host.statistics().requests, 181)
    }

    func testRateLimitWindowIsConfigurable() throws {
        let sim = try SimulatorFixture(.iotSecurity) { $0.rateLimit = SimulatorRateLimit(requests: 2, perSeconds: 1) }
        let body = json(["devicelist": [] as [Any]])
        XCTAssertEqual(Curl.repeated(port: sim.port, count: 3, "PUT", path, headers: keys, body: body).map(\.status), [200, 200, 429])
        Thread.sleep(forTimeInterval: 1.1)
        XCTAssertEqual(bulk(sim, body).status, 200)
    }

    func testServerErrorIsTheVendorsOwn() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        sim.inject(json(["kind": "vendorError", "status": 500]))
        let result = bulk(sim, json(["devicelist": [] as [Any]]))
        XCTAssertEqual(result.status, 500)
        XCTAssertEqual(result.json as NSDictionary?, [
            "code": 500, "msg": "Internal server error. A unified status for API communication type errors.",
        ] as NSDictionary)
        XCTAssertEqual(sim.call("POST", path, headers: keys, body: "{}").status, 405)
    }
}
