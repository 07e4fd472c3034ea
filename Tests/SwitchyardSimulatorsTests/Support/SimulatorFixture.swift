import SwitchyardDevices
import SwitchyardTestSupport
import Foundation
import SwitchyardSimulators
import XCTest

/// One started simulator on an ephemeral port with the test certificates, stopped when the
/// fixture goes away, plus curl shortcuts for its vendor paths and its control API.
final class SimulatorFixture {
    let host: SimulatorHost

    init(_ vendor: Vendor, configure: (inout SimulatorConfiguration) -> Void = { _ in }) throws {
        var configuration = SimulatorConfiguration(
            vendor: vendor, certificatePath: TestEnvironment.serverCertificate, privateKeyPath: TestEnvironment.serverKey)
        configure(&configuration)
        host = try SimulatorHost(configuration: configuration)
        host.start()
    }

    deinit {
        host.stop()
    }

    var port: UInt16 { host.port }
    var prefix: String { host.configuration.pathPrefix }

    /// A request to a vendor path (the prefix is added).
    func call(_ method: String, _ path: String, headers: [String] = [], body: String? = nil, extra: [String] = [],
              maxTime: Double = 10) -> CurlResult {
        Curl.request(port: port, method, prefix + path, headers: headers, body: body, extra: extra, maxTime: maxTime)
    }

    /// A request to the control API (`/_simulator` + `path`).
    func control(_ method: String, _ path: String, body: String? = nil) -> CurlResult {
        Curl.request(port: port, method, "/_simulator" + path, headers: body == nil ? [] : ["content-type: application/json"], body: body)
    }

    /// Queues faults through the control API and checks they were accepted.
    func inject(_ json: String, file: StaticString = #filePath, line: UInt = #line) {
        let result = control("POST", "/faults", body: json)
        XCTAssertEqual(result.status, 201, result.text, file: file, line: line)
    }

    /// The queued faults (`GET /_simulator/faults`).
    func pendingFaults() -> [[String: Any]] {
        control("GET", "/faults").json?["faults"] as? [[String: Any]] ?? [["error": "no fault list"]]
    }

    /// The vendor's state (`GET /_simulator/devices`).
    func state(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let result = control("GET", "/devices")
        XCTAssertEqual(result.status, 200, file: file, line: line)
        return try XCTUnwrap(result.json, result.text, file: file, line: line)
    }

    /// The vendor's `devices` array from its state.
    func devices(file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        try XCTUnwrap(try state(file: file, line: line)["devices"] as? [[String: Any]], file: file, line: line)
    }
}

/// JSON text from a literal object, so tests can write bodies as dictionaries.
func json(_ object: Any) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}
