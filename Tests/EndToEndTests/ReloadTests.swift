import Foundation
import SwitchyardTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP and `POST /-/reload` (API.md §4): the file is read again; a good one takes effect
/// without dropping a connection, a bad one is refused and the running configuration kept.
final class ReloadTests: XCTestCase {
    /// A configuration whose tenants answer an admitted `POST /devices` with 501 (control-center
    /// has no POST), so 501 means "authenticated, in scope, routed".
    private func configuration(secret: String, tenants: [String]) -> String {
        GatewayProcess.configuration() + """

        auth:
          jwt: {hs256Secret: "\(secret)"}
        tenants:
        \(tenants.map { "  \($0): {vendor: control-center, upstream: \"https://127.0.0.1:9\", credentials: {username: u, apiKey: k}}" }.joined(separator: "\n"))
        """
    }

    private func token(_ gateway: GatewayProcess, _ tenant: String) -> String {
        let result = TestEnvironment.run(TestEnvironment.binary.path, ["token", "--config", gateway.configPath, "--tenant", tenant])
        XCTAssertEqual(result.status, 0, result.error)
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func post(_ client: TLSTestClient, _ token: String) -> Int? {
        _ = client.send("POST /devices HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        return client.readResponse()?.status
    }

    func testSIGHUPAppliesAGoodFileRotatesTheSecretAndKeepsConnections() throws {
        let oldSecret = UUID().uuidString + UUID().uuidString
        let gateway = try GatewayProcess(configuration: configuration(secret: oldSecret, tenants: ["acme"]))
        defer { gateway.stop() }
        let acmeOld = token(gateway, "acme")
        let client = try gateway.client()
        XCTAssertEqual(post(client, acmeOld), 501)

        let newSecret = UUID().uuidString + UUID().uuidString
        try configuration(secret: newSecret, tenants: ["acme", "globex"]).write(toFile: gateway.configPath, atomically: true, encoding: .utf8)
        let globex = token(gateway, "globex")
        let acmeNew = token(gateway, "acme")
        // A refusal from the head closes its connection (its body is never read): on one of its own.
        XCTAssertEqual(post(try gateway.client(), globex), 401, "not before the reload")
        gateway.signal(SIGHUP)
        XCTAssertTrue(eventually { gateway.output.contains("reloaded (2 tenants)") }, gateway.output)
        XCTAssertEqual(post(client, globex), 501, "the new tenant is served, on the connection opened before")
        XCTAssertEqual(post(client, acmeNew), 501)
        XCTAssertEqual(post(try gateway.client(), acmeOld), 401, "a token of the rotated-out secret is refused, cached or not")

        // A broken file is refused; the running configuration stays.
        try "tenants: [unclosed".write(toFile: gateway.configPath, atomically: true, encoding: .utf8)
        gateway.signal(SIGHUP)
        XCTAssertTrue(eventually { gateway.output.contains("reload refused, the running configuration is kept") }, gateway.output)
        XCTAssertEqual(post(client, globex), 501)
        XCTAssertTrue(gateway.process.isRunning)
    }

    func testAdminReloadSaysWhetherItWorked() throws {
        let secret = UUID().uuidString + UUID().uuidString
        let gateway = try GatewayProcess(configuration: configuration(secret: secret, tenants: ["acme"]))
        defer { gateway.stop() }
        let admin = "http://127.0.0.1:\(gateway.adminPort)/-/reload"

        try (configuration(secret: secret, tenants: ["acme", "initech"]) + "\nworkers: 1\n").replacingOccurrences(of: "workers: 2\n", with: "")
            .write(toFile: gateway.configPath, atomically: true, encoding: .utf8)
        var result = TestEnvironment.run("curl", ["-s", "-w", "\n%{http_code}", "-X", "POST", admin])
        XCTAssertTrue(result.output.hasSuffix("\n200"), result.output)
        XCTAssertTrue(result.output.contains("reloaded (2 tenants)"), result.output)
        XCTAssertTrue(result.output.contains("applied only on restart: workers"), result.output)
        XCTAssertEqual(post(try gateway.client(), token(gateway, "initech")), 501)

        try configuration(secret: "short", tenants: ["acme"]).write(toFile: gateway.configPath, atomically: true, encoding: .utf8)
        result = TestEnvironment.run("curl", ["-s", "-w", "\n%{http_code}", "-X", "POST", admin])
        XCTAssertTrue(result.output.hasSuffix("\n422"), result.output)
        XCTAssertTrue(result.output.contains("reload refused"), result.output)
        XCTAssertEqual(TestEnvironment.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", admin]).output, "405")
    }

    /// API.md §4: a reload reads the certificate and key again; new handshakes get the new pair,
    /// a connection made before keeps its own, and a pair that doesn't match refuses the reload.
    func testAReloadServesANewCertificateToNewConnections() throws {
        let directory = TestEnvironment.temporaryDirectory("tls-reload")
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("certs/make-dev-certs.sh").path
        for prefix in ["first", "second"] {
            let made = TestEnvironment.run(script, ["--out", directory.path, "--ca-dir", TestEnvironment.certificates.path, "--prefix", prefix])
            XCTAssertEqual(made.status, 0, made.error)
        }
        func install(_ certificate: String, _ key: String) throws {
            for (from, to) in [(certificate, "live.crt"), (key, "live.key")] {
                let target = directory.appendingPathComponent(to)
                try? FileManager.default.removeItem(at: target)
                try FileManager.default.copyItem(at: directory.appendingPathComponent(from), to: target)
            }
        }
        try install("first.crt", "first.key")
        let configuration = GatewayProcess.configuration()
            .replacingOccurrences(of: TestEnvironment.serverCertificate, with: directory.appendingPathComponent("live.crt").path)
            .replacingOccurrences(of: TestEnvironment.serverKey, with: directory.appendingPathComponent("live.key").path)
        let gateway = try GatewayProcess(configuration: configuration)
        defer { gateway.stop() }
        func fingerprint(ofFile name: String) -> String {
            TestEnvironment.run("openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", directory.appendingPathComponent(name).path]).output
        }
        func served() -> String {
            TestEnvironment.run("/bin/sh", ["-c", "openssl s_client -connect 127.0.0.1:$0 -servername localhost </dev/null 2>/dev/null"
                                            + " | openssl x509 -noout -fingerprint -sha256", "\(gateway.port)"]).output
        }
        func reload() -> String {
            TestEnvironment.run("curl", ["-s", "-w", "\n%{http_code}", "-X", "POST", "http://127.0.0.1:\(gateway.adminPort)/-/reload"]).output
        }
        XCTAssertEqual(served(), fingerprint(ofFile: "first.crt"))
        let before = try gateway.client()
        XCTAssertTrue(before.send("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n"))
        XCTAssertEqual(before.readResponse()?.status, 404)

        try install("second.crt", "second.key")
        XCTAssertTrue(reload().hasSuffix("\n200"))
        XCTAssertEqual(served(), fingerprint(ofFile: "second.crt"), "new handshakes get the new pair")
        XCTAssertTrue(before.send("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n"))
        XCTAssertEqual(before.readResponse()?.status, 404, "a connection made before keeps working")

        try install("first.crt", "second.key")
        let refused = reload()
        XCTAssertTrue(refused.hasSuffix("\n422"), refused)
        XCTAssertTrue(refused.contains("reload refused"), refused)
        XCTAssertEqual(served(), fingerprint(ofFile: "second.crt"), "a refused reload keeps the running pair")
    }
}
