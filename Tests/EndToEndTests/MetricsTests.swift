import Foundation
import Switchyard
import SwitchyardSimulators
import SwitchyardTestSupport
import XCTest

/// API.md §6's metrics on the wire: traffic of every outcome through the real gateway and the
/// vendor simulators, then one scrape of `/metrics`, checked series by series and by Prometheus'
/// own `promtool`.
final class MetricsTests: XCTestCase {
    func testEveryOutcomeIsCountedUnderItsLabelsAndPromtoolAcceptsTheExposition() throws {
        let rig = try DeviceTestbed(
            extra: ["cc": "vendorQuota: {requests: 100, perSeconds: 1}", "cc1": "rateLimit: {requests: 1, perSeconds: 3600}"],
            bindings: [("cc", .controlCenter), ("cc1", .controlCenter), ("push", .mobileFirstPush)])
        defer { rig.stop() }
        let device = "/devices/8988216716970004975"
        let change = #"{"sim": {"status": "ACTIVATED"}}"#
        let simulator = rig.simulator(.controlCenter)

        XCTAssertEqual(try rig.call("cc", "PATCH", device, change).status, 200)
        XCTAssertEqual(try rig.call("cc", "PATCH", device, "{").status, 400)
        XCTAssertEqual(try rig.call("cc", "PATCH", device, change, headers: ["Content-Type: text/plain"]).status, 415)
        XCTAssertEqual(try rig.call("cc", "PATCH", device, #"{"mac": "A1B2C3D4E5F6"}"#).status, 422)
        XCTAssertEqual(try rig.call("cc", "DELETE", device).status, 405)
        XCTAssertEqual(rig.gateway.curl("/nowhere", ["-o", "/dev/null", "-w", "%{http_code}"]).output, "404")
        XCTAssertEqual(rig.gateway.curl(device, ["-o", "/dev/null", "-w", "%{http_code}", "-X", "PATCH"]).output, "401")
        let other = #"{"sim": {"status": "DEACTIVATED"}}"#
        XCTAssertEqual(try rig.call("cc1", "PATCH", device, other).status, 200)
        XCTAssertEqual(try rig.call("cc1", "PATCH", device, other).status, 429)
        simulator.inject(SimulatorFault(.vendorError(status: 500, errorCode: nil, body: nil, headers: [])))
        XCTAssertEqual(try rig.call("cc", "PATCH", device, change).status, 502)
        simulator.inject(SimulatorFault(.reset, count: 4))
        XCTAssertEqual(try rig.call("cc", "PATCH", device, change).status, 503)
        XCTAssertEqual(try rig.call("push", "PATCH", "/devices/12345-6789", #"{"user": {"id": "alice"}}"#).status, 200)

        let text = rig.gateway.metricsText
        func value(_ series: String) -> Double? { GatewayProcess.sample(series, in: text) }
        func server(_ method: String, _ route: String, _ status: Int, _ tenant: String, _ vendor: String) -> Double? {
            value(#"http_server_request_duration_seconds_count{http_request_method="\#(method)",http_route="\#(route)",http_response_status_code="\#(status)",tenant="\#(tenant)",vendor="\#(vendor)"}"#)
        }
        XCTAssertEqual(server("PATCH", "/devices/{id}", 200, "cc", "control-center"), 1, text)
        XCTAssertEqual(server("PATCH", "/devices/{id}", 200, "cc1", "control-center"), 1)
        XCTAssertEqual(server("PATCH", "/devices/{id}", 400, "cc", "control-center"), 1)
        XCTAssertEqual(server("PATCH", "/devices/{id}", 415, "cc", "control-center"), 1)
        XCTAssertEqual(server("PATCH", "/devices/{id}", 422, "cc", "control-center"), 1)
        // Refused from the head: a route that is no resource, a method it does not take, no credential.
        XCTAssertEqual(server("DELETE", "/devices/{id}", 405, "", ""), 1)
        XCTAssertEqual(server("GET", "other", 404, "", ""), 1)
        XCTAssertEqual(server("PATCH", "/devices/{id}", 401, "", ""), 1)
        XCTAssertEqual(server("PATCH", "/devices/{id}", 429, "cc1", "control-center"), 1)
        XCTAssertEqual(server("PATCH", "/devices/{id}", 502, "cc", "control-center"), 1)
        XCTAssertEqual(server("PATCH", "/devices/{id}", 503, "cc", "control-center"), 1)
        XCTAssertEqual(server("PATCH", "/devices/{id}", 200, "push", "mobilefirst-push"), 1)

        for (code, tenant) in [("invalid_request", "cc"), ("unsupported_media_type", "cc"), ("unsupported_field", "cc"),
                               ("method_not_allowed", ""), ("not_found", ""), ("unauthenticated", ""),
                               ("rate_limited", "cc1"), ("upstream_error", "cc"), ("upstream_unavailable", "cc")] {
            XCTAssertEqual(value(#"switchyard_problems_total{code="\#(code)",tenant="\#(tenant)"}"#), 1, "\(code) for '\(tenant)'")
        }
        XCTAssertEqual(value(#"switchyard_rate_limit_decisions_total{tenant="cc1",policy="tenant",decision="admitted"}"#), 1)
        XCTAssertEqual(value(#"switchyard_rate_limit_decisions_total{tenant="cc1",policy="tenant",decision="refused"}"#), 1)
        XCTAssertEqual(value(#"switchyard_rate_limit_decisions_total{tenant="cc",policy="vendor",decision="admitted"}"#), 3)

        // The vendor calls: an answer, a vendor 5xx, a transport failure (no status), and the
        // push tenant's token fetch besides its call.
        func client(_ tenant: String, _ vendor: String, _ status: String, _ outcome: String) -> Double? {
            value(#"http_client_request_duration_seconds_count{tenant="\#(tenant)",vendor="\#(vendor)",server_address="127.0.0.1",http_response_status_code="\#(status)",outcome="\#(outcome)"}"#)
        }
        XCTAssertEqual(client("cc", "control-center", "200", "ok"), 1)
        XCTAssertEqual(client("cc", "control-center", "500", "vendor_error"), 1)
        XCTAssertEqual(client("cc", "control-center", "", "unavailable"), 1)
        XCTAssertEqual(client("push", "mobilefirst-push", "200", "ok"), 2, "the token fetch and the call")
        XCTAssertEqual(value(#"switchyard_vendor_token_fetches_total{tenant="push",result="ok"}"#), 1)
        XCTAssertEqual(value(#"switchyard_upstream_failures_total{kind="unavailable"}"#), 1)
        XCTAssertEqual((value(#"switchyard_upstream_connections_opened_total{tenant="cc"}"#) ?? 0)
                       + (value(#"switchyard_upstream_connections_reused_total{tenant="cc"}"#) ?? 0), 3)
        // Every request above came on a TLS connection of its own.
        XCTAssertEqual(value(#"switchyard_tls_handshakes_total{result="ok",resumed="false"}"#), 12)
        XCTAssertEqual(value(#"switchyard_tls_handshakes_total{result="failed",resumed="false"}"#), 0)
        XCTAssertEqual(value(#"switchyard_connections_active{listener="admin"}"#), 1, "the scrape's own connection")
        XCTAssertEqual(value(#"switchyard_config_reloads_total{result="ok"}"#), 0)
        XCTAssertEqual(value(#"switchyard_build_info{version="\#(SwitchyardVersion.number)",commit="\#(SwitchyardVersion.commit ?? "")"}"#), 1)

        // Every series has its metric's HELP and TYPE, and the buckets are API.md's.
        for family in MetricFamily.all where text.contains("\n\(family.name)") || text.hasPrefix(family.name) {
            XCTAssertTrue(text.contains("# HELP \(family.name) \(family.help)\n"), family.name)
            XCTAssertTrue(text.contains("# TYPE \(family.name) "), family.name)
        }
        let buckets = text.split(separator: "\n")
            .filter { $0.hasPrefix(#"http_server_request_duration_seconds_bucket{http_request_method="GET""#) }
            .compactMap { $0.firstMatch(of: /le="([^"]+)"/).map { String($0.1) } }
        XCTAssertEqual(buckets, ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
                                 "1.0", "2.5", "5.0", "10.0", "+Inf"])

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString).txt")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let check = TestEnvironment.run("/bin/sh", ["-c", "promtool check metrics < '\(file.path)'"])
        XCTAssertEqual(check.status, 0, "promtool: \(check.output)\(check.error)")
    }

    /// A client that makes up methods can't add series: any method the gateway does not know is
    /// `_OTHER`.
    func testAnUnknownMethodIsCountedAsOther() throws {
        let gateway = try GatewayProcess()
        defer { gateway.stop() }
        for method in ["BREW", "WHEN"] {
            XCTAssertEqual(gateway.curl("/devices", ["-o", "/dev/null", "-w", "%{http_code}", "-X", method]).output, "405")
        }
        let text = gateway.metricsText
        XCTAssertEqual(GatewayProcess.sample(#"http_server_request_duration_seconds_count{http_request_method="_OTHER",http_route="/devices",http_response_status_code="405",tenant="",vendor=""}"#, in: text), 2, text)
        XCTAssertFalse(text.contains("BREW"))
    }
}

extension MetricsTests {
    /// What never becomes a request is counted too: a handshake that fails, one that resumes a
    /// session (`openssl s_client -sess_in`), and a request that does not parse (a problem with
    /// no tenant).
    func testHandshakesAndUnparsableRequestsAreCounted() throws {
        let gateway = try GatewayProcess()
        defer { gateway.stop() }
        // Plain HTTP on the TLS port: no handshake.
        XCTAssertNotEqual(TestEnvironment.run("curl", ["-sS", "--max-time", "5", "http://127.0.0.1:\(gateway.port)/"]).status, 0)
        // A session saved by one s_client and offered by the next.
        let session = FileManager.default.temporaryDirectory.appendingPathComponent("session-\(UUID().uuidString).pem").path
        defer { try? FileManager.default.removeItem(atPath: session) }
        func sClient(_ sessionArguments: [String]) -> String {
            TestEnvironment.run("/bin/sh", ["-c", """
                printf 'GET /x HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' | \
                timeout 10 openssl s_client -connect 127.0.0.1:\(gateway.port) -servername localhost \
                -CAfile '\(TestEnvironment.caFile)' -ign_eof \(sessionArguments.joined(separator: " ")) 2>&1
                """]).output
        }
        XCTAssertTrue(sClient(["-sess_out", "'\(session)'"]).contains("HTTP/1.1 404"))
        let resumed = sClient(["-sess_in", "'\(session)'"])
        XCTAssertTrue(resumed.contains("Reused, TLSv1.3"), resumed)
        // A head with a line that is no header field.
        let client = try gateway.client()
        _ = client.send("GET /devices HTTP/1.1\r\nHost: localhost\r\nno colon here\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 400)

        let text = gateway.metricsText
        func value(_ series: String) -> Double? { GatewayProcess.sample(series, in: text) }
        XCTAssertEqual(value(#"switchyard_tls_handshakes_total{result="failed",resumed="false"}"#), 1, text)
        XCTAssertEqual(value(#"switchyard_tls_handshakes_total{result="ok",resumed="true"}"#), 1)
        XCTAssertEqual(value(#"switchyard_tls_handshakes_total{result="ok",resumed="false"}"#), 2)
        XCTAssertEqual(value(#"switchyard_problems_total{code="invalid_request",tenant=""}"#), 1)
        XCTAssertEqual(value(#"switchyard_client_rejections_total"#), 1)
        XCTAssertEqual(value(#"switchyard_problems_total{code="not_found",tenant=""}"#), 2)
    }
}

extension MetricsTests {
    /// Every metric the gateway publishes is in the operators' guide, and every metric of API.md
    /// §6 is published or named there as arriving with what it counts.
    func testTheOperationsGuideListsEveryMetric() throws {
        let guide = try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("docs/OPERATIONS.md"), encoding: .utf8)
        let contract = try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("docs/API.md"), encoding: .utf8)
        for family in MetricFamily.all {
            let name = family.name.replacingOccurrences(of: "switchyard_upstream_connections_reused_total", with: "…_reused_total")
            XCTAssertTrue(guide.contains("`\(name)`"), "OPERATIONS.md does not list \(family.name)")
        }
        let section = try XCTUnwrap(contract.components(separatedBy: "## 6.").dropFirst().first?.components(separatedBy: "\n## ").first)
        let named = section.matches(of: /\n\| `((?:switchyard|http)_[a-z_]+)`/).map { String($0.1) }
        XCTAssertGreaterThan(named.count, 10)
        for name in named {
            XCTAssertTrue(MetricFamily.all.contains { $0.name == name } || guide.contains("`\(name)` with"),
                          "API.md §6's \(name) is neither published nor said to be coming in OPERATIONS.md")
        }
    }
}
