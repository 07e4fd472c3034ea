import Crypto
import CryptoExtras
import Foundation
@testable import Switchyard
import XCTest

/// Authenticator: every refused token with its exact failure, each accepted key type, API keys, cache.
final class AuthenticatorTests: XCTestCase {
    static let secret = "0123456789abcdef0123456789abcdef-test-secret"
    static let now: Double = 1_800_000_000
    static let rsaKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let ecKey = P256.Signing.PrivateKey()
    static let apiKey = "sk_live_acme_4f1d2c"
    static let tenants: Set<String> = ["acme", "globex"]

    static var jwks: Data {
        let rsa = try! rsaKey.publicKey.getKeyPrimitives()
        let ec = ecKey.publicKey.rawRepresentation
        let document: [String: Any] = ["keys": [
            ["kty": "RSA", "kid": "rsa1", "use": "sig", "alg": "RS256",
             "n": Base64URL.encode(Array(rsa.modulus)), "e": Base64URL.encode(Array(rsa.publicExponent))],
            ["kty": "EC", "kid": "ec1", "crv": "P-256",
             "x": Base64URL.encode(Array(ec.prefix(32))), "y": Base64URL.encode(Array(ec.suffix(32)))],
            ["kty": "oct", "kid": "ignored", "k": "AAAA"],
        ]]
        return try! JSONSerialization.data(withJSONObject: document)
    }

    func makeAuthenticator(
        issuer: String? = "https://id.example", audience: String? = "switchyard", leeway: Int = 30,
        secret: String? = AuthenticatorTests.secret, jwks: Data? = AuthenticatorTests.jwks
    ) throws -> Authenticator {
        var jwt = JWTSettings()
        jwt.issuer = issuer
        jwt.audience = audience
        jwt.hs256Secret = secret.map(Secret.init)
        jwt.leewaySeconds = leeway
        let hash = SHA256.hash(data: Array(Self.apiKey.utf8)).map { String(format: "%02x", $0) }.joined()
        let settings = AuthSettings(jwt: jwt, apiKeys: [
            APIKey(sha256: String(repeating: "ab", count: 32), tenant: "globex", scopes: [.devicesWrite]),
            APIKey(sha256: hash, tenant: "acme", scopes: [.devicesWrite, .devicesBulk]),
        ])
        return try Authenticator(settings: settings, tenantNames: Self.tenants, jwksDocument: jwks)
    }

    static func claims(_ overrides: [String: Any?] = [:]) -> [String: Any] {
        var claims: [String: Any] = [
            "tenant": "acme", "scope": "devices:write devices:bulk", "exp": now + 600, "iat": now,
            "iss": "https://id.example", "aud": "switchyard",
        ]
        for (key, value) in overrides { claims[key] = value }
        return claims
    }

    enum Signer {
        case hs256(key: [UInt8])
        case rs256
        case es256
        case none
    }

