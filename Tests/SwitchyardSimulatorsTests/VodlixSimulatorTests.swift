import SwitchyardSimulators
import XCTest

/// vodlix: `POST /v2/device` with the session cookie, six required fields, upsert by MAC address,
/// and `device_banned`.
final class VodlixSimulatorTests: XCTestCase {
    let cookie = "cookie: PHPSESSID=sim-vodlix-session"
    let jsonType = "content-type: application/json"

    func device(mac: String = "0A1B2C3D4E5F", appVersion: String = "3.1") -> [String: String] {
        ["mac_address": mac, "device_os": "Android", "device_version": "13", "device_type": "TV",
         "app_version": appVersion, "app_name": "Streamer"]
    }

    func add(_ sim: SimulatorFixture, _ body: String, headers: [String]? = nil) -> CurlResult {
        sim.call("POST", "/v2/device", headers: headers ?? [cookie, jsonType], body: body)
    }

    func testAddThenUpdateByMACAddress() throws {
        let sim = try SimulatorFixture(.vodlix)
        let added = add(sim, json(device()))
        XCTAssertEqual(added.status, 200, added.text)
        let envelope = try XCTUnwrap(added.json)
        XCTAssertEqual(envelope["status"] as? Int, 200)
        XCTAssertEqual(envelope["message"] as? String, "Success")
        XCTAssertEqual(envelope["data"] as? NSDictionary, ["mac_address": "0A1B2C3D4E5F", "status": 1, "ban_status": 0] as NSDictionary)
        XCTAssertNotNil(envelope["timestamp"] as? Int)
        XCTAssertNotNil(envelope["time"] as? Double)
        XCTAssertEqual(envelope["ip"] as? String, "127.0.0.1")

        // The same device, spelled with separators in lowercase: updated, not added.
        let updated = add(sim, json(device(mac: "0a:1b:2c:3d:4e:5f", appVersion: "3.2")))
        XCTAssertEqual(updated.status, 200, updated.text)
        let devices = try sim.devices()
        XCTAssertEqual(devices.count, 2, "the seeded A1B2C3D4E5F6 and this one")
        let stored = try XCTUnwrap(devices.last)
        XCTAssertEqual(stored["app_version"] as? String, "3.2")
        XCTAssertEqual(stored["mac_address"] as? String, "0a:1b:2c:3d:4e:5f")
    }

    func testAllSixFieldsAreRequired() throws {
        let sim = try SimulatorFixture(.vodlix)
        for field in ["mac_address", "device_os", "device_version", "device_type", "app_version", "app_name"] {
            var missing = device()
            missing[field] = nil
            var empty = device()
            empty[field] = "  "
            for body in [missing, empty] {
                let result = add(sim, json(body))
                XCTAssertEqual(result.status, 400, field)
                XCTAssertEqual(result.json?["status"] as? Int, 400, field)
                XCTAssertTrue((result.json?["message"] as? String)?.contains(field) == true, "\(field): \(result.text)")
                XCTAssertTrue(result.json?["data"] is NSNull)
            }
        }
        XCTAssertEqual(add(sim, "{}").json?["message"] as? String,
                       "Missing required parameters: mac_address, device_os, device_version, device_type, app_version, app_name")
        XCTAssertEqual(add(sim, "not json").status, 400)
        XCTAssertEqual(try sim.devices().count, 1, "nothing was added")
        var numeric: [String: Any] = device()
        numeric["app_version"] = 2.5
        XCTAssertEqual(add(sim, json(numeric)).status, 200, "a number is read as its text, as PHP does")
    }

    func testBannedDevice() throws {
        let sim = try SimulatorFixture(.vodlix)
        let banned = add(sim, json(device(mac: "DE:AD:BE:EF:00:01")))
        XCTAssertEqual(banned.status, 400)
        let envelope = try XCTUnwrap(banned.json)
        XCTAssertEqual(envelope["status"] as? Int, 400)
        XCTAssertEqual(envelope["message"] as? String, "device_banned")
        XCTAssertEqual(envelope["code"] as? String, "device_banned")
        XCTAssertEqual(envelope["data"] as? NSDictionary, ["mac_address": "DE:AD:BE:EF:00:01", "status": 0, "ban_status": 1] as NSDictionary)

        XCTAssertEqual(add(sim, json(device())).status, 200)
        XCTAssertEqual(sim.control("POST", "/devices", body: json(["banned": ["0A1B2C3D4E5F"]])).status, 200)
        XCTAssertEqual(add(sim, json(device())).json?["code"] as? String, "device_banned", "banning a known device")
    }

    func testSessionCookie() throws {
        let sim = try SimulatorFixture(.vodlix)
        for headers in [[jsonType], ["cookie: PHPSESSID=expired", jsonType], ["cookie: OTHER=sim-vodlix-session", jsonType]] {
            let result = add(sim, json(device()), headers: headers)
            XCTAssertEqual(result.status, 401, "\(headers)")
            XCTAssertEqual(result.json?["status"] as? Int, 401)
        }
        XCTAssertEqual(add(sim, json(device()), headers: ["cookie: theme=dark; PHPSESSID=sim-vodlix-session", jsonType]).status, 200)
        XCTAssertEqual(try sim.devices().count, 2)
    }

    func testFormBodyAndMethod() throws {
        let sim = try SimulatorFixture(.vodlix)
        let form = device().map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        XCTAssertEqual(add(sim, form, headers: [cookie, "content-type: application/x-www-form-urlencoded"]).status, 200)
        let get = sim.call("GET", "/v2/device", headers: [cookie])
        XCTAssertEqual(get.status, 405)
        XCTAssertEqual(get.json?["status"] as? Int, 405)
        XCTAssertEqual(sim.call("POST", "/v2/devices", headers: [cookie, jsonType], body: "{}").status, 404)
    }
}
