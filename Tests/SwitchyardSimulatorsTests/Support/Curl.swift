import SwitchyardTestSupport
import Foundation
import XCTest

/// What curl got: its exit code (0 unless the transfer failed), the last response's status (0
/// when there was none), headers and body.
struct CurlResult {
    var exitCode: Int32
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    var stderr: String

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
}

/// curl against a simulator over real TLS, trusting the test CA, with `localhost` resolved to
/// the loopback address the simulator listens on. Every call is bounded by `--max-time`.
enum Curl {
    static func request(
        port: UInt16,
        _ method: String,
        _ path: String,
        headers: [String] = [],
        body: String? = nil,
        extra: [String] = [],
        maxTime: Double = 10
    ) -> CurlResult {
        let headerFile = TestEnvironment.temporaryFile("headers")
        let bodyFile = TestEnvironment.temporaryFile("body")
        defer {
            try? FileManager.default.removeItem(atPath: headerFile)
            try? FileManager.default.removeItem(atPath: bodyFile)
        }
        var arguments = base(port: port, maxTime: maxTime) + ["-D", headerFile, "-o", bodyFile, "-w", "%{http_code}", "-X", method]
        for header in headers { arguments += ["-H", header] }
        if let body { arguments += ["--data-binary", body] }
        arguments += extra + ["https://localhost:\(port)\(path)"]
        let result = TestEnvironment.run("curl", arguments, timeout: maxTime + 5)
        let rawHeaders = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        let body = (try? Data(contentsOf: URL(fileURLWithPath: bodyFile))).map { Array($0) } ?? []
        return CurlResult(exitCode: result.status, status: Int(result.output) ?? 0,
                          headers: parseHeaders(rawHeaders), body: body, stderr: result.error)
    }

    /// The same request to `path` `count` times in one curl run (one connection, one process):
    /// each answer's status and body, in order. For rate limits, where hundreds of processes
    /// would measure the machine rather than the simulator.
    static func repeated(
        port: UInt16,
        count: Int,
        _ method: String,
        _ path: String,
        headers: [String] = [],
        body: String? = nil
    ) -> [(status: Int, body: [UInt8])] {
        let files = (0..<count).map { _ in TestEnvironment.temporaryFile("repeat") }
        defer { files.forEach { try? FileManager.default.removeItem(atPath: $0) } }
        var arguments = base(port: port, maxTime: 60) + ["-w", "%{http_code}\\n", "-X", method]
        for header in headers { arguments += ["-H", header] }
        if let body { arguments += ["--data-binary", body] }
        for file in files { arguments += ["-o", file, "https://localhost:\(port)\(path)"] }
        let result = TestEnvironment.run("curl", arguments, timeout: 65)
        let statuses = result.output.split(separator: "\n").map { Int($0) ?? 0 }
        return zip(statuses, files).map { status, file in
            (status, (try? Data(contentsOf: URL(fileURLWithPath: file))).map { Array($0) } ?? [])
        }
    }

    private static func base(port: UInt16, maxTime: Double) -> [String] {
        ["-sS", "--cacert", TestEnvironment.caFile, "--max-time", String(maxTime),
         "--resolve", "localhost:\(port):127.0.0.1"]
    }

    /// The last header block (after any 1xx) as name-value pairs.
    private static func parseHeaders(_ raw: String) -> [(name: String, value: String)] {
        let blocks = raw.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }
        guard let last = blocks.last else { return [] }
        return last.components(separatedBy: "\r\n").dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }
}
