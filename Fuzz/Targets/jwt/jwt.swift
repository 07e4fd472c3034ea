import Crypto
import CryptoExtras
import Foundation
import FuzzSupport
import Switchyard
import SwitchyardDevices
import SwitchyardJSON

/// Fuzzes the `Authenticator` (Sources/Switchyard/Auth/Authenticator.swift) with the input as an
/// `Authorization` header value.
///
/// The authenticator is built the way `switchyard check` and `serve` build it: a YAML
/// configuration (read by `GatewayConfiguration.parse`) with an HS256 secret, two API keys and a
/// JWKS file holding an RS256 key (kid `rsa-1`) and an ES256 key without kid, both generated at
/// start-up into a temporary directory (no key is committed). The committed seeds are signed
/// with the target's throwaway HS256 secret, or are unsigned `Bearer <header>.<payload>` pairs:
/// for such an input the target also signs the pair itself (HS256 always, RS256 and ES256 when
/// the header names them) and authenticates the signed token, so mutations of headers and claims
/// get past the signature check.
///
/// Invariants:
/// - a credential names a configured tenant (acme or globex);
/// - an API-key credential comes only from a configured key, for that key's tenant and scopes,
///   and has no expiry;
/// - a JWT credential has a finite `exp` with now < exp + leeway, and the token's signature
///   verifies, checked independently with the keys the target holds (so a mutated token never
///   passes), its `iss` and `aud` are the configured ones and its tenant claim is the credential's;
/// - no credential for a token over `Authenticator.maximumTokenBytes`;
/// - the same header authenticates alike with and without an `AuthenticationCache`, and again from
///   the cache.
@main
enum JWTFuzzer {
    static func main() { FuzzDriver.run(testOneInput) }
}

/// Fixed, so that seeds with far-future expiries stay valid and every run is reproducible (2030).
let now: Double = 1_900_000_000
let issuer = "https://issuer.fuzz.invalid/"
let audience = "switchyard"
/// A throwaway secret, used only here and by the seeds in Corpus/jwt.
let hs256Secret = "switchyard-fuzz-throwaway-hs256-secret-not-for-use"
let apiKeys: [(key: String, tenant: String, scopes: CaseSet<Scope>)] = [
    ("fuzz-api-key-acme-0001", "acme", [.devicesWrite]),
    ("fuzz-api-key-globex-0002", "globex", [.devicesWrite, .devicesBulk]),
]

struct Keys: @unchecked Sendable {
    let rsa: _RSA.Signing.PrivateKey
    let ec: P256.Signing.PrivateKey
    let hmac: SymmetricKey
    let authenticator: Authenticator
    let tenants: Set<String>
}

let keys: Keys = {
    let rsa = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    let ec = P256.Signing.PrivateKey()
    let primitives = try! rsa.publicKey.getKeyPrimitives()
    let point = ec.publicKey.rawRepresentation
    let jwks = """
        {"keys": [
          {"kty": "RSA", "kid": "rsa-1", "alg": "RS256", "use": "sig",
           "n": "\(FuzzBase64URL.encode(primitives.modulus))", "e": "\(FuzzBase64URL.encode(primitives.publicExponent))"},
          {"kty": "EC", "crv": "P-256", "use": "sig",
           "x": "\(FuzzBase64URL.encode(point.prefix(32)))", "y": "\(FuzzBase64URL.encode(point.suffix(32)))"},
          {"kty": "EC", "crv": "P-384", "kid": "skipped-curve", "x": "AA", "y": "AA"},
          {"kty": "oct", "kid": "skipped-kty", "k": "AA"},
          {"kty": "RSA", "kid": "skipped-enc", "use": "enc", "n": "AA", "e": "AQAB"}
        ]}
        """
    let keyLines = apiKeys.map { key in
        let hash = SHA256.hash(data: Array(key.key.utf8)).map { String(format: "%02x", $0) }.joined()
        let scopes = key.scopes.map(\.rawValue).sorted().joined(separator: ", ")
        return "    - {sha256: \"\(hash)\", tenant: \(key.tenant), scopes: [\(scopes)]}"
    }.joined(separator: "\n")
    let yaml = """
        tls: {certificate: server.crt, privateKey: server.key}
        auth:
          jwt:
            issuer: "\(issuer)"
            audience: \(audience)
            hs256Secret: "${FUZZ_HS256_SECRET}"
            jwksFile: jwks.json
            leewaySeconds: 30
          apiKeys:
        \(keyLines)
        tenants:
          acme: {vendor: gate, upstream: "https://gate.fuzz.invalid/api/v1", credentials: {token: fuzz-gate-token}}
          globex: {vendor: vodlix, upstream: "https://vodlix.fuzz.invalid", credentials: {cookie: "PHPSESSID=fuzz"}}
        """
    let directory = FuzzFiles.makeDirectory("jwt", files: [
        "server.crt": "placeholder\n", "server.key": "placeholder\n", "jwks.json": jwks, "gateway.yaml": yaml,
    ])
    let configuration: GatewayConfiguration
    do {
        configuration = try GatewayConfiguration.parse(
            yaml: yaml, baseDirectory: directory, source: "gateway.yaml", environment: ["FUZZ_HS256_SECRET": hs256Secret])
    } catch {
        fatalError("fuzz set-up: \(error)")
    }
    let tenants = Set(configuration.tenants.keys)
    let authenticator: Authenticator
    do {
        authenticator = try Authenticator(settings: configuration.auth, tenantNames: tenants)
    } catch {
        fatalError("fuzz set-up: \(error)")
    }
    return Keys(rsa: rsa, ec: ec, hmac: SymmetricKey(data: Array(hs256Secret.utf8)), authenticator: authenticator, tenants: tenants)
}()

