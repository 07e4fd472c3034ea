import Crypto
import CryptoExtras
import Foundation
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON
import Synchronization

/// Why an ``Authenticator`` could not be built from a configuration.
public struct AuthenticatorSetupError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
}

/// Verifies `Authorization` headers against the configured JWT keys and API keys.
///
/// Synchronous and lock-free: built once per configuration (keys parsed up front), immutable, shared
/// by every event loop. jwt-kit's `JWTKeyCollection` is an actor and its concrete algorithms are
/// internal, so verification goes straight to swift-crypto (which jwt-kit itself uses): HMAC-SHA256,
/// RSASSA-PKCS1-v1_5 with SHA-256, and ECDSA P-256 with SHA-256.
///
/// The header's `alg` must equal the algorithm of the key it selects: a key has exactly one algorithm,
/// so `alg: none` and algorithm confusion (an HS256 token "signed" with an RSA public key) fail before
/// any signature check.
public final class Authenticator: Sendable {
    /// Longest bearer token accepted, in bytes.
    public static let maximumTokenBytes = 8 * 1024

    enum Algorithm: String, Sendable {
        case hs256 = "HS256"
        case rs256 = "RS256"
        case es256 = "ES256"
    }

    enum PublicKey: Sendable {
        case rs256(_RSA.Signing.PublicKey)
        case es256(P256.Signing.PublicKey)

        var algorithm: Algorithm {
            switch self {
            case .rs256: .rs256
            case .es256: .es256
            }
        }
    }

    private static let nextID = Atomic<UInt64>(1)

    let id: UInt64
    private let hs256Key: SymmetricKey?
    private let keysByID: [String: PublicKey]
    /// A JWKS key without `kid`, usable by tokens without `kid` when it is the only key of its algorithm.
    private let anonymousKeys: [Algorithm: PublicKey]
    private let issuer: String?
    private let audience: String?
    private let leeway: Double
    private let tenantNames: Set<String>
    private let apiKeyHashes: [[UInt8]]
    private let apiKeys: [APIKey]

    /// Reads the JWKS file named by the settings, if any.
    public convenience init(settings: AuthSettings, tenantNames: Set<String>) throws {
        var document: Data?
        if let path = settings.jwt?.jwksFilePath {
            do {
                document = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw AuthenticatorSetupError(description: "auth.jwt.jwksFile: cannot read \(path)")
            }
        }
        try self.init(settings: settings, tenantNames: tenantNames, jwksDocument: document)
    }

    /// `jwksDocument` is the JWKS JSON (`{"keys": [...]}`) when the caller has it in hand.
    public init(settings: AuthSettings, tenantNames: Set<String>, jwksDocument: Data?) throws {
        id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let jwt = settings.jwt
        if let secret = jwt?.hs256Secret {
            guard secret.revealed.utf8.count >= JWTSettings.minimumSecretBytes else {
                throw AuthenticatorSetupError(
                    description: "auth.jwt.hs256Secret: must be at least \(JWTSettings.minimumSecretBytes) bytes long")
            }
            hs256Key = SymmetricKey(data: Array(secret.revealed.utf8))
        } else {
            hs256Key = nil
        }
        if let jwksDocument {
            (keysByID, anonymousKeys) = try Self.parseJWKS(jwksDocument)
        } else {
            (keysByID, anonymousKeys) = ([:], [:])
        }
        issuer = jwt?.issuer
        audience = jwt?.audience
        leeway = Double(jwt?.leewaySeconds ?? 0)
        self.tenantNames = tenantNames
        apiKeys = settings.apiKeys
        apiKeyHashes = try settings.apiKeys.map { key in
            guard let bytes = Self.hexBytes(key.sha256), bytes.count == SHA256.byteCount else {
                throw AuthenticatorSetupError(description: "auth.apiKeys: a sha256 is not 64 hexadecimal characters")
            }
            return bytes
        }
    }

