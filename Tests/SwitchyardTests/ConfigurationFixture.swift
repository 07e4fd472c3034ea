import Foundation
import Switchyard
import XCTest

/// A temporary directory holding the files a configuration names (certificates, keys, JWKS, CA
/// bundle), so path checks pass, with helpers that parse YAML as if it were a file in it.
struct ConfigurationFixture {
    static let validHash = String(repeating: "ab", count: 32)
    static let secret32 = "0123456789abcdef0123456789abcdef"

    /// The smallest valid file: only required keys.
    static let minimal = """
        tls: {certificate: certs/dev/server.crt, privateKey: certs/dev/server.key}
        auth:
          apiKeys: [{sha256: "\(validHash)", tenant: acme, scopes: [devices:write]}]
        tenants:
          acme: {vendor: gate, upstream: "https://gate.example.com", credentials: {token: t0ken}}
        """

    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("switchyard-config-\(UUID().uuidString)").path
        for file in ["certs/dev/server.crt", "certs/dev/server.key", "certs/jwks.json", "certs/upstream-ca.pem"] {
            try write("test fixture\n", to: file)
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    @discardableResult
    func write(_ text: String, to relativePath: String) throws -> String {
        let path = directory + "/" + relativePath
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func parse(_ yaml: String, environment: [String: String] = [:]) throws(ConfigurationError) -> GatewayConfiguration {
        try GatewayConfiguration.parse(
            yaml: yaml, baseDirectory: directory, source: "gateway.yaml", environment: environment)
    }

    /// The error lines for a file that must be refused; fails the test if it is accepted.
    func problems(
        _ yaml: String, environment: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line
    ) -> [String] {
        do {
            _ = try GatewayConfiguration.parse(
                yaml: yaml, baseDirectory: directory, source: "gateway.yaml", environment: environment)
            XCTFail("the configuration was accepted", file: file, line: line)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }
}
