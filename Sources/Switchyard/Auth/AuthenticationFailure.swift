/// Why a request's credential was refused. Every case maps to a 401 `unauthenticated` problem with
/// `WWW-Authenticate: Bearer error="invalid_token"`, ``missing`` included (API.md's one header for
/// every 401, where RFC 6750 §3.1 would omit the error; docs/AUTH.md).
///
/// ``detail`` is fixed text, safe for a problem's `detail` and for logs: it never echoes the token.
public enum AuthenticationFailure: Error, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// No `Authorization` header.
    case missing
    /// Not `Bearer <token>`, a JWT with bad segments, base64url or JSON, or a claim of the wrong type.
    case malformed
    /// The token is longer than ``Authenticator/maximumTokenBytes``.
    case tooLarge
    /// `alg` is `none`, not HS256/RS256/ES256, or not the algorithm of the key it names.
    case unsupportedAlgorithm
    /// `kid` is not in the JWKS and no HS256 secret applies, or no key of the token's kind is configured.
    case unknownKey
    /// A bearer token that is not a JWT and not a configured API key.
    case unknownAPIKey
    case badSignature
    case expired
    case notYetValid
    case missingExpiry
    case wrongIssuer
    case wrongAudience
    /// Neither `tenant` nor `tid`.
    case missingTenant
    /// `tenant`/`tid` names no configured tenant.
    case unknownTenant

    /// The detail, for logs.
    public var description: String { detail }

    public var detail: String {
        switch self {
        case .missing: "The request has no Authorization header; send Authorization: Bearer <token>."
        case .malformed: "The Authorization header is not a well-formed bearer token."
        case .tooLarge: "The bearer token is too large."
        case .unsupportedAlgorithm: "The token's algorithm is not accepted for its key (HS256, RS256 or ES256 only)."
        case .unknownKey: "The token is signed with an unknown key."
        case .unknownAPIKey: "The bearer token is not a valid JWT or API key."
        case .badSignature: "The token's signature is invalid."
        case .expired: "The token has expired."
        case .notYetValid: "The token is not valid yet."
        case .missingExpiry: "The token has no exp claim; tokens must expire."
        case .wrongIssuer: "The token's issuer is not accepted."
        case .wrongAudience: "The token is not meant for this audience."
        case .missingTenant: "The token names no tenant (tenant or tid claim)."
        case .unknownTenant: "The token's tenant is not known to this gateway."
        }
    }

    /// For `WWW-Authenticate`. RFC 6750 §3.1 would send no error code when no credential was sent
    /// at all, but API.md promises `error="invalid_token"` on every 401, and clients rely on it.
    public var wwwAuthenticate: String { "Bearer error=\"invalid_token\"" }
}
