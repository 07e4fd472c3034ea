import Yams

/// How clients prove which tenant they act for: JWTs, static API keys, or both.
///
/// Both may be absent: such a gateway authenticates nobody and answers every `/devices` request
/// with 401. That is allowed (a gateway brought up before its tenants) but never silent:
/// `GatewayConfiguration.warnings` says so, and `check` and `serve` print it.
public struct AuthSettings: Sendable, Equatable {
    public var jwt: JWTSettings?
    public var apiKeys: [APIKey]

    /// Public so that an `Authenticator` can be built without a configuration file, as the
    /// in-process benchmarks (Benchmarks/InProcess) do.
    public init(jwt: JWTSettings?, apiKeys: [APIKey]) {
        self.jwt = jwt
        self.apiKeys = apiKeys
    }

    /// No way to authenticate anyone.
    public static let none = AuthSettings(jwt: nil, apiKeys: [])
}

extension ConfigurationDecoder {
    func authSettings(_ node: Node, at path: ConfigurationKeyPath, tenantNames: Set<String>?) -> AuthSettings? {
        guard let map = mapping(node, at: path) else { return nil }
        map.rejectUnknownKeys(known: ["jwt", "apiKeys"])
        let jwt = map.decode("jwt") { jwtSettings($0, at: $1) }
        let apiKeys = map.decode("apiKeys") { self.apiKeys($0, at: $1, tenantNames: tenantNames) } ?? []
        return AuthSettings(jwt: jwt, apiKeys: apiKeys)
    }
}
