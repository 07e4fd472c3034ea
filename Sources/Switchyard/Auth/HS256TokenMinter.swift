import Crypto
import Foundation

/// Mints the HS256 tokens `switchyard token` prints: `tenant`, `scope`, `iat`, `exp`, and `iss`/`aud`
/// when configured. Signed with the configured `hs256Secret`, so the gateway accepts them.
public enum HS256TokenMinter {
    private struct Header: Encodable {
        let alg = "HS256"
        let typ = "JWT"
    }

    private struct Claims: Encodable {
        var tenant: String
        var scope: String
        var iat: Int
        var exp: Int
        var iss: String?
        var aud: String?
    }

    public static func mint(
        secret: Secret, tenant: String, scopes: [Scope], issuedAt: Int, expiresAt: Int,
        issuer: String? = nil, audience: String? = nil
    ) throws -> String {
        guard secret.revealed.utf8.count >= JWTSettings.minimumSecretBytes else {
            throw AuthenticatorSetupError(
                description: "auth.jwt.hs256Secret: must be at least \(JWTSettings.minimumSecretBytes) bytes long")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let claims = Claims(
            tenant: tenant, scope: scopes.map(\.rawValue).joined(separator: " "),
            iat: issuedAt, exp: expiresAt, iss: issuer, aud: audience)
        let signingInput = Base64URL.encode(try encoder.encode(Header())) + "." + Base64URL.encode(try encoder.encode(claims))
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array(signingInput.utf8), using: SymmetricKey(data: Array(secret.revealed.utf8)))
        return signingInput + "." + Base64URL.encode(Array(mac))
    }
}
