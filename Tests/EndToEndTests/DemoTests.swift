import Foundation
import SwitchyardJSON
import SwitchyardTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The README's run command, tried as a new user would: `switchyard demo` from the repository,
/// then every `curl` command it prints, pasted into a shell; then Ctrl-C.
final class DemoTests: XCTestCase {
    func testTheDemoIsUpAndEveryPrintedCommandDoesWhatItSays() throws {
        let process = Process()
        process.executableURL = TestEnvironment.binary
        // Free ports, so the test never fights a demo someone is running on 8443.
        process.arguments = ["demo", "--port", "0", "--admin-port", "0"]
        process.currentDirectoryURL = TestEnvironment.repositoryRoot
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        let output = OutputCollector(stdout: stdout, stderr: stderr)
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }

        let deadline = Date().addingTimeInterval(60)
        while !output.currentOutput.contains("Ctrl-C stops") && process.isRunning && Date() < deadline { usleep(50_000) }
        let printed = output.currentOutput
        XCTAssertTrue(printed.contains("Ctrl-C stops"), "the demo did not come up: \(printed)")

        // Each command: the comment above it, then the curl lines (joined at their backslashes).
        let commands = printed.components(separatedBy: "\n\n").compactMap { block -> (comment: String, command: String)? in
            let lines = block.split(separator: "\n").map(String.init)
            guard let comment = lines.first(where: { $0.hasPrefix("# ") }),
                  let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("curl ") && $0.contains(" -X ") }) else { return nil }
            return (comment, lines[start...].joined(separator: "\n").replacingOccurrences(of: "\\\n", with: " "))
        }
        let expected = [200, 201, 200, 201, 207, 403, 422, 200, 201, 200]
        XCTAssertEqual(commands.count, expected.count, printed)
        for ((comment, command), status) in zip(commands, expected) {
            let result = TestEnvironment.run("/bin/sh", ["-c", "cd \"$0\" && " + command.replacingOccurrences(of: " -s -i ", with: " -sS -i --max-time 10 "),
                                                         TestEnvironment.repositoryRoot.path])
            let statusLine = result.output.split(separator: "\r\n").first.map(String.init) ?? result.error
            XCTAssertTrue(statusLine.hasPrefix("HTTP/1.1 \(status) "), "\(comment): \(statusLine)")
            XCTAssertFalse(result.output.contains("s3cret!"), "\(comment): the password came back")
        }

        // The migration's report, as printed: acme's changes compared on gate, one of them made to
        // differ, the SIM fields gate can't take listed (the mirror runs after each answer: polled).
        let reportCommand = try XCTUnwrap(printed.split(separator: "\n").first { $0.contains("/-/migrations") }, printed)
        var report: JSONValue?
        let reportDeadline = Date().addingTimeInterval(5)
        repeat {
            let fetched = TestEnvironment.run("/bin/sh", ["-c", String(reportCommand) + " --max-time 5"])
            report = (try? JSONParser.parse(Array(fetched.output.utf8)))?[pointer: "/migrations/0"]
            if report?[pointer: "/mirrored"]?.intValue == 3 { break }
            usleep(100_000)
        } while Date() < reportDeadline
        XCTAssertEqual(report?[pointer: "/tenant"], .string("acme"), "\(String(describing: report))")
        XCTAssertEqual(report?[pointer: "/matched"]?.intValue, 1, "\(String(describing: report))")
        XCTAssertEqual(report?[pointer: "/mismatched"]?.intValue, 1)
        XCTAssertEqual(report?[pointer: "/mismatches/0/pointer"], .string("/deviceId"))
        XCTAssertEqual(report?[pointer: "/notPortable"]?.intValue, 1)
        XCTAssertEqual(Set(report?[pointer: "/notPortableChanges"]?.arrayValue?.compactMap { $0[pointer: "/field"]?.stringValue } ?? []),
                       ["/sim/status", "/sim/ratePlan"])

        // The printed way to mint more tokens works on the demo's own file and secret (the
        // binary stands in for `swift run switchyard`, which would build first): the hooli bulk
        // command with a freshly minted token answers as with the printed one.
        let mint = try XCTUnwrap(printed.split(separator: "\n").first { $0.contains("switchyard token --config routes/demo.yaml") },
                                 "no token command printed: \(printed)")
        let script = mint.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "swift run switchyard", with: "\"$1\"")
            + " && printf %s \"$TOKEN\""
        let minted = TestEnvironment.run("/bin/sh", ["-c", "cd \"$0\" && " + script, TestEnvironment.repositoryRoot.path, TestEnvironment.binary.path])
        XCTAssertEqual(minted.status, 0, minted.error)
        let hooliBulk = try XCTUnwrap(commands.first { $0.comment.contains("hooli") }).command
        let printedToken = try XCTUnwrap(hooliBulk.range(of: #"Bearer [A-Za-z0-9_.-]+"#, options: .regularExpression))
        let withMinted = hooliBulk.replacingCharacters(in: printedToken, with: "Bearer \(minted.output)")
        XCTAssertNotEqual(withMinted, hooliBulk)
        let again = TestEnvironment.run("/bin/sh", ["-c", "cd \"$0\" && " + withMinted, TestEnvironment.repositoryRoot.path])
        XCTAssertTrue(again.output.hasPrefix("HTTP/1.1 207 "), again.output + again.error)

        // The instructions stay readable: no access-log line follows them (the log is flushed
        // within 200 ms, so a second is enough for one to show up if it were on).
        usleep(1_000_000)
        XCTAssertFalse(output.currentOutput.contains("\"durationMicros\""), "access-log lines after the instructions")

        kill(process.processIdentifier, SIGINT)
        let exitDeadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < exitDeadline { usleep(50_000) }
        XCTAssertFalse(process.isRunning, "Ctrl-C did not stop the demo")
        if !process.isRunning { XCTAssertEqual(process.terminationStatus, 0, output.finish().1) }
    }
}
