import Foundation
import SwitchyardSimulators
import XCTest

/// Each fault kind through `POST /_simulator/faults`, against the iot-security simulator (its
/// answer is small, countable and has no token to fetch first).
final class FaultInjectionTests: XCTestCase {
    let keys = ["x-key-id: sim-iot-key-id", "x-access-key: sim-iot-access-key", "content-type: application/json"]
    let path = "/pub/v4.0/device/bulkUpdate?customerid=sim-tenant&updateSource=cellular"
    let body = json(["devicelist": [["imei": "123456789012345", "apn": "changed.apn"]]])

    func bulk(_ sim: SimulatorFixture, extra: [String] = [], maxTime: Double = 10) -> CurlResult {
        sim.call("PUT", path, headers: keys, body: body, extra: extra, maxTime: maxTime)
    }

    func apn(_ sim: SimulatorFixture) throws -> String? {
        try sim.devices().first { $0["imei"] as? String == "123456789012345" }?["apn"] as? String
    }

    func testVendorErrorForCountRequestsThenNormalAgain() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        sim.inject(json(["kind": "vendorError", "status": 503, "count": 2, "body": "{\"code\": 503, \"msg\": \"down\"}",
                         "headers": ["Retry-After": "7"]]))
        for _ in 0..<2 {
            let failed = bulk(sim)
            XCTAssertEqual(failed.status, 503)
            XCTAssertEqual(failed.text, "{\"code\": 503, \"msg\": \"down\"}")
            XCTAssertEqual(failed.header("retry-after"), "7")
        }
        XCTAssertNil(try apn(sim), "a vendor error did nothing")
        let normal = bulk(sim)
        XCTAssertEqual(normal.status, 200)
        XCTAssertEqual(normal.json?["updatedDeviceNum"] as? Int, 1)
        XCTAssertEqual(try apn(sim), "changed.apn")
        XCTAssertEqual(sim.pendingFaults().count, 0, "the fault is spent")
    }

    func testFaultsApplyInOrderAndByPath() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        sim.inject(json([
            ["kind": "vendorError", "status": 500, "path": "/elsewhere"],
            ["kind": "vendorError", "status": 502],
            ["kind": "vendorError", "status": 504],
        ]))
        XCTAssertEqual(bulk(sim).status, 502, "the first fault for another path is skipped")
        XCTAssertEqual(bulk(sim).status, 504)
        XCTAssertEqual(bulk(sim).status, 200)
        let left = sim.pendingFaults()
        XCTAssertEqual(left.count, 1)
        XCTAssertEqual(left.first?["path"] as? String, "/elsewhere")
        XCTAssertEqual(sim.control("DELETE", "/faults").status, 200)
        XCTAssertEqual(sim.pendingFaults().count, 0)
    }

    func testDelayAnswersLateButActsAtOnce() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        sim.inject(json(["kind": "delay", "seconds": 1]))
        let start = Date()
        let result = bulk(sim)
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(result.status, 200)
        XCTAssertEqual(result.json?["updatedDeviceNum"] as? Int, 1)
        XCTAssertGreaterThanOrEqual(elapsed, 0.9)
        XCTAssertLessThan(elapsed, 5)
        XCTAssertEqual(try apn(sim), "changed.apn")
    }

    func testResetConnection() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        sim.inject(json(["kind": "reset"]))
        let result = bulk(sim)
        XCTAssertNotEqual(result.exitCode, 0)
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("reset") || result.exitCode == 56, "curl: \(result.exitCode) \(result.stderr)")
        XCTAssertNil(try apn(sim))
        XCTAssertEqual(bulk(sim).status, 200, "the next connection is served")
    }

    func testGarbage() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        sim.inject(json(["kind": "garbage", "bytes": 200]))
        let result = bulk(sim)
        XCTAssertNotEqual(result.exitCode, 0, "curl: \(result.stderr)")
        XCTAssertEqual(result.status, 0)
        XCTAssertNil(try apn(sim))
        XCTAssertEqual(bulk(sim).status, 200)
    }

    func testGzip() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        sim.inject(json(["kind": "gzip", "count": 2]))
        let decoded = bulk(sim, extra: ["--compressed"])
        XCTAssertEqual(decoded.exitCode, 0, decoded.stderr)
        XCTAssertEqual(decoded.status, 200)
        XCTAssertEqual(decoded.header("content-encoding"), "gzip")
        XCTAssertEqual(decoded.json?["updatedDeviceNum"] as? Int, 1)
        let raw = bulk(sim)
        XCTAssertEqual(Array(raw.body.prefix(2)), [0x1f, 0x8b], "a gzip member on the wire")
        XCTAssertEqual(raw.header("content-length"), String(raw.body.count))
    }

    func testChunked() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        sim.inject(json(["kind": "chunked", "chunkSize": 7]))
        let result = bulk(sim)
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        XCTAssertEqual(result.status, 200)
        XCTAssertEqual(result.header("transfer-encoding"), "chunked")
        XCTAssertNil(result.header("content-length"))
        XCTAssertEqual(result.header("content-type"), "application/json")
        XCTAssertEqual(result.json?["updatedDeviceNum"] as? Int, 1)
        XCTAssertEqual(bulk(sim).header("transfer-encoding"), nil, "one request only")
    }

    func testCloseMidBody() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        sim.inject(json(["kind": "closeMidBody"]))
        let result = bulk(sim)
        XCTAssertEqual(result.exitCode, 18, "curl: partial file: \(result.stderr)")
        XCTAssertEqual(result.status, 200)
        XCTAssertLessThan(result.body.count, Int(result.header("content-length") ?? "0") ?? 0)
        XCTAssertEqual(try apn(sim), "changed.apn", "the vendor did the work; only the answer broke")
    }

    func testMalformedFaultsAreRefused() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        for body in [
            "{oops", "[]", "{}", json(["kind": "explode"]), json(["kind": "delay"]), json(["kind": "delay", "seconds": -1]),
            json(["kind": "delay", "seconds": "1"]), json(["kind": "reset", "count": 0]), json(["kind": "reset", "count": 1.5]),
            json(["kind": "reset", "seconds": 1]), json(["kind": "vendorError", "status": 99]),
            json(["kind": "vendorError", "headers": ["bad name": "x"]]),
            json([["kind": "reset"], ["kind": "nope"]]),
        ] {
            let result = sim.control("POST", "/faults", body: body)
            XCTAssertEqual(result.status, 400, body)
            XCTAssertNotNil(result.json?["error"] as? String, body)
        }
        XCTAssertEqual(sim.pendingFaults().count, 0, "a refused batch queues nothing")
    }

    func testInProcessInjection() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        sim.host.inject(SimulatorFault(.vendorError(status: 429, errorCode: nil, body: nil, headers: []), count: 1))
        sim.host.inject(SimulatorFault(.delay(seconds: 5), pathPrefix: "/elsewhere"))
        XCTAssertEqual(sim.host.pendingFaults().map(\.kind.name), ["vendorError", "delay"])
        let limited = bulk(sim)
        XCTAssertEqual(limited.status, 429)
        XCTAssertEqual(limited.json?["code"] as? Int, 429)
        XCTAssertEqual(sim.host.recordedRequests().last?.fault, "vendorError")
        XCTAssertEqual(bulk(sim).status, 200)
        XCTAssertEqual(sim.host.pendingFaults(), [SimulatorFault(.delay(seconds: 5), pathPrefix: "/elsewhere")])
        sim.host.clearFaults()
        XCTAssertEqual(sim.host.pendingFaults(), [])
    }

    func testControlRequestsAreNeverFaulted() throws {
        let sim = try SimulatorFixture(.iotSecurity)
        sim.inject(json(["kind": "reset", "count": 5]))
        XCTAssertEqual(sim.control("GET", "/stats").status, 200)
        XCTAssertEqual(sim.pendingFaults().map { $0["count"] as? Int }, [5])
    }
}