    static func token(header: [String: Any], claims: [String: Any], signer: Signer) -> String {
        let h = Base64URL.encode(Array(try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])))
        let p = Base64URL.encode(Array(try! JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])))
        let input = Array("\(h).\(p)".utf8)
        let signature: [UInt8]
        switch signer {
        case .hs256(let key):
            signature = Array(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: key)))
        case .rs256:
            signature = Array(try! rsaKey.signature(for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5).rawRepresentation)
        case .es256:
            signature = Array(try! ecKey.signature(for: input).rawRepresentation)
        case .none:
            signature = []
        }
        return "\(h).\(p).\(Base64URL.encode(signature))"
    }

    static func hs256(_ claims: [String: Any] = claims(), header: [String: Any] = ["alg": "HS256", "typ": "JWT"]) -> String {
        token(header: header, claims: claims, signer: .hs256(key: Array(secret.utf8)))
    }

    func authenticate(_ token: String, _ authenticator: Authenticator? = nil, now: Double = AuthenticatorTests.now,
                      cache: AuthenticationCache? = nil) throws -> Result<Credential, AuthenticationFailure> {
        try (authenticator ?? makeAuthenticator()).authenticate(authorizationHeader: "Bearer \(token)", now: now, cache: cache)
    }

    func assertFailure(_ token: String, _ expected: AuthenticationFailure, _ authenticator: Authenticator? = nil,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try authenticate(token, authenticator), .failure(expected), file: file, line: line)
    }

    // MARK: - Accepted

    func testHS256HappyPath() throws {
        XCTAssertEqual(try authenticate(Self.hs256()), .success(Credential(
            tenant: "acme", scopes: [.devicesWrite, .devicesBulk], expiresAt: Self.now + 600, kind: .jwt)))
    }

    func testRS256HappyPath() throws {
        let token = Self.token(header: ["alg": "RS256", "kid": "rsa1"], claims: Self.claims(["aud": ["other", "switchyard"]]), signer: .rs256)
        XCTAssertEqual(try authenticate(token), .success(Credential(
            tenant: "acme", scopes: [.devicesWrite, .devicesBulk], expiresAt: Self.now + 600, kind: .jwt)))
    }

    func testES256HappyPath() throws {
        let token = Self.token(header: ["alg": "ES256", "kid": "ec1"], claims: Self.claims(["scope": "devices:write"]), signer: .es256)
        XCTAssertEqual(try authenticate(token), .success(Credential(
            tenant: "acme", scopes: [.devicesWrite], expiresAt: Self.now + 600, kind: .jwt)))
    }

    func testScpArrayAndTid() throws {
        let claims = Self.claims(["tenant": nil, "scope": nil, "tid": "globex", "scp": ["devices:bulk", "unknown:scope"]])
        XCTAssertEqual(try authenticate(Self.hs256(claims)), .success(Credential(
            tenant: "globex", scopes: [.devicesBulk], expiresAt: Self.now + 600, kind: .jwt)))
    }

    func testNoScopeClaimGivesEmptyScopes() throws {
        let result = try authenticate(Self.hs256(Self.claims(["scope": nil])))
        XCTAssertEqual(try result.get().scopes, [])
    }

    func testLeewayAcceptsRecentlyExpiredToken() throws {
        XCTAssertEqual(try authenticate(Self.hs256(Self.claims(["exp": Self.now - 10]))).map(\.tenant), .success("acme"))
    }

    func testKidlessSoleKeyIsUsable() throws {
        let ec = Self.ecKey.publicKey.rawRepresentation
        let jwks = try JSONSerialization.data(withJSONObject: ["keys": [
            ["kty": "EC", "crv": "P-256", "x": Base64URL.encode(Array(ec.prefix(32))), "y": Base64URL.encode(Array(ec.suffix(32)))],
        ]])
        let authenticator = try makeAuthenticator(jwks: jwks)
        let token = Self.token(header: ["alg": "ES256"], claims: Self.claims(), signer: .es256)
        XCTAssertEqual(try authenticate(token, authenticator).map(\.tenant), .success("acme"))
        let rsToken = Self.token(header: ["alg": "RS256"], claims: Self.claims(), signer: .rs256)
        try assertFailure(rsToken, .unknownKey, authenticator)
    }

    func testMintedTokenVerifies() throws {
        let token = try HS256TokenMinter.mint(
            secret: Secret(Self.secret), tenant: "globex", scopes: [.devicesWrite], issuedAt: Int(Self.now),
            expiresAt: Int(Self.now) + 60, issuer: "https://id.example", audience: "switchyard")
        XCTAssertEqual(try authenticate(token), .success(Credential(
            tenant: "globex", scopes: [.devicesWrite], expiresAt: Self.now + 60, kind: .jwt)))
    }

    // MARK: - Refused

    func testMissingHeader() throws {
        XCTAssertEqual(try makeAuthenticator().authenticate(authorizationHeader: nil, now: Self.now), .failure(.missing))
    }

    func testExpired() throws {
        try assertFailure(Self.hs256(Self.claims(["exp": Self.now - 31])), .expired)
    }

    func testNotYetValid() throws {
        try assertFailure(Self.hs256(Self.claims(["nbf": Self.now + 31])), .notYetValid)
        try assertFailure(Self.hs256(Self.claims(["iat": Self.now + 31])), .notYetValid)
        XCTAssertEqual(try authenticate(Self.hs256(Self.claims(["nbf": Self.now + 29]))).map(\.tenant), .success("acme"))
    }

    func testWrongIssuer() throws {
        try assertFailure(Self.hs256(Self.claims(["iss": "https://evil.example"])), .wrongIssuer)
        try assertFailure(Self.hs256(Self.claims(["iss": nil])), .wrongIssuer)
    }

    func testWrongAudience() throws {
        try assertFailure(Self.hs256(Self.claims(["aud": "other"])), .wrongAudience)
        try assertFailure(Self.hs256(Self.claims(["aud": ["a", "b"]])), .wrongAudience)
        try assertFailure(Self.hs256(Self.claims(["aud": nil])), .wrongAudience)
    }

    func testBadSignature() throws {
        let forged = Self.token(header: ["alg": "HS256"], claims: Self.claims(),
                                signer: .hs256(key: Array("another-secret-of-at-least-32-bytes!!".utf8)))
        try assertFailure(forged, .badSignature)
        // A valid RS256 signature over a different payload.
        let good = Self.token(header: ["alg": "RS256", "kid": "rsa1"], claims: Self.claims(), signer: .rs256).split(separator: ".")
        let other = Self.token(header: ["alg": "RS256", "kid": "rsa1"], claims: Self.claims(["tenant": "globex"]), signer: .rs256).split(separator: ".")
        try assertFailure("\(good[0]).\(other[1]).\(good[2])", .badSignature)
        let esGood = Self.token(header: ["alg": "ES256", "kid": "ec1"], claims: Self.claims(), signer: .es256).split(separator: ".")
        try assertFailure("\(esGood[0]).\(esGood[1]).AAAA", .badSignature)
    }

    func testAlgNone() throws {
        try assertFailure(Self.token(header: ["alg": "none"], claims: Self.claims(), signer: .none), .unsupportedAlgorithm)
        try assertFailure(Self.token(header: ["alg": "HS512"], claims: Self.claims(), signer: .none), .unsupportedAlgorithm)
        try assertFailure(Self.token(header: ["typ": "JWT"], claims: Self.claims(), signer: .none), .unsupportedAlgorithm)
    }

    func testAlgorithmConfusion() throws {
        // The attacker knows the RSA public key and "signs" with its PEM as the HMAC secret.
        let pem = Array(Self.rsaKey.publicKey.pemRepresentation.utf8)
        let token = Self.token(header: ["alg": "HS256", "kid": "rsa1"], claims: Self.claims(), signer: .hs256(key: pem))
        try assertFailure(token, .unsupportedAlgorithm)
        // Same, with only the JWKS configured (no HS256 secret at all).
        try assertFailure(token, .unsupportedAlgorithm, makeAuthenticator(secret: nil))
        // An ES256 header naming the RSA key.
        let es = Self.token(header: ["alg": "ES256", "kid": "rsa1"], claims: Self.claims(), signer: .es256)
        try assertFailure(es, .unsupportedAlgorithm)
    }

    func testUnknownKid() throws {
        try assertFailure(Self.token(header: ["alg": "RS256", "kid": "rotated-away"], claims: Self.claims(), signer: .rs256), .unknownKey)
        // The JWKS has two kid-bearing keys, so a kid-less RS256 token names none of them.
        try assertFailure(Self.token(header: ["alg": "RS256"], claims: Self.claims(), signer: .rs256), .unknownKey)
        // HS256 with no secret configured.
        try assertFailure(Self.hs256(), .unknownKey, makeAuthenticator(secret: nil))
    }

    func testUnknownTenant() throws {
        try assertFailure(Self.hs256(Self.claims(["tenant": "initech"])), .unknownTenant)
    }

    func testMissingTenant() throws {
        try assertFailure(Self.hs256(Self.claims(["tenant": nil])), .missingTenant)
    }

    func testMissingExpiry() throws {
        try assertFailure(Self.hs256(Self.claims(["exp": nil])), .missingExpiry)
    }

    func testMalformed() throws {
        let authenticator = try makeAuthenticator()
        let valid = Self.hs256().split(separator: ".").map(String.init)
        let cases = [
            "\(valid[0])..\(valid[2])",                  // empty payload segment
            ".\(valid[1]).\(valid[2])",                  // empty header segment
            "\(valid[0])=.\(valid[1]).\(valid[2])",      // padding
            "\(valid[0]).\(valid[1]).\(valid[2])!",      // not token68
            "\(valid[0]).\(valid[1])",                    // two segments
            "\(valid[0]).\(valid[1]).\(valid[2]).x",      // four segments
            "bm90IGpzb24.\(valid[1]).\(valid[2])",       // header "not json"
        ]
        for (index, token) in cases.enumerated() {
            XCTAssertEqual(authenticator.authenticate(authorizationHeader: "Bearer \(token)", now: Self.now),
                           .failure(.malformed), "case \(index)")
        }
        for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearerx abc", "bearer a b", "Token abc"] {
            XCTAssertEqual(authenticator.authenticate(authorizationHeader: header, now: Self.now), .failure(.malformed), header)
        }
        // Signed, but a claim of the wrong type.
        try assertFailure(Self.hs256(Self.claims(["exp": "tomorrow"])), .malformed, authenticator)
        // Payload that is not JSON, correctly signed; and one naming its tenant twice, which parsers
        // read differently (first or last wins), so it is refused rather than guessed at.
        let h = valid[0]
        for payload in ["not json", #"{"tenant":"globex","tenant":"acme","exp":1800000600}"#] {
            let p = Base64URL.encode(Array(payload.utf8))
            let mac = HMAC<SHA256>.authenticationCode(for: Array("\(h).\(p)".utf8), using: SymmetricKey(data: Array(Self.secret.utf8)))
            try assertFailure("\(h).\(p).\(Base64URL.encode(Array(mac)))", .malformed, authenticator)
        }
    }

    func testSchemeIsCaseInsensitive() throws {
        let authenticator = try makeAuthenticator()
        XCTAssertEqual(authenticator.authenticate(authorizationHeader: "bearer \(Self.hs256())", now: Self.now).map(\.tenant), .success("acme"))
    }

    func testOversized() throws {
        let big = Self.hs256(Self.claims(["padding": String(repeating: "x", count: 9000)]))
        try assertFailure(big, .tooLarge)
        try assertFailure(String(repeating: "a", count: Authenticator.maximumTokenBytes + 1), .tooLarge)
    }

    // MARK: - API keys

    func testAPIKeyHit() throws {
        XCTAssertEqual(try authenticate(Self.apiKey), .success(Credential(
            tenant: "acme", scopes: [.devicesWrite, .devicesBulk], expiresAt: nil, kind: .apiKey)))
    }

    func testAPIKeyMiss() throws {
        try assertFailure("sk_live_acme_4f1d2d", .unknownAPIKey)
        try assertFailure("a.b", .unknownAPIKey)
    }

    // MARK: - Cache

    func testCacheReturnsSameCredentialAndDropsItAfterExp() throws {
        let authenticator = try makeAuthenticator(leeway: 0)
        let cache = AuthenticationCache(capacity: 4)
        let token = Self.hs256(Self.claims(["exp": Self.now + 60]))
        let first = try authenticate(token, authenticator, cache: cache)
        XCTAssertEqual(cache.count, 1)
        let second = try authenticate(token, authenticator, now: Self.now + 59, cache: cache)
        XCTAssertEqual(first, second)
        XCTAssertEqual(try first.get().tenant, "acme")
        // At exp the entry is dropped and the token refused.
        XCTAssertNil(cache.lookup(Array(token.utf8), authenticatorID: authenticator.id, now: Self.now + 60))
        XCTAssertEqual(cache.count, 0)
        XCTAssertEqual(try authenticate(token, authenticator, now: Self.now + 60, cache: cache), .failure(.expired))
        XCTAssertEqual(cache.count, 0)
    }

    func testCacheIsBoundedAndPerAuthenticator() throws {
        let authenticator = try makeAuthenticator()
        let cache = AuthenticationCache(capacity: 4)
        for i in 0..<10 {
            _ = try authenticate(Self.hs256(Self.claims(["jti": "\(i)"])), authenticator, cache: cache)
            XCTAssertLessThanOrEqual(cache.count, 4)
        }
        let token = Self.hs256()
        _ = try authenticate(token, authenticator, cache: cache)
        // A new configuration (new authenticator) never sees the old one's entries.
        let other = try makeAuthenticator()
        XCTAssertNil(cache.lookup(Array(token.utf8), authenticatorID: other.id, now: Self.now))
        // Failures are not cached.
        _ = try authenticate(Self.hs256(Self.claims(["tenant": "initech"])), other, cache: cache)
        XCTAssertNil(cache.lookup(Array(Self.hs256(Self.claims(["tenant": "initech"])).utf8), authenticatorID: other.id, now: Self.now))
    }

    // MARK: - Setup

    func testShortSecretIsRefused() {
        XCTAssertThrowsError(try makeAuthenticator(secret: "too-short"))
    }

    func testFailureDetailsNeverEchoTheToken() {
        for failure in AuthenticationFailure.allCases {
            XCTAssertFalse(failure.detail.isEmpty)
            XCTAssertFalse(failure.detail.contains("eyJ"))
        }
    }
}
