import SwitchyardTestSupport
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The real `switchyard serve` binary, started on ephemeral loopback ports with a configuration
/// the test writes, and stopped (SIGTERM, then SIGKILL) when the test ends.
final class GatewayProcess: @unchecked Sendable {
    let process = Process()
    let configPath: String
    private(set) var port: UInt16 = 0
    private(set) var adminPort: UInt16 = 0
    private let lock = NSLock()
    private var log = ""
    private var stdout = ""
    private let stderrPipe = Pipe()
    private let stdoutPipe = Pipe()

    /// Default limits are small so the limit tests stay quick; `limits` (`key: value` pairs
    /// separated by `, `) adds keys or overrides any default.
    static func configuration(limits: String = "", workers: Int = 2, admin: Bool = true) -> String {
        let given = limits.components(separatedBy: ", ").filter { !$0.isEmpty }
        let givenKeys = Set(given.map { $0.prefix { $0 != ":" } })
        let defaults = ["maxHeaderBytes: 4096", "maxBodyBytes: 65536", "headerTimeoutSeconds: 2", "idleTimeoutSeconds: 3",
                        "shutdownGraceSeconds: 5", "drainDelaySeconds: 0"].filter { !givenKeys.contains($0.prefix { $0 != ":" }) }
        return """
        listen: "127.0.0.1:0"
        tls: {certificate: "\(TestEnvironment.serverCertificate)", privateKey: "\(TestEnvironment.serverKey)"}
        \(admin ? "admin: \"127.0.0.1:0\"" : "admin: off")
        workers: \(workers)
        limits: {\((defaults + given).joined(separator: ", "))}
        """
    }

    /// A fresh HS256 secret per test run: nothing secret is committed, not even for tests.
    static let secret = UUID().uuidString + UUID().uuidString

    /// `configuration(limits:)` plus an HS256 issuer and one tenant, `acme`, on control-center at
    /// a port where nothing listens: enough for a request to pass the head's checks (route,
    /// credential, scope) so that its body is read.
    static func authenticatedConfiguration(limits: String = "", workers: Int = 2) -> String {
        configuration(limits: limits, workers: workers) + """

        auth:
          jwt: {hs256Secret: "\(secret)"}
        tenants:
          acme: {vendor: control-center, upstream: "https://127.0.0.1:9", credentials: {username: u, apiKey: k}}
        """
    }

    /// A token minted by `switchyard token` from this gateway's configuration.
    func token(tenant: String = "acme", scope: String = "devices:write devices:bulk") throws -> String {
        let result = TestEnvironment.run(TestEnvironment.binary.path, ["token", "--config", configPath, "--tenant", tenant, "--scope", scope])
        guard result.status == 0 else {
            throw NSError(domain: "GatewayProcess", code: 2, userInfo: [NSLocalizedDescriptionKey: "switchyard token: \(result.error)"])
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `fileLimit` starts the gateway under `ulimit -n` (through `/bin/sh`), to run it out of
    /// file descriptors on purpose.
    init(configuration: String = GatewayProcess.configuration(), fileLimit: Int? = nil) throws {
        let directory = TestEnvironment.temporaryDirectory("gateway")
        configPath = directory.appendingPathComponent("switchyard.yaml").path
        try configuration.write(toFile: configPath, atomically: true, encoding: .utf8)
        if let fileLimit {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -n \(fileLimit) && exec \"$0\" serve --config \"$1\"",
                                 TestEnvironment.binary.path, configPath]
        } else {
            process.executableURL = TestEnvironment.binary
            process.arguments = ["serve", "--config", configPath]
        }
        process.standardError = stderrPipe
        process.standardOutput = stdoutPipe
        stdoutPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock()
            self.stdout += String(decoding: data, as: UTF8.self)
            self.lock.unlock()
        }
        let handle = stderrPipe.fileHandleForReading
        handle.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock()
            self.log += String(decoding: data, as: UTF8.self)
            self.lock.unlock()
        }
        try process.run()
        try waitForListening()
    }

    deinit {
        stop()
    }

    /// Standard error: the gateway's log.
    var output: String {
        lock.lock()
        defer { lock.unlock() }
        return log
    }

    /// Standard output: the access log.
    var accessLog: String {
        lock.lock()
        defer { lock.unlock() }
        return stdout
    }

    private func waitForListening() throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let text = output
            if let match = text.range(of: #"listening on https://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                let digits = text[match].split(separator: ":").last.map(String.init) ?? ""
                port = UInt16(digits) ?? 0
                if let admin = text.range(of: #"admin on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                    adminPort = UInt16(text[admin].split(separator: ":").last.map(String.init) ?? "") ?? 0
                }
                return
            }
            if !process.isRunning { break }
            usleep(20_000)
        }
        throw NSError(domain: "GatewayProcess", code: 1, userInfo: [NSLocalizedDescriptionKey: "gateway did not start: \(output)"])
    }

    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits for the process to exit (bounded); its exit status, or nil if it is still running.
    func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func stop() {
        guard process.isRunning else { return }
        signal(SIGTERM)
        if waitForExit(timeout: 10) == nil {
            signal(SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The server process's resident memory in KiB (`VmRSS`), from /proc.
    var residentKiB: Int {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return -1 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }

    /// `/metrics` on the admin listener, as scraped.
    var metricsText: String {
        TestEnvironment.run("curl", ["-sS", "--max-time", "5", "http://127.0.0.1:\(adminPort)/metrics"]).output
    }

    /// One sample of `/metrics`, by its series as written (`name{label="value",…}`, labels in
    /// the catalogue's order).
    func metric(_ series: String) -> Int? {
        Self.sample(series, in: metricsText).map { Int($0) }
    }

    /// The value of `series` in an exposition, nil when it is not there.
    static func sample(_ series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// The server process's CPU time, from /proc.
    var cpuTicks: Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return -1 }
        let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }

    /// `curl` against this gateway over TLS, trusting the test CA; returns status, headers, body.
    func curl(_ path: String, _ arguments: [String] = []) -> (status: Int32, output: String, error: String) {
        TestEnvironment.run("curl", ["-sS", "--cacert", TestEnvironment.caFile, "--max-time", "10",
                                     "--resolve", "localhost:\(port):127.0.0.1"] + arguments
            + ["https://localhost:\(port)\(path)"])
    }

    func client(maxVersion: Int32? = nil, receiveBufferBytes: Int32? = nil) throws -> TLSTestClient {
        try TLSTestClient(port: port, caFile: TestEnvironment.caFile, maxVersion: maxVersion, receiveBufferBytes: receiveBufferBytes)
    }
}