    public func authenticate(
        authorizationHeader: String?, now: Date = Date(), cache: AuthenticationCache? = nil
    ) -> Result<Credential, AuthenticationFailure> {
        authenticate(authorizationHeader: authorizationHeader, now: now.timeIntervalSince1970, cache: cache)
    }

    /// `now` in seconds since 1970.
    public func authenticate(
        authorizationHeader: String?, now: Double, cache: AuthenticationCache? = nil
    ) -> Result<Credential, AuthenticationFailure> {
        guard let header = authorizationHeader else { return .failure(.missing) }
        return header.withContiguousUTF8 { authenticate(authorization: UnsafeRawBufferPointer($0), now: now, cache: cache) }
    }

    /// The steady path, from the `Authorization` value's bytes as they arrived: a token the loop's
    /// cache holds is found without copying it; only a token that must be verified is copied.
    public func authenticate(
        authorization: UnsafeRawBufferPointer?, now: Double, cache: AuthenticationCache? = nil
    ) -> Result<Credential, AuthenticationFailure> {
        guard let header = authorization else { return .failure(.missing) }
        let token: UnsafeRawBufferPointer
        switch Self.bearerToken(header) {
        case .success(let bytes): token = bytes
        case .failure(let failure): return .failure(failure)
        }
        // Only verified JWTs are cached, so a token found there needs none of the checks below.
        if let cache, let credential = cache.lookup(token, authenticatorID: id, now: now) {
            return .success(credential)
        }
        for byte in token where !Self.isToken68(byte) {
            return .failure(.malformed)
        }
        let firstDot = Self.dot(in: token, from: 0)
        let secondDot = firstDot.flatMap { Self.dot(in: token, from: $0 + 1) }
        guard let firstDot, let secondDot, Self.dot(in: token, from: secondDot + 1) == nil else {
            // `eyJ` is base64url of `{"`: a JWT with the wrong number of segments, not an API key.
            if token.starts(with: "eyJ".utf8), firstDot != nil { return .failure(.malformed) }
            return authenticateAPIKey(Array(token))
        }
        let copy = Array(token)
        let result = verifyJWT(copy, firstDot: firstDot, secondDot: secondDot, now: now)
        if let cache, case .success(let credential) = result {
            cache.store(copy, credential, authenticatorID: id, now: now)
        }
        return result
    }

