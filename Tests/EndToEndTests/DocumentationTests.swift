import Foundation
import SwitchyardTestSupport
import XCTest

/// The project stands on its own: the README and docs/ link only to files inside the repository,
/// and nothing in it refers to the team's workshop, a folder beside the repository that users don't
/// have (its contract, design brief and vendor notes now live in docs/).
final class DocumentationTests: XCTestCase {
    private let root = TestEnvironment.repositoryRoot

    /// The repository's Markdown pages: the README, CHANGELOG.md and docs/.
    private func pages() throws -> [URL] {
        let docs = root.appendingPathComponent("docs")
        let names = try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") }
        return [root.appendingPathComponent("README.md"), root.appendingPathComponent("CHANGELOG.md")]
            + names.sorted().map { docs.appendingPathComponent($0) }
    }

    func testEveryRelativeLinkResolvesInsideTheRepository() throws {
        let link = try NSRegularExpression(pattern: #"\]\(([^)\s]+)\)"#)
        for page in try pages() {
            let text = try String(contentsOf: page, encoding: .utf8)
            for match in link.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let target = String(text[Range(match.range(at: 1), in: text)!])
                if target.contains("://") || target.hasPrefix("#") || target.hasPrefix("mailto:") { continue }
                let path = String(target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0])
                let resolved = page.deletingLastPathComponent().appendingPathComponent(path).standardizedFileURL
                XCTAssertTrue(resolved.path.hasPrefix(root.standardizedFileURL.path + "/"),
                              "\(page.lastPathComponent) links outside the repository: \(target)")
                XCTAssertTrue(FileManager.default.fileExists(atPath: resolved.path),
                              "\(page.lastPathComponent) links to a missing file: \(target)")
            }
        }
    }

    func testNothingRefersToTheWorkshop() throws {
        let files = TestEnvironment.run("git", ["-C", root.path, "ls-files"]).output.split(separator: "\n")
        XCTAssertGreaterThan(files.count, 100, "git ls-files listed the repository")
        // Spelled in pieces so that this file does not name them itself.
        let workshop = ["../" + "shared", "shared/" + "API.md", "DESIGN" + ".md", "NOTES" + ".md"]
        // The fuzz corpus is arbitrary bytes.
        for file in files where !file.hasPrefix("Fuzz/Corpus/") {
            guard let text = try? String(contentsOf: root.appendingPathComponent(String(file)), encoding: .utf8) else { continue }
            for name in workshop where text.contains(name) {
                XCTFail("\(file) refers to the workshop (\(name))")
            }
        }
    }
}
