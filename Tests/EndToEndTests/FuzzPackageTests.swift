import Foundation
import SwitchyardTestSupport
import XCTest

/// Fuzz/Package.swift compiles the gateway's modules again (Fuzz/README.md), so it must name the
/// same package products for the gateway module as ../Package.swift does; a product added to one
/// and not the other breaks the fuzz smoke run that CI makes, not this build.
final class FuzzPackageTests: XCTestCase {
    func testTheFuzzPackageBuildsTheGatewayWithTheSameProducts() throws {
        let root = TestEnvironment.repositoryRoot
        func products(_ manifest: String) throws -> [String] {
            let text = try String(contentsOf: root.appendingPathComponent(manifest), encoding: .utf8)
            // The target, not the package of the same name: the first `name: "Switchyard",` followed by dependencies.
            let target = try XCTUnwrap(text.components(separatedBy: "name: \"Switchyard\",").dropFirst()
                .first { $0.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("dependencies:") }, manifest)
            let dependencies = try XCTUnwrap(target.components(separatedBy: "swiftSettings").first, manifest)
            return dependencies.matches(of: /\.product\(name: "([^"]+)", package: "([^"]+)"\)/).map { "\($0.1) from \($0.2)" }
        }
        let gateway = try products("Package.swift")
        XCTAssertGreaterThan(gateway.count, 4)
        XCTAssertEqual(try products("Fuzz/Package.swift").sorted(), gateway.sorted())
    }

    /// Every module both manifests build depends on the same modules and products in both: a
    /// dependency added to one only (SwitchyardJSON's on CByteScan, once) fails the fuzz build in CI,
    /// not this one.
    func testEveryModuleBuiltInBothHasTheSameDependencies() throws {
        let root = TestEnvironment.repositoryRoot
        func dependencies(_ manifest: String) throws -> [String: [String]] {
            let text = try String(contentsOf: root.appendingPathComponent(manifest), encoding: .utf8)
            var found: [String: [String]] = [:]
            for target in text.matches(of: /\.target\(\s*name: "([^"]+)",\s*dependencies: \[([^\]]*)\]/) {
                found[String(target.1)] = String(target.2).matches(of: /"([^"]+)"/).map { String($0.1) }.sorted()
            }
            return found
        }
        let gateway = try dependencies("Package.swift"), fuzz = try dependencies("Fuzz/Package.swift")
        let shared = Set(gateway.keys).intersection(fuzz.keys)
        XCTAssertTrue(shared.isSuperset(of: ["SwitchyardIO", "SwitchyardHTTP", "SwitchyardJSON", "SwitchyardRedis",
                                             "SwitchyardDevices", "SwitchyardVendors", "Switchyard"]), "\(shared.sorted())")
        for module in shared.sorted() { XCTAssertEqual(fuzz[module], gateway[module], module) }
    }
}
