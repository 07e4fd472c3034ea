import Yams

/// How clients prove which tenant they act for: JWTs, static API keys, or both.
///
/// At least one is required: a gateway that can authenticate nobody answers every request with 401,
/// which is never what an operator meant.
public struct AuthSettings: Sendable, Equatable {
    public var jwt: JWTSettings?
    public var apiKeys: [APIKey]
}

extension ConfigurationDecoder {
    func authSettings(_ node: Node, at path: ConfigurationKeyPath, tenantNames: Set<String>?) -> AuthSettings? {
        guard let map = mapping(node, at: path) else { return nil }
        map.rejectUnknownKeys(known: ["jwt", "apiKeys"])
        let jwt = map.decode("jwt") { jwtSettings($0, at: $1) }
        let apiKeys = map.decode("apiKeys") { self.apiKeys($0, at: $1, tenantNames: tenantNames) } ?? []
        if map.value("jwt") == nil, map.value("apiKeys") == nil {
            report("configure jwt, apiKeys or both: otherwise every request is refused with 401", at: path, node: node)
            return nil
        }
        return AuthSettings(jwt: jwt, apiKeys: apiKeys)
    }
}