/// libFuzzer calls the target from one thread.
nonisolated(unsafe) let cache = AuthenticationCache(capacity: 64)

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(fuzzBuffer(data, size))
    let header = String(decoding: input, as: UTF8.self)
    check(header)

    // `Bearer <header>.<payload>`: sign it with each key the header may select, and try those.
    let prefix = Array("Bearer ".utf8)
    guard input.starts(with: prefix) else { return 0 }
    let signingInput = Array(input[prefix.count...])
    guard signingInput.count(where: { $0 == UInt8(ascii: ".") }) == 1, let dot = signingInput.firstIndex(of: UInt8(ascii: ".")) else { return 0 }
    let joseHeader = FuzzBase64URL.decode(signingInput[..<dot]).map { String(decoding: $0, as: UTF8.self) } ?? ""
    var signatures: [[UInt8]] = [Array(HMAC<SHA256>.authenticationCode(for: signingInput, using: keys.hmac))]
    if joseHeader.contains("RS256"), let signature = try? keys.rsa.signature(for: signingInput, padding: .insecurePKCS1v1_5) {
        signatures.append(Array(signature.rawRepresentation))
    }
    if joseHeader.contains("ES256"), let signature = try? keys.ec.signature(for: signingInput) {
        signatures.append(Array(signature.rawRepresentation))
    }
    let text = String(decoding: signingInput, as: UTF8.self)
    for signature in signatures {
        check("Bearer " + text + "." + FuzzBase64URL.encode(signature))
    }
    return 0
}

func check(_ header: String) {
    let plain = keys.authenticator.authenticate(authorizationHeader: header, now: now)
    let first = keys.authenticator.authenticate(authorizationHeader: header, now: now, cache: cache)
    let second = keys.authenticator.authenticate(authorizationHeader: header, now: now, cache: cache)
    invariant(first == plain && second == plain, "with a cache: \(first), then \(second); without: \(plain)")

    switch plain {
    case .failure(let failure):
        invariant(!failure.detail.isEmpty, "a failure without detail")
    case .success(let credential):
        invariant(keys.tenants.contains(credential.tenant), "a credential for tenant \(credential.tenant)")
        let token = bearerToken(header)
        invariant(token.utf8.count <= Authenticator.maximumTokenBytes, "a credential for a \(token.utf8.count)-byte token")
        switch credential.kind {
        case .apiKey:
            let key = apiKeys.first { $0.key == token }
            invariant(key != nil, "an API-key credential for a token that is no configured key")
            invariant(key?.tenant == credential.tenant && key?.scopes == credential.scopes, "an API key's tenant or scopes changed")
            invariant(credential.expiresAt == nil, "an API-key credential that expires")
        case .jwt:
            checkJWT(token, credential)
        }
    }
}

/// The token of `Bearer <token>` as RFC 6750 writes it: scheme case-insensitive, spaces around.
func bearerToken(_ header: String) -> String {
    let trimmed = header.drop { $0 != " " }.drop { $0 == " " }
    return String(trimmed.reversed().drop { $0 == " " }.reversed())
}

func checkJWT(_ token: String, _ credential: Credential) {
    guard let exp = credential.expiresAt else { return invariant(false, "a JWT credential without exp") }
    invariant(exp.isFinite && now < exp + 30, "a JWT credential with exp \(exp) at \(now)")
    let parts = token.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) }
    guard parts.count == 3 else { return invariant(false, "a JWT credential for a token of \(parts.count) parts") }
    let signingInput = parts[0] + [UInt8(ascii: ".")] + parts[1]
    guard let signature = FuzzBase64URL.decode(parts[2], strict: false) else {
        return invariant(false, "a JWT credential for a signature that is not base64url: \(token)")
    }
    let digest = SHA256.hash(data: signingInput)
    let verified = HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: keys.hmac)
        || keys.rsa.publicKey.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: digest, padding: .insecurePKCS1v1_5)
        || ((try? P256.Signing.ECDSASignature(rawRepresentation: signature)).map { keys.ec.publicKey.isValidSignature($0, for: digest) } ?? false)
    invariant(verified, "a JWT credential for a token no key of ours signed: \(token)")

    guard let payload = FuzzBase64URL.decode(parts[1], strict: false), case .object(let claims)? = try? JSONParser.parse(payload) else {
        return invariant(false, "a JWT credential for unreadable claims: \(token)")
    }
    invariant(claims["iss"]?.stringValue == issuer, "a JWT credential with iss \(String(describing: claims["iss"]))")
    let audiences: [String] = claims["aud"]?.stringValue.map { [$0] } ?? claims["aud"]?.arrayValue?.compactMap(\.stringValue) ?? []
    invariant(audiences.contains(audience), "a JWT credential with aud \(String(describing: claims["aud"]))")
    let tenant = claims["tenant"]?.stringValue ?? claims["tid"]?.stringValue
    invariant(tenant == credential.tenant, "a JWT credential for \(credential.tenant), claims say \(tenant ?? "nothing")")
}
