import Foundation
import SwitchyardTestSupport
import XCTest

/// API.md §2: no Swift type dump reaches a client or a log line. Errors end up interpolated into
/// problem details, log lines and command output, where a type without its own `description`
/// prints as `message(SwitchyardHTTP.HTTPParseError.bodyTooLarge)`. So every error type the
/// sources declare says what it is in words: `CustomStringConvertible` in its declaration.
final class ErrorWordingTests: XCTestCase {
    func testEveryErrorTypeDescribesItselfInWords() throws {
        let sources = TestEnvironment.repositoryRoot.appendingPathComponent("Sources")
        let declaration = try NSRegularExpression(
            pattern: #"^\s*(?:public |private |fileprivate |internal )?(?:final )?(?:struct|enum|class) (\w+)\s*:([^{]*)\{"#,
            options: .anchorsMatchLines)
        var errorTypes: [String] = []
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        for case let file as URL in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in declaration.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let name = String(text[Range(match.range(at: 1), in: text)!])
                let conformances = text[Range(match.range(at: 2), in: text)!].split(separator: ",")
                    .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                guard conformances.contains("Error") else { continue }
                errorTypes.append(name)
                XCTAssertTrue(conformances.contains("CustomStringConvertible"),
                              "\(file.lastPathComponent): \(name) is an Error without its own description")
            }
        }
        XCTAssertGreaterThan(errorTypes.count, 15, "the scan found the error types: \(errorTypes)")
    }
}
