import Switchyard
import SwitchyardJSON
import SwitchyardTestSupport
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The process as an operator sees it: the admin listener, SIGTERM draining, an idle gateway
/// that costs nothing, and `switchyard check`.
final class LifecycleTests: XCTestCase {
    func testAdminEndpoints() throws {
        let gateway = try GatewayProcess()
        func get(_ path: String) -> (code: String, body: String) {
            let result = TestEnvironment.run("curl", ["-sS", "-w", "\n%{http_code}", "http://127.0.0.1:\(gateway.adminPort)\(path)"])
            let lines = result.output.components(separatedBy: "\n")
            return (lines.last ?? "", lines.dropLast().joined(separator: "\n"))
        }
        XCTAssertEqual(get("/healthz").code, "200")
        XCTAssertEqual(get("/healthz").body, #"{"status":"ok"}"#)
        XCTAssertEqual(get("/readyz").code, "200")
        XCTAssertEqual(get("/nope").code, "404")
        XCTAssertEqual(get("/-/version").code, "200")
        // The build knows its commit (the tests run in a git checkout): one of this repository's.
        let commit = try XCTUnwrap(SwitchyardVersion.commit, "the build did not record its commit")
        XCTAssertNotNil(commit.wholeMatch(of: /[0-9a-f]{12}(-dirty)?/), commit)
        let known = TestEnvironment.run("git", ["-C", TestEnvironment.repositoryRoot.path, "cat-file", "-e", "\(commit.prefix(12))^{commit}"])
        XCTAssertEqual(known.status, 0, "\(commit) is no commit of this repository")
        XCTAssertEqual(get("/-/version").body, #"{"version":"\#(SwitchyardVersion.number)","commit":"\#(commit)"}"#)
        let version = TestEnvironment.run(TestEnvironment.binary.path, ["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertEqual(version.output.trimmingCharacters(in: .whitespacesAndNewlines), "\(SwitchyardVersion.number) (commit \(commit))")
        // HEAD answers as GET would, without the body (curl -I prints the head alone).
        for path in ["/healthz", "/readyz", "/metrics", "/-/version"] {
            let head = TestEnvironment.run("curl", ["-sS", "-I", "http://127.0.0.1:\(gateway.adminPort)\(path)"]).output
            XCTAssertTrue(head.hasPrefix("HTTP/1.1 200"), "HEAD \(path): \(head)")
            XCTAssertTrue(head.lowercased().contains("content-type: "), "HEAD \(path): \(head)")
        }
        // The TLS port does not serve admin paths.
        XCTAssertEqual(gateway.curl("/healthz", ["-o", "/dev/null", "-w", "%{http_code}"]).output, "404")
    }

    func testSIGTERMDrainsARequestInFlightThenExitsZero() throws {
        let gateway = try GatewayProcess()
        let busy = try gateway.client()
        let idle = try gateway.client()
        idle.send("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertEqual(idle.readResponse()?.status, 404)
        // Half a request body is on the wire when the signal arrives.
        busy.send("POST /devices HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n{\"a\":")
        usleep(200_000)
        gateway.signal(SIGTERM)
        XCTAssertTrue(idle.waitForClose(timeout: 3), "idle keep-alive connections close at once")
        // New connections are refused once the listeners are closed.
        var refused = false
        for _ in 0..<20 where !refused {
            if (try? gateway.client()) == nil { refused = true } else { usleep(100_000) }
        }
        XCTAssertTrue(refused, "no new connections while draining")
        XCTAssertNil(gateway.waitForExit(timeout: 0.5), "still running: a request is in flight")
        busy.send(" 1}     ")
        let response = try XCTUnwrap(busy.readResponse())
        XCTAssertEqual(response.status, 401)
        XCTAssertEqual(response.header("connection"), "close")
        XCTAssertEqual(gateway.waitForExit(timeout: 5), 0)
        XCTAssertTrue(gateway.output.contains("drained"), gateway.output)
    }

    /// API.md §4: SIGTERM turns `/readyz` to 503 at once while both listeners still accept for
    /// `drainDelaySeconds`, so a client the load balancer still sends is served, not refused; then
    /// the listeners close, a keep-alive client's next answer says `Connection: close`, and the
    /// process exits 0.
    func testSIGTERMKeepsAcceptingWhileReadyzSaysDrainingThenCloses() throws {
        let gateway = try GatewayProcess(configuration: GatewayProcess.configuration(limits: "drainDelaySeconds: 2"))
        let keepAlive = try gateway.client()
        XCTAssertTrue(keepAlive.send("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n"))
        XCTAssertEqual(keepAlive.readResponse()?.status, 404)
        func readyz() -> String {
            TestEnvironment.run("curl", ["-sS", "--max-time", "2", "-o", "/dev/null", "-w", "%{http_code}",
                                         "http://127.0.0.1:\(gateway.adminPort)/readyz"]).output
        }
        XCTAssertEqual(readyz(), "200")
        let signalled = Date()
        gateway.signal(SIGTERM)
        XCTAssertTrue(eventually(1) { readyz() == "503" }, "readyz turns 503 at once")
        // Every new connection during the delay is accepted and answered; bounded in count and time.
        var served = 0
        while Date().timeIntervalSince(signalled) < 1.5 && served < 20 {
            let client = try gateway.client()
            XCTAssertTrue(client.send("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n"))
            XCTAssertEqual(client.readResponse()?.status, 404, "a connection opened \(Date().timeIntervalSince(signalled)) s after SIGTERM")
            XCTAssertEqual(readyz(), "503")
            served += 1
        }
        XCTAssertGreaterThan(served, 2)
        XCTAssertNil(gateway.waitForExit(timeout: 0.1), "still serving within the delay")
        XCTAssertTrue(keepAlive.send("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n"))
        XCTAssertNil(keepAlive.readResponse()?.header("connection"), "within the delay, keep-alive goes on")
        XCTAssertEqual(gateway.waitForExit(timeout: 8), 0)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(signalled), 1.9, "the listeners stayed for the delay")
        XCTAssertTrue(gateway.output.contains("draining: /readyz answers 503"), gateway.output)
    }

    func testGracePeriodBoundsTheDrain() throws {
        let gateway = try GatewayProcess(configuration: GatewayProcess.configuration()
            .replacingOccurrences(of: "headerTimeoutSeconds: 2", with: "headerTimeoutSeconds: 30")
            .replacingOccurrences(of: "shutdownGraceSeconds: 5", with: "shutdownGraceSeconds: 1"))
        let stuck = try gateway.client()
        stuck.send("POST /devices HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n{")
        usleep(100_000)
        let start = Date()
        gateway.signal(SIGTERM)
        XCTAssertEqual(gateway.waitForExit(timeout: 5), 0)
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
        XCTAssertTrue(gateway.output.contains("closed 1 connections"), gateway.output)
    }

    func testIdleGatewayUsesNoCPU() throws {
        let gateway = try GatewayProcess()
        // A few idle keep-alive connections must not wake the loops either (beyond timer ticks).
        let clients = try (0..<5).map { _ in try gateway.client() }
        for client in clients {
            client.send("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n")
            XCTAssertEqual(client.readResponse()?.status, 404)
        }
        usleep(300_000)
        let before = gateway.cpuTicks
        sleep(2)
        let after = gateway.cpuTicks
        // Clock ticks are 10 ms: a spinning loop would burn ~200 here.
        XCTAssertLessThanOrEqual(after - before, 2, "CPU ticks used while idle")
    }

    func testOutOfFileDescriptorsBacksOffWithoutSpinningAndRecovers() throws {
        // 48 descriptors: a dozen for the gateway itself, the rest for clients.
        let gateway = try GatewayProcess(fileLimit: 48)
        // Far more raw TCP connections than it can accept: the kernel completes them all, the
        // gateway hits EMFILE and must back off rather than spin on a readable listener.
        var flood: [Int32] = []
        defer { flood.forEach { close($0) } }
        for _ in 0..<120 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = gateway.port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            flood.append(fd)
        }
        usleep(300_000)
        let before = gateway.cpuTicks
        sleep(1)
        XCTAssertLessThanOrEqual(gateway.cpuTicks - before, 20, "a loop spinning on EMFILE would burn a whole second")
        // The flood says nothing, so the header timeout (2 s) frees the descriptors; then the
        // backlog drains and a real client is served again.
        flood.forEach { close($0) }
        flood.removeAll()
        var status = ""
        for _ in 0..<20 where status != "404" {
            status = gateway.curl("/x", ["-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2"]).output
            if status != "404" { usleep(250_000) }
        }
        XCTAssertEqual(status, "404")
        XCTAssertNil(gateway.waitForExit(timeout: 0.1), "still running")
    }

    func testCheckCommand() throws {
        let directory = TestEnvironment.temporaryDirectory("check")
        let good = directory.appendingPathComponent("good.yaml").path
        try GatewayProcess.configuration().write(toFile: good, atomically: true, encoding: .utf8)
        let ok = TestEnvironment.run(TestEnvironment.binary.path, ["check", "--config", good])
        XCTAssertEqual(ok.status, 0, ok.output + ok.error)
        XCTAssertTrue(ok.output.contains("OK"), ok.output)

        let bad = directory.appendingPathComponent("bad.yaml").path
        try (GatewayProcess.configuration() + "\nlisten_typo: 1\n")
            .replacingOccurrences(of: "maxBodyBytes: 65536", with: "maxBodyBytes: lots")
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = TestEnvironment.run(TestEnvironment.binary.path, ["check", "--config", bad])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.error.contains("limits.maxBodyBytes"), refused.error)
        XCTAssertTrue(refused.error.contains("listen_typo"), refused.error)

        // A key that doesn't match its certificate is caught by check, not at the first handshake.
        let other = TestEnvironment.temporaryDirectory("otherkey")
        _ = TestEnvironment.run(TestEnvironment.repositoryRoot.appendingPathComponent("certs/make-dev-certs.sh").path, ["--out", other.path])
        let mismatched = directory.appendingPathComponent("mismatch.yaml").path
        try GatewayProcess.configuration()
            .replacingOccurrences(of: TestEnvironment.serverKey, with: other.appendingPathComponent("server.key").path)
            .write(toFile: mismatched, atomically: true, encoding: .utf8)
        let mismatch = TestEnvironment.run(TestEnvironment.binary.path, ["check", "--config", mismatched])
        XCTAssertEqual(mismatch.status, 1)
        XCTAssertTrue(mismatch.error.contains("private key"), mismatch.error)
    }

    /// API.md §4: a second process asked to listen where a running gateway listens refuses to start,
    /// naming the address; it never shares the port through SO_REUSEPORT. Both listeners, in turn.
    func testASecondProcessOnAHeldAddressExitsNamingIt() throws {
        let first = try GatewayProcess()
        defer { first.stop() }
        let directory = TestEnvironment.temporaryDirectory("second")
        for (listen, admin, held) in [("127.0.0.1:\(first.port)", "127.0.0.1:0", "127.0.0.1:\(first.port)"),
                                      ("127.0.0.1:0", "127.0.0.1:\(first.adminPort)", "127.0.0.1:\(first.adminPort)")] {
            let path = directory.appendingPathComponent("second.yaml").path
            try GatewayProcess.configuration()
                .replacingOccurrences(of: "listen: \"127.0.0.1:0\"", with: "listen: \"\(listen)\"")
                .replacingOccurrences(of: "admin: \"127.0.0.1:0\"", with: "admin: \"\(admin)\"")
                .write(toFile: path, atomically: true, encoding: .utf8)
            let second = TestEnvironment.run(TestEnvironment.binary.path, ["serve", "--config", path], timeout: 15)
            XCTAssertEqual(second.status, 1, second.error)
            XCTAssertTrue(second.error.contains(held) && second.error.contains("Address already in use"), second.error)
        }
        // The first one still serves all the traffic.
        XCTAssertEqual(first.curl("/x", ["-o", "/dev/null", "-w", "%{http_code}"]).output, "404")
        XCTAssertTrue(first.process.isRunning)
    }

    /// `switchyard token` reads only what it uses: the auth section and the tenants' names. A file
    /// whose TLS files are elsewhere and whose vendor credentials name unset variables still mints;
    /// a broken auth section or an unknown tenant does not.
    func testTokenNeedsOnlyTheAuthSectionAndTheTenantsNames() throws {
        let secret = UUID().uuidString + UUID().uuidString
        let path = TestEnvironment.temporaryDirectory("token").appendingPathComponent("production.yaml").path
        try """
        tls: {certificate: /etc/switchyard/absent.crt, privateKey: /etc/switchyard/absent.key}
        auth:
          jwt: {hs256Secret: "\(secret)", issuer: "https://id.example/", audience: switchyard}
        tenants:
          acme: {vendor: control-center, upstream: "https://cc.example", credentials: {username: "${UNSET_CC_USER}", apiKey: "${UNSET_CC_KEY}"}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(TestEnvironment.run(TestEnvironment.binary.path, ["check", "--config", path]).status, 1, "the file is no servable configuration")
        let minted = TestEnvironment.run(TestEnvironment.binary.path, ["token", "--config", path, "--tenant", "acme"])
        XCTAssertEqual(minted.status, 0, minted.error)
        XCTAssertEqual(minted.output.split(separator: ".").count, 3, minted.output)

        let unknown = TestEnvironment.run(TestEnvironment.binary.path, ["token", "--config", path, "--tenant", "globex"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.error.contains("no tenant named \"globex\" (configured: acme)"), unknown.error)
        try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: secret, with: "short")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let weak = TestEnvironment.run(TestEnvironment.binary.path, ["token", "--config", path, "--tenant", "acme"])
        XCTAssertEqual(weak.status, 1)
        XCTAssertTrue(weak.error.contains("auth.jwt.hs256Secret: must be at least 32 bytes"), weak.error)
    }

    /// API.md §4: a vendor name that does not resolve stops neither `check` (a warning, exit 0) nor
    /// `serve`: the gateway is ready, that tenant answers 503 `upstream_unavailable` and the log
    /// says why, once. (`.invalid` never resolves, RFC 6761.)
    func testAnUpstreamNameThatDoesNotResolveStopsNothing() throws {
        let configuration = GatewayProcess.authenticatedConfiguration(limits: "dnsRefreshSeconds: 0.2")
            .replacingOccurrences(of: "https://127.0.0.1:9", with: "https://vendor.invalid")
        let path = TestEnvironment.temporaryDirectory("unresolved").appendingPathComponent("switchyard.yaml").path
        try configuration.write(toFile: path, atomically: true, encoding: .utf8)
        let check = TestEnvironment.run(TestEnvironment.binary.path, ["check", "--config", path])
        XCTAssertEqual(check.status, 0, check.error)
        XCTAssertTrue(check.error.contains("warning: tenants.acme.upstream: vendor.invalid does not resolve"), check.error)

        let gateway = try GatewayProcess(configuration: configuration)
        let ready = TestEnvironment.run("curl", ["-sS", "http://127.0.0.1:\(gateway.adminPort)/readyz"])
        XCTAssertEqual(ready.output, #"{"status":"ready"}"#)
        let token = try gateway.token()
        for _ in 0..<2 {
            let answer = gateway.curl("/devices/iccid:8988216716970004975", [
                "-i", "-X", "PATCH", "-H", "authorization: Bearer \(token)", "-H", "content-type: application/json",
                "-d", #"{"sim": {"status": "ACTIVATED"}}"#,
            ])
            XCTAssertTrue(answer.output.hasPrefix("HTTP/1.1 503"), answer.output)
            XCTAssertTrue(answer.output.contains(#""code":"upstream_unavailable""#), answer.output)
            XCTAssertTrue(answer.output.lowercased().contains("retry-after:"), answer.output)
        }
        // Five refresh passes later the log still has the one line.
        usleep(1_000_000)
        let warnings = gateway.output.components(separatedBy: "tenant acme: vendor.invalid does not resolve").count - 1
        XCTAssertEqual(warnings, 1, gateway.output)
        XCTAssertTrue(gateway.output.contains("its requests answer 503 upstream_unavailable until it resolves"), gateway.output)
        XCTAssertEqual(gateway.metric("switchyard_upstream_failures_total{kind=\"unavailable\"}"), 2)
    }

    /// API.md §6: `logFormat: json` makes the gateway's own messages JSON lines on standard error.
    func testLogFormatJSONWritesEveryMessageAsAJSONLine() throws {
        let gateway = try GatewayProcess(configuration: GatewayProcess.configuration() + "\nlogFormat: json\n")
        gateway.signal(SIGTERM)
        XCTAssertEqual(gateway.waitForExit(timeout: 10), 0)
        let lines = gateway.output.split(separator: "\n")
        XCTAssertGreaterThanOrEqual(lines.count, 3, gateway.output)
        for line in lines {
            let entry = try XCTUnwrap((try? JSONParser.parse(Array(line.utf8)))?.objectValue, "not a JSON object: \(line)")
            XCTAssertNotNil(entry["time"]?.stringValue?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/), String(line))
            XCTAssertNotNil(entry["level"]?.stringValue, String(line))
            XCTAssertEqual(entry["logger"]?.stringValue, "switchyard")
        }
        XCTAssertTrue(lines.contains { $0.contains(#""level":"info""#) && $0.contains("listening on https://127.0.0.1:") }, gateway.output)
        XCTAssertTrue(lines.contains { $0.contains("drained; bye") }, gateway.output)
    }

    func testServeRefusesABadConfigurationWithExitCode1() throws {
        let directory = TestEnvironment.temporaryDirectory("serve-bad")
        let path = directory.appendingPathComponent("bad.yaml").path
        try "listen: \"127.0.0.1:0\"\ntls: {certificate: /nonexistent.crt, privateKey: /nonexistent.key}\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let result = TestEnvironment.run(TestEnvironment.binary.path, ["serve", "--config", path], timeout: 10)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.error.contains("tls.certificate"), result.error)
    }
}
