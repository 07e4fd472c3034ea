import SwitchyardDevices

/// What a simulator expects from its client, in the vendor's own scheme. The names follow the
/// gateway's `credentials` keys (docs/CONFIGURATION.md) so a demo can print them as they are
/// configured.
public enum SimulatorCredentials: Sendable, Equatable {
    /// gate: `Authorization: Bearer <token>`.
    case bearerToken(String)
    /// mobilefirst-push: HTTP Basic `clientId:clientSecret` on the token endpoint.
    case clientCredentials(clientId: String, clientSecret: String)
    /// control-center: HTTP Basic `username:apiKey`.
    case basic(username: String, apiKey: String)
    /// vodlix: the session cookie as sent in `Cookie:` (`name=value`, or several joined by `; `).
    case sessionCookie(String)
    /// iot-security: `X-Key-Id` and `X-Access-Key`, valid for one tenant (`customerid`).
    case accessKey(keyId: String, accessKey: String, customerId: String)

    /// The credentials a simulator of `vendor` expects unless told otherwise: fixed, so that a
    /// demo's configuration and a test can name them.
    public static func defaults(for vendor: Vendor) -> SimulatorCredentials {
        switch vendor {
        case .gate: .bearerToken("sim-gate-token")
        case .mobileFirstPush: .clientCredentials(clientId: "sim-push-client", clientSecret: "sim-push-secret")
        case .controlCenter: .basic(username: "sim-cc-user", apiKey: "sim-cc-api-key")
        case .vodlix: .sessionCookie("PHPSESSID=sim-vodlix-session")
        case .iotSecurity: .accessKey(keyId: "sim-iot-key-id", accessKey: "sim-iot-access-key", customerId: "sim-tenant")
        }
    }

    /// Whether these are the kind of credentials `vendor` uses.
    public func fits(_ vendor: Vendor) -> Bool {
        switch (self, vendor) {
        case (.bearerToken, .gate), (.clientCredentials, .mobileFirstPush), (.basic, .controlCenter),
             (.sessionCookie, .vodlix), (.accessKey, .iotSecurity):
            true
        default:
            false
        }
    }

    /// Key-value pairs as the gateway's tenant configuration spells them (`customerId` is a tenant
    /// key there, not a credential, but a client needs it all the same).
    public var configurationKeys: [(key: String, value: String)] {
        switch self {
        case .bearerToken(let token): [("token", token)]
        case .clientCredentials(let id, let secret): [("clientId", id), ("clientSecret", secret)]
        case .basic(let username, let apiKey): [("username", username), ("apiKey", apiKey)]
        case .sessionCookie(let cookie): [("cookie", cookie)]
        case .accessKey(let keyId, let accessKey, let customerId):
            [("keyId", keyId), ("accessKey", accessKey), ("customerId", customerId)]
        }
    }
}
