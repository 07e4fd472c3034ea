/// The device platforms a tenant can be bound to; raw values are the names used in the configuration.
///
/// A closed set because each one needs its own adapter: a vendor name the gateway has no adapter for
/// must fail at load time, not on the tenant's first request.
public enum Vendor: String, Sendable, CaseIterable {
    case gate
    case mobileFirstPush = "mobilefirst-push"
    case controlCenter = "control-center"
    case vodlix
    case iotSecurity = "iot-security"

    /// Keys under `credentials` this vendor needs, all of them required.
    var credentialKeys: [String] {
        switch self {
        case .gate: ["token"]
        case .mobileFirstPush: ["clientId", "clientSecret"]
        case .controlCenter: ["username", "apiKey"]
        case .vodlix: ["cookie"]
        case .iotSecurity: ["keyId", "accessKey"]
        }
    }

    /// Tenant keys only this vendor takes, all of them required: they name the vendor-side account.
    var tenantKeys: [String] {
        switch self {
        case .mobileFirstPush: ["applicationId"]
        case .iotSecurity: ["customerId", "updateSource"]
        case .gate, .controlCenter, .vodlix: []
        }
    }
}
