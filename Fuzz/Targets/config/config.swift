import Crypto
import Foundation
import FuzzSupport
import Switchyard
import SwitchyardHTTP
import SwitchyardVendors

/// Fuzzes the configuration reader behind `switchyard check` and `serve`
/// (`GatewayConfiguration.parse`, Sources/Switchyard/Configuration: Yams' composer, then the
/// decoder and validator) with the input as the YAML file.
///
/// The file is read as if it were `routes/gateway.yaml` in a temporary tree made at start-up:
/// `certs/dev/{server.crt,server.key,ca.crt}` (placeholders) and `routes/jwks.json` (a JWKS with
/// a P-256 key generated at start-up), with an environment that sets every `${VAR}` of
/// routes/*.yaml to a throwaway value, so the committed seeds (the repository's own routes files)
/// validate.
///
/// Invariants:
/// - reading is deterministic: the same text gives the same configuration or the same problems;
/// - a refusal lists at least one problem, each with a message, and a line within the file;
/// - an accepted configuration holds what validation promises: an HS256 secret of ≥ 32 bytes,
///   API keys that are 64 lowercase hex digits, distinct, for configured tenants, with scopes;
///   and what the server then builds from it does not trap or throw: `Authenticator` (when its
///   JWKS is the valid one or absent), each tenant's `VendorAdapter`, a `GCRA` per rate policy,
///   the request parser's `HTTPLimits`; the warnings can be listed.
@main
enum ConfigFuzzer {
    static func main() { FuzzDriver.run(testOneInput) }
}

struct Setup: @unchecked Sendable {
    let routes: String
    let jwks: String
    let environment: [String: String]
}

let setup: Setup = {
    let point = P256.Signing.PrivateKey().publicKey.rawRepresentation
    let jwks = #"{"keys": [{"kty": "EC", "crv": "P-256", "kid": "fuzz-ec", "x": ""# + FuzzBase64URL.encode(point.prefix(32))
        + #"", "y": ""# + FuzzBase64URL.encode(point.suffix(32)) + #""}]}"#
    let root = FuzzFiles.makeDirectory("config", files: [
        "certs/dev/server.crt": "placeholder\n", "certs/dev/server.key": "placeholder\n", "certs/dev/ca.crt": "placeholder\n",
        "routes/jwks.json": jwks,
    ])
    var environment: [String: String] = [
        "JWT_SECRET": "fuzz-throwaway-jwt-secret-0123456789abcdef",
        "ACME_KEY_SHA256": String(repeating: "ab", count: 32),
        "CC_USER": "fuzz-cc-user", "CC_API_KEY": "fuzz-cc-key", "GATE_TOKEN": "fuzz-gate-token",
        "MFP_ID": "fuzz-mfp-id", "MFP_SECRET": "fuzz-mfp-secret", "VODLIX_COOKIE": "PHPSESSID=fuzz",
        "IOT_KEY_ID": "fuzz-iot-key-id", "IOT_ACCESS_KEY": "fuzz-iot-access-key",
        "SWITCHYARD_DEMO_PORT": "8443", "SWITCHYARD_DEMO_ADMIN_PORT": "9090",
        "SWITCHYARD_DEMO_JWT_SECRET": "fuzz-throwaway-demo-secret-0123456789abcdef",
        // For mutations: an empty value and one with a newline (a secret file's trailing newline).
        "EMPTY": "", "NEWLINE": "value\n",
    ]
    for vendor in ["CONTROL_CENTER", "GATE", "MOBILEFIRST_PUSH", "VODLIX", "IOT_SECURITY"] {
        environment["SWITCHYARD_DEMO_\(vendor)_PORT"] = "9443"
    }
    return Setup(routes: root + "/routes", jwks: root + "/routes/jwks.json", environment: environment)
}()

func parse(_ yaml: String) -> Result<GatewayConfiguration, ConfigurationError> {
    do {
        return .success(try GatewayConfiguration.parse(
            yaml: yaml, baseDirectory: setup.routes, source: "gateway.yaml", environment: setup.environment))
    } catch {
        return .failure(error)
    }
}

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // `load` refuses a file that is not UTF-8 before parsing; the fuzzer's bytes get the same.
    guard let yaml = String(validating: fuzzBuffer(data, size), as: UTF8.self) else { return 0 }
    let first = parse(yaml)
    let second = parse(yaml)
    switch (first, second) {
    case (.success(let a), .success(let b)):
        invariant(a == b, "the same text read as two configurations")
        checkAccepted(a)
    case (.failure(let a), .failure(let b)):
        invariant(a == b, "the same text refused with other problems: \(a) / \(b)")
        // Every line break YAML or Swift knows (CR, LF, CRLF, NEL, LS, PS; VT and FF for Swift).
        checkRefused(a, lines: yaml.count(where: \.isNewline) + 1)
    default:
        invariant(false, "the same text accepted once and refused once")
    }
    return 0
}

func checkRefused(_ error: ConfigurationError, lines: Int) {
    invariant(!error.problems.isEmpty, "a refusal without problems")
    for problem in error.problems {
        invariant(!problem.message.isEmpty, "a problem without message at \(problem.keyPath)")
        if let line = problem.line { invariant(line >= 1 && line <= lines + 1, "a problem at line \(line) of \(lines)") }
    }
    _ = error.description
}

func checkAccepted(_ configuration: GatewayConfiguration) {
    let tenants = Set(configuration.tenants.keys)
    if let secret = configuration.auth.jwt?.hs256Secret {
        invariant(secret.revealed.utf8.count >= 32, "an HS256 secret of \(secret.revealed.utf8.count) bytes accepted")
    }
    var hashes = Set<String>()
    for key in configuration.auth.apiKeys {
        invariant(key.sha256.utf8.count == 64 && key.sha256.utf8.allSatisfy { "0123456789abcdef".utf8.contains($0) },
                  "an API key hash that is not 64 lowercase hex digits")
        invariant(hashes.insert(key.sha256).inserted, "the same API key hash twice")
        invariant(tenants.contains(key.tenant), "an API key for unknown tenant \(key.tenant)")
        invariant(!key.scopes.isEmpty, "an API key without scopes")
    }
    let jwks = configuration.auth.jwt?.jwksFilePath
    if jwks == nil || jwks == setup.jwks {
        do {
            _ = try Authenticator(settings: configuration.auth, tenantNames: tenants)
        } catch {
            invariant(false, "a valid configuration's Authenticator failed: \(error)")
        }
    }
    for (name, tenant) in configuration.tenants {
        invariant(name == tenant.name && !name.isEmpty, "tenant \(name) named \(tenant.name)")
        let adapter = VendorAdapters.adapter(for: tenant)
        invariant(adapter.vendor == tenant.vendor, "tenant \(name): a \(adapter.vendor) adapter for \(tenant.vendor)")
        invariant(adapter.batchSize >= 1 && adapter.fanOutConcurrency >= 1, "tenant \(name): batch or fan-out below 1")
        _ = adapter.accessTokenRequest()
        for policy in [tenant.rateLimit, tenant.vendorQuota].compactMap({ $0 }) { _ = GCRA(policy) }
        invariant(tenant.upstream.port > 0, "tenant \(name): upstream port 0")
    }
    let limits = configuration.limits
    _ = RequestParser(limits: HTTPLimits(maxHeaderBytes: limits.maxHeaderBytes, maxBodyBytes: limits.maxBodyBytes))
    _ = ResponseParser(limits: HTTPLimits(maxHeaderBytes: limits.maxHeaderBytes, maxBodyBytes: limits.maxUpstreamBodyBytes))
    _ = configuration.warnings
}
