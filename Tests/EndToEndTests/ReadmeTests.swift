import Foundation
import SwitchyardTestSupport
import XCTest

/// The README's production path, run as a new user would paste it into a shell: the block under
/// "Run it for real", in order, with `set -e`. Two changes only: the build is the test's own (the
/// binary under test stands in for `.build/release/switchyard`), and a trap stops the gateway by
/// its pid if a line fails, so a failure cannot leave it holding the port.
final class ReadmeTests: XCTestCase {
    func testTheProductionPathRunsAsWritten() throws {
        let readme = try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try XCTUnwrap(readme.components(separatedBy: "### Run it for real").dropFirst().first, "no \"Run it for real\" section")
        let block = try XCTUnwrap(section.components(separatedBy: "```sh\n").dropFirst().first?.components(separatedBy: "```").first)
        let lines = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.first, "swift build -c release", "the path starts with the build")
        let commands = lines.dropFirst().joined(separator: "\n")
            .replacingOccurrences(of: ".build/release/switchyard", with: "\"$SWITCHYARD\"")
        XCTAssertTrue(commands.contains("serve --config routes/example.yaml &"), commands)
        let script = """
            set -e
            trap 'for pid in $(jobs -p); do kill "$pid" 2>/dev/null; done' EXIT
            \(commands)
            echo "serve exited with $?"
            """
        var environment = ProcessInfo.processInfo.environment
        environment["SWITCHYARD"] = TestEnvironment.binary.path
        let result = TestEnvironment.run("/bin/bash", ["-c", "cd \"$0\" && eval \"$1\"", TestEnvironment.repositoryRoot.path, script],
                                         timeout: 90, environment: environment)
        let transcript = result.output + "\n--- stderr ---\n" + result.error
        XCTAssertEqual(result.status, 0, transcript)
        XCTAssertTrue(result.output.contains("routes/example.yaml: OK (5 tenants)"), transcript)
        XCTAssertTrue(result.output.contains(#"{"status":"ready"}"#), transcript)
        // Where the vendors' names don't resolve (CI), 503; where they do, the vendor refuses the placeholders.
        XCTAssertTrue(result.output.contains(#""code":"upstream_unavailable""#) || result.output.contains(#""code":"upstream_auth_failed""#),
                      transcript)
        XCTAssertTrue(result.output.contains("serve exited with 0"), transcript)
        XCTAssertTrue(result.error.contains("drained; bye"), transcript)
    }
}
