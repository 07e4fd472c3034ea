import Yams

/// How bearer JWTs are verified.
///
/// Both key sources may be set at once (HS256 for tokens minted by `switchyard token`, a JWKS file for
/// an identity provider's RS256/ES256 keys), but at least one must be, or no token could ever verify.
public struct JWTSettings: Sendable, Equatable {
    /// Required `iss` when set.
    public var issuer: String?
    /// Required `aud` (or one of them) when set.
    public var audience: String?
    /// Shared HS256 key, at least 32 bytes: shorter keys are brute-forceable and refused by JWT
    /// libraries (jwt-kit traps on them).
    public var hs256Secret: Secret?
    /// Absolute path of a JWKS document with the public keys for RS256 and ES256.
    public var jwksFilePath: String?
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, 0 to 300 seconds.
    public var leewaySeconds = 30

    /// No keys yet: set `hs256Secret`, `jwksFilePath` or both. Public for the in-process benchmarks,
    /// which build an `Authenticator` without a configuration file.
    public init() {}

    static let minimumSecretBytes = 32
}

extension ConfigurationDecoder {
    func jwtSettings(_ node: Node, at path: ConfigurationKeyPath) -> JWTSettings? {
        guard let map = mapping(node, at: path) else { return nil }
        map.rejectUnknownKeys(known: ["issuer", "audience", "hs256Secret", "jwksFile", "leewaySeconds"])
        var settings = JWTSettings()
        settings.issuer = map.string("issuer")
        settings.audience = map.string("audience")
        settings.hs256Secret = map.decode("hs256Secret") { node, path in
            guard let secret = secret(node, at: path) else { return nil }
            guard secret.revealed.utf8.count >= JWTSettings.minimumSecretBytes else {
                report("must be at least \(JWTSettings.minimumSecretBytes) bytes long "
                    + "(generate one with: openssl rand -base64 48)", at: path, node: node)
                return nil
            }
            return secret
        }
        settings.jwksFilePath = map.filePath("jwksFile")
        settings.leewaySeconds = map.integer("leewaySeconds", in: 0...300) ?? settings.leewaySeconds
        if map.value("hs256Secret") == nil, map.value("jwksFile") == nil {
            report("set hs256Secret, jwksFile or both: without a key no token can be verified",
                   at: path, node: node)
            return nil
        }
        return settings
    }
}
