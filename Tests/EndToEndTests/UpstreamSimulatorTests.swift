import Foundation
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardSimulators
import SwitchyardTestSupport
import XCTest

/// The upstream client against the vendor simulators over TLS (the issue's own wording): real
/// vendor paths and auth, the simulators' fault injection, and the simulators' own count of the
/// connections they accepted.
final class UpstreamSimulatorTests: XCTestCase {
    private var simulator: SimulatorHost!
    private var client: UpstreamClientHarness!
    private var target: UpstreamTarget!

    override func setUpWithError() throws {
        simulator = try SimulatorHost(configuration: SimulatorConfiguration(
            vendor: .controlCenter, certificatePath: TestEnvironment.serverCertificate,
            privateKeyPath: TestEnvironment.serverKey))
        simulator.start()
        client = try UpstreamClientHarness(limits: UpstreamLimits(connectTimeoutSeconds: 2, timeoutSeconds: 2))
        target = try UpstreamTarget(scheme: .https, host: "localhost", port: simulator.port,
                                    addresses: [SocketAddress(numericHost: "127.0.0.1", port: simulator.port)!],
                                    caFile: TestEnvironment.caFile)
    }

    override func tearDown() {
        client.stop()
        simulator.stop()
    }

    /// Control Center's "Edit Device Details", with the simulator's account.
    private func editDevice(_ body: String = #"{"deviceID":"device-1"}"#) -> UpstreamRequest {
        UpstreamRequest(method: .put, path: "/rws/api/v1/devices/8988216716970004975", headers: [
            ("authorization", "Basic " + Data("sim-cc-user:sim-cc-api-key".utf8).base64EncodedString()),
            ("content-type", "application/json"), ("accept", "application/json"),
        ], body: Array(body.utf8))
    }

    private func call(_ request: UpstreamRequest? = nil) -> Result<UpstreamResponse, UpstreamError>? {
        client.send(request ?? editDevice(), to: target).result
    }

    private func status(_ result: Result<UpstreamResponse, UpstreamError>?) -> Int? {
        if case .success(let response) = result { return response.status }
        return nil
    }

    private func failure(_ result: Result<UpstreamResponse, UpstreamError>?) -> UpstreamError.Kind? {
        if case .failure(let error) = result { return error.kind }
        return nil
    }

    func testCallsReuseOneConnectionAndTheVendorSeesItsWireFormat() throws {
        for _ in 0..<5 { XCTAssertEqual(status(call()), 200) }
        XCTAssertEqual(simulator.statistics().acceptedConnections, 1, "five calls, one TLS connection")
        XCTAssertEqual(client.statistics.connectionsReused, 4)
        let seen = try XCTUnwrap(simulator.recordedRequests().last)
        XCTAssertEqual(seen.method, "PUT")
        XCTAssertEqual(seen.target, "/rws/api/v1/devices/8988216716970004975")
    }

    func testGzipAndChunkedAnswersAreDecodedAndKeepTheConnection() throws {
        guard case .success(let plain) = call() else { return XCTFail("plain call failed") }
        simulator.inject(SimulatorFault(.gzip))
        guard case .success(let gzipped) = call() else { return XCTFail("gzip call failed") }
        simulator.inject(SimulatorFault(.chunked(chunkSize: 5)))
        guard case .success(let chunked) = call() else { return XCTFail("chunked call failed") }
        XCTAssertEqual(gzipped.body, plain.body)
        XCTAssertEqual(chunked.body, plain.body)
        XCTAssertEqual(status(call()), 200)
        XCTAssertEqual(simulator.statistics().acceptedConnections, 1, "gzip and chunked answers kept the connection")
    }

    func testVendorErrorsAreResponsesForTheCallerToMap() throws {
        simulator.inject(SimulatorFault(.vendorError(status: 500, errorCode: nil, body: nil, headers: [])))
        XCTAssertEqual(status(call()), 500)
        XCTAssertEqual(status(call()), 200, "the fault was for one request")
    }

    func testResetOnAReusedConnectionRetriesAPutOnceButNeverAPost() throws {
        XCTAssertEqual(status(call()), 200)
        simulator.inject(SimulatorFault(.reset))
        XCTAssertEqual(status(call()), 200, "PUT retried on a new connection")
        XCTAssertEqual(client.statistics.retryCount, 1)
        XCTAssertEqual(simulator.statistics().acceptedConnections, 2)

        var post = editDevice()
        post.method = .post
        simulator.inject(SimulatorFault(.reset))
        XCTAssertEqual(failure(call(post)), .unavailable, "a POST is never retried")
        XCTAssertEqual(client.statistics.retryCount, 1)
    }

    func testFaultsAreClassified() throws {
        simulator.inject(SimulatorFault(.garbage(byteCount: 64)))
        XCTAssertEqual(failure(call()), .malformed)
        simulator.inject(SimulatorFault(.closeMidBody))
        XCTAssertEqual(failure(call()), .malformed)
        simulator.inject(SimulatorFault(.delay(seconds: 4)))
        let start = Date()
        XCTAssertEqual(failure(call()), .timeout)
        XCTAssertLessThan(Date().timeIntervalSince(start), 3.5, "the 2 s total deadline fired")
    }

    func testAnUnknownCAIsRefused() throws {
        let other = TestEnvironment.temporaryDirectory("other-ca")
        XCTAssertEqual(TestEnvironment.run(TestEnvironment.repositoryRoot.appendingPathComponent("certs/make-dev-certs.sh").path,
                                           ["--out", other.path]).status, 0)
        let untrusted = try UpstreamTarget(scheme: .https, host: "localhost", port: simulator.port,
                                           addresses: [SocketAddress(numericHost: "127.0.0.1", port: simulator.port)!],
                                           caFile: other.appendingPathComponent("ca.crt").path)
        guard case .failure(let error) = client.send(editDevice(), to: untrusted).result else { return XCTFail("trusted an unknown CA") }
        XCTAssertEqual(error.kind, .unavailable)
        XCTAssertTrue("\(error)".contains("certificate"), "\(error)")
        XCTAssertEqual(simulator.statistics().requests, 0, "nothing reached the vendor")
    }
}
