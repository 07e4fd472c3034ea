import Crypto
import SwitchyardJSON

/// Mints the HS256 tokens `switchyard token` prints: `tenant`, `scope`, `iat`, `exp`, and `iss`/`aud`
/// when configured. Signed with the configured `hs256Secret`, so the gateway accepts them.
public enum HS256TokenMinter {
    public static func mint(
        secret: Secret, tenant: String, scopes: [Scope], issuedAt: Int, expiresAt: Int,
        issuer: String? = nil, audience: String? = nil
    ) throws -> String {
        guard secret.revealed.utf8.count >= JWTSettings.minimumSecretBytes else {
            throw AuthenticatorSetupError(
                description: "auth.jwt.hs256Secret: must be at least \(JWTSettings.minimumSecretBytes) bytes long")
        }
        // The members in sorted order, as a canonical encoder would write them.
        var claims = JSONWriter()
        claims.beginObject()
        if let audience { claims.member("aud", audience) }
        claims.member("exp", expiresAt)
        claims.member("iat", issuedAt)
        if let issuer { claims.member("iss", issuer) }
        claims.member("scope", scopes.map(\.rawValue).joined(separator: " "))
        claims.member("tenant", tenant)
        claims.endObject()
        let signingInput = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8)) + "." + Base64URL.encode(claims.bytes)
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array(signingInput.utf8), using: SymmetricKey(data: Array(secret.revealed.utf8)))
        return signingInput + "." + Base64URL.encode(Array(mac))
    }
}
