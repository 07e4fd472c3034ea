import SwitchyardDevices

/// Who a request acts for, as proven by its `Authorization` header.
public struct Credential: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case jwt
        case apiKey
    }

    /// A configured tenant's name (checked against the configuration).
    public var tenant: String
    /// Known scopes only; unknown scope names in a token are dropped. May be empty: deciding that a
    /// request needs a scope is authorization's business, not authentication's.
    public var scopes: CaseSet<Scope>
    /// The token's `exp` in seconds since 1970; `nil` for API keys, which do not expire.
    public var expiresAt: Double?
    public var kind: Kind

    public init(tenant: String, scopes: CaseSet<Scope>, expiresAt: Double?, kind: Kind) {
        self.tenant = tenant
        self.scopes = scopes
        self.expiresAt = expiresAt
        self.kind = kind
    }
}