    /// The offset of the first `.` in `token` at or after `start` (by `memchr`), or nil.
    private static func dot(in token: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < token.count, let base = token.baseAddress,
              let found = memchr(base + start, Int32(UInt8(ascii: ".")), token.count - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    // MARK: - Header

    /// The token of `Bearer <token>` (scheme case-insensitive), a slice of `header`; its characters
    /// are checked against token68 by the caller, after the cache (`isToken68`).
    static func bearerToken(_ header: UnsafeRawBufferPointer) -> Result<UnsafeRawBufferPointer, AuthenticationFailure> {
        let scheme: StaticString = "bearer"
        let schemeLength = scheme.utf8CodeUnitCount
        guard header.count > schemeLength, header[schemeLength] == UInt8(ascii: " ") else { return .failure(.malformed) }
        for offset in 0..<schemeLength where header[offset] | 0x20 != scheme.utf8Start[offset] {
            return .failure(.malformed)
        }
        var start = schemeLength
        while start < header.count, header[start] == UInt8(ascii: " ") { start += 1 }
        var end = header.count
        while end > start, header[end - 1] == UInt8(ascii: " ") { end -= 1 }
        guard end > start else { return .failure(.malformed) }
        guard end - start <= maximumTokenBytes else { return .failure(.tooLarge) }
        return .success(UnsafeRawBufferPointer(rebasing: header[start..<end]))
    }

    /// token68 (RFC 7235): base64url, `.` for JWTs, and the other characters API keys may use.
    /// token68's characters as bits, bytes 0–63 and 64–127: `+ - . / 0-9 =` and `A-Z _ a-z ~`
    /// (a `switch` over ranges cost several comparisons a byte, over some 200 bytes a request).
    /// Literals rather than stored constants, which the loop would load through their accessors.
    @inline(__always)
    private static func isToken68(_ byte: UInt8) -> Bool {
        let low: UInt64 = 0x23FF_E800_0000_0000, high: UInt64 = 0x47FF_FFFE_87FF_FFFE
        if byte < 64 { return (low >> byte) & 1 == 1 }
        if byte < 128 { return (high >> (byte - 64)) & 1 == 1 }
        return false
    }

    // MARK: - API keys

    private func authenticateAPIKey(_ token: [UInt8]) -> Result<Credential, AuthenticationFailure> {
        let digest = Array(SHA256.hash(data: token))
        // Every configured hash is compared in full: timing says nothing about which, or how much, matched.
        var match = -1
        for (index, hash) in apiKeyHashes.enumerated() {
            var difference: UInt8 = 0
            for i in 0..<SHA256.byteCount { difference |= hash[i] ^ digest[i] }
            let isMatch = difference == 0
            match = isMatch ? index : match
        }
        guard match >= 0 else { return .failure(.unknownAPIKey) }
        let key = apiKeys[match]
        guard tenantNames.contains(key.tenant) else { return .failure(.unknownTenant) }
        return .success(Credential(tenant: key.tenant, scopes: key.scopes, expiresAt: nil, kind: .apiKey))
    }

    // MARK: - JWTs

    /// The JOSE header members we read. Header and claims are read with the gateway's strict
    /// `JSONParser`, which refuses duplicate member names: a token carrying `tenant` twice must not
    /// mean one tenant to us and another to the issuer's tooling.
    private struct Header {
        var alg: String?
        var kid: String?
        var crit: [String]?

        init(_ object: JSONObject) throws(JWTMemberError) {
            alg = try object.jwtString("alg")
            kid = try object.jwtString("kid")
            crit = try object.jwtStrings("crit")
        }
    }

    private enum Audience {
        case one(String)
        case many([String])

        func contains(_ audience: String) -> Bool {
            switch self {
            case .one(let one): one == audience
            case .many(let many): many.contains(audience)
            }
        }
    }

    private struct Claims {
        var exp: Double?
        var nbf: Double?
        var iat: Double?
        var iss: String?
        var aud: Audience?
        var tenant: String?
        var tid: String?
        var scope: String?
        var scp: [String]?

        init(_ object: JSONObject) throws(JWTMemberError) {
            exp = try object.jwtNumber("exp")
            nbf = try object.jwtNumber("nbf")
            iat = try object.jwtNumber("iat")
            iss = try object.jwtString("iss")
            if case .string(let one)? = object["aud"] {
                aud = .one(one.description)
            } else {
                aud = try object.jwtStrings("aud").map(Audience.many)
            }
            tenant = try object.jwtString("tenant")
            tid = try object.jwtString("tid")
            scope = try object.jwtString("scope")
            scp = try object.jwtStrings("scp")
        }
    }

    private func verifyJWT(
        _ token: [UInt8], firstDot: Int, secondDot: Int, now: Double
    ) -> Result<Credential, AuthenticationFailure> {
        let headerPart = token[..<firstDot]
        let payloadPart = token[(firstDot + 1)..<secondDot]
        let signaturePart = token[(secondDot + 1)...]
        guard !headerPart.isEmpty, !payloadPart.isEmpty,
              let headerJSON = Base64URL.decode(headerPart),
              let payloadJSON = Base64URL.decode(payloadPart),
              let signature = Base64URL.decode(signaturePart),
              let headerObject = try? JSONParser.parse(headerJSON).objectValue,
              let header = try? Header(headerObject)
        else { return .failure(.malformed) }

        guard let algName = header.alg, let algorithm = Algorithm(rawValue: algName) else {
            return .failure(.unsupportedAlgorithm)
        }
        // RFC 7515 §4.1.11: extensions we do not understand must not be ignored.
        if header.crit != nil { return .failure(.unsupportedAlgorithm) }

        let signingInput = token[..<secondDot]
        let valid: Bool
        switch selectKey(algorithm: algorithm, kid: header.kid) {
        case .failure(let failure):
            return .failure(failure)
        case .success(.none):
            guard let hs256Key else { return .failure(.unknownKey) }
            valid = HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: hs256Key)
        case .success(.some(.rs256(let key))):
            valid = key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature),
                for: SHA256.hash(data: signingInput), padding: .insecurePKCS1v1_5)
        case .success(.some(.es256(let key))):
            guard let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else {
                return .failure(.badSignature)
            }
            valid = key.isValidSignature(ecdsa, for: SHA256.hash(data: signingInput))
        }
        guard valid else { return .failure(.badSignature) }

