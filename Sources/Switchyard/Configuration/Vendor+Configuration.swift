import SwitchyardDevices

/// What a tenant of each vendor must configure.
extension Vendor {
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
