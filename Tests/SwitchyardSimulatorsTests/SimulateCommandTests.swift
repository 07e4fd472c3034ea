import SwitchyardTestSupport
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard simulate VENDOR --port P`: the built binary, its printout and its shutdown.
final class SimulateCommandTests: XCTestCase {
    func testServesPrintsAndStopsOnSIGINT() throws {
        let process = Process()
        process.executableURL = TestEnvironment.binary
        process.arguments = ["simulate", "control-center", "--port", "0",
                             "--cert", TestEnvironment.serverCertificate, "--key", TestEnvironment.serverKey]
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let output = OutputCollector(stdout: stdout, stderr: stderr)
        defer { if process.isRunning { process.terminate() } }

        var port: UInt16 = 0
        let deadline = Date().addingTimeInterval(15)
        while port == 0, Date() < deadline, process.isRunning {
            let text = output.currentOutput
            if let match = text.range(of: #"listening on https://localhost:(\d+)"#, options: .regularExpression) {
                port = UInt16(text[match].split(separator: ":").last ?? "") ?? 0
            }
            usleep(20_000)
        }
        XCTAssertNotEqual(port, 0, "no URL printed: \(output.currentOutput)")
        let text = output.currentOutput
        XCTAssertTrue(text.contains("username: sim-cc-user"), text)
        XCTAssertTrue(text.contains("apiKey: sim-cc-api-key"), text)
        XCTAssertTrue(text.contains("PUT https://localhost:\(port)/rws/api/v1/devices/{iccid}"), text)

        let auth = "authorization: Basic " + Data("sim-cc-user:sim-cc-api-key".utf8).base64EncodedString()
        let answer = Curl.request(port: port, "PUT", "/rws/api/v1/devices/8988216716970004975",
                                  headers: [auth, "content-type: application/json"], body: #"{"status": "ACTIVATED"}"#)
        XCTAssertEqual(answer.status, 200, answer.text)

        kill(process.processIdentifier, SIGINT)
        let stopBy = Date().addingTimeInterval(10)
        while process.isRunning && Date() < stopBy { usleep(20_000) }
        XCTAssertFalse(process.isRunning, "SIGINT stops it")
        XCTAssertEqual(process.terminationStatus, 0)
    }

    func testMissingCertificateNamesTheScript() {
        let result = TestEnvironment.run(TestEnvironment.binary.path, ["simulate", "gate", "--port", "0", "--cert", "/nonexistent/server.crt"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.error.contains("certs/make-dev-certs.sh"), result.error)
    }

    func testUnknownVendorIsAUsageError() {
        let result = TestEnvironment.run(TestEnvironment.binary.path, ["simulate", "acme", "--port", "0"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.error.contains("unknown vendor \"acme\""), result.error)
        XCTAssertTrue(result.error.contains("mobilefirst-push"), result.error)
    }
}