        guard let claimsObject = try? JSONParser.parse(payloadJSON).objectValue, let claims = try? Claims(claimsObject) else {
            return .failure(.malformed)
        }
        guard let exp = claims.exp else { return .failure(.missingExpiry) }
        guard exp.isFinite, now < exp + leeway else { return .failure(.expired) }
        if let nbf = claims.nbf, !(nbf.isFinite && nbf <= now + leeway) { return .failure(.notYetValid) }
        if let iat = claims.iat, !(iat.isFinite && iat <= now + leeway) { return .failure(.notYetValid) }
        if let issuer, claims.iss != issuer { return .failure(.wrongIssuer) }
        if let audience, claims.aud?.contains(audience) != true { return .failure(.wrongAudience) }
        guard let tenant = claims.tenant ?? claims.tid else { return .failure(.missingTenant) }
        guard tenantNames.contains(tenant) else { return .failure(.unknownTenant) }

        var scopes = CaseSet<Scope>()
        if let scope = claims.scope {
            for name in scope.split(separator: " ") { if let s = Scope(rawValue: String(name)) { scopes.insert(s) } }
        }
        for name in claims.scp ?? [] { if let s = Scope(rawValue: name) { scopes.insert(s) } }
        return .success(Credential(tenant: tenant, scopes: scopes, expiresAt: exp, kind: .jwt))
    }

    /// `.success(nil)` means the HS256 secret.
    private func selectKey(algorithm: Algorithm, kid: String?) -> Result<PublicKey?, AuthenticationFailure> {
        if let kid, let key = keysByID[kid] {
            // The kid names a JWKS key: the token must use that key's algorithm, whatever else is configured.
            return key.algorithm == algorithm ? .success(key) : .failure(.unsupportedAlgorithm)
        }
        switch algorithm {
        case .hs256:
            return hs256Key == nil ? .failure(.unknownKey) : .success(nil)
        case .rs256, .es256:
            guard kid == nil, let key = anonymousKeys[algorithm] else { return .failure(.unknownKey) }
            return .success(key)
        }
    }

    // MARK: - Setup

    /// One entry of a JWKS document: the members we use (others, like `x5c`, are ignored).
    private struct JWKEntry {
        var kty: String?
        var kid: String?
        var alg: String?
        var use: String?
        var n: String?
        var e: String?
        var crv: String?
        var x: String?
        var y: String?

        init(_ object: JSONObject) throws(JWTMemberError) {
            kty = try object.jwtString("kty")
            kid = try object.jwtString("kid")
            alg = try object.jwtString("alg")
            use = try object.jwtString("use")
            n = try object.jwtString("n")
            e = try object.jwtString("e")
            crv = try object.jwtString("crv")
            x = try object.jwtString("x")
            y = try object.jwtString("y")
        }
    }

    /// RSA keys become RS256 keys and P-256 keys ES256 keys; keys for other algorithms, encryption or
    /// curves are skipped (an identity provider's JWKS often lists more than we use).
    static func parseJWKS(_ document: Data) throws -> ([String: PublicKey], [Algorithm: PublicKey]) {
        guard let keys = (try? JSONParser.parse(Array(document)))?.objectValue?["keys"]?.arrayValue,
              let entries = try? keys.map({ (key) throws(JWTMemberError) -> JWKEntry in
                  guard let object = key.objectValue else { throw JWTMemberError() }
                  return try JWKEntry(object)
              })
        else {
            throw AuthenticatorSetupError(description: "auth.jwt.jwksFile: not a JWKS document ({\"keys\": [...]})")
        }
        var byID: [String: PublicKey] = [:]
        var withoutID: [Algorithm: [PublicKey]] = [:]
        var countByAlgorithm: [Algorithm: Int] = [:]
        for (index, entry) in entries.enumerated() {
            if entry.use != nil, entry.use != "sig" { continue }
            let where_ = "auth.jwt.jwksFile: keys[\(index)]"
            let key: PublicKey
            switch entry.kty {
            case "RSA":
                guard entry.alg == nil || entry.alg == "RS256" else { continue }
                guard let n = entry.n.flatMap({ Base64URL.decode($0.utf8) }),
                      let e = entry.e.flatMap({ Base64URL.decode($0.utf8) }),
                      let rsa = try? _RSA.Signing.PublicKey(n: n, e: e)
                else { throw AuthenticatorSetupError(description: "\(where_): not a usable RSA public key (2048 bits or more)") }
                key = .rs256(rsa)
            case "EC":
                guard entry.crv == "P-256", entry.alg == nil || entry.alg == "ES256" else { continue }
                guard let x = entry.x.flatMap({ Base64URL.decode($0.utf8) }), x.count == 32,
                      let y = entry.y.flatMap({ Base64URL.decode($0.utf8) }), y.count == 32,
                      let ec = try? P256.Signing.PublicKey(rawRepresentation: x + y)
                else { throw AuthenticatorSetupError(description: "\(where_): not a usable P-256 public key") }
                key = .es256(ec)
            default:
                continue
            }
            countByAlgorithm[key.algorithm, default: 0] += 1
            if let kid = entry.kid {
                guard byID[kid] == nil else {
                    throw AuthenticatorSetupError(description: "\(where_): kid is used by an earlier key")
                }
                byID[kid] = key
            } else {
                withoutID[key.algorithm, default: []].append(key)
            }
        }
        var anonymous: [Algorithm: PublicKey] = [:]
        for (algorithm, keys) in withoutID where keys.count == 1 && countByAlgorithm[algorithm] == 1 {
            anonymous[algorithm] = keys[0]
        }
        return (byID, anonymous)
    }

    static func hexBytes(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = ASCII.hexValue(digits[i]), let low = ASCII.hexValue(digits[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
            i += 2
        }
        return bytes
    }
}

/// A JWT or JWK member of the wrong JSON type.
struct JWTMemberError: Error, CustomStringConvertible {
    var description: String { "a JWT or JWK member has the wrong JSON type" }
}

extension JSONObject {
    /// The member as a string; nil when absent or `null`, an error for another type.
    fileprivate func jwtString(_ name: String) throws(JWTMemberError) -> String? {
        switch self[name] {
        case nil, .null?: nil
        case .string(let text)?: text.description
        default: throw JWTMemberError()
        }
    }

    /// The member as a number (NumericDate and the like).
    fileprivate func jwtNumber(_ name: String) throws(JWTMemberError) -> Double? {
        switch self[name] {
        case nil, .null?: return nil
        case .number(let text)?:
            guard let value = Double(text) else { throw JWTMemberError() }
            return value
        default: throw JWTMemberError()
        }
    }

    /// The member as an array of strings.
    fileprivate func jwtStrings(_ name: String) throws(JWTMemberError) -> [String]? {
        switch self[name] {
        case nil, .null?: return nil
        case .array(let elements)?:
            return try elements.map { (element) throws(JWTMemberError) -> String in
                guard let text = element.stringValue else { throw JWTMemberError() }
                return text
            }
        default: throw JWTMemberError()
        }
    }
}
