import SwitchyardDevices
import SwitchyardVendors

extension VendorAdapters {
    /// The adapter for a tenant's vendor account: how the gateway gets from configuration to
    /// translation (`GatewayRuntime`'s default `adapter`; tests may hand it another).
    public static func adapter(for tenant: TenantConfiguration) -> any VendorAdapter {
        switch tenant.account {
        case .gate(let token):
            GateAdapter(token: token.revealed)
        case .mobileFirstPush(let applicationId, let clientId, let clientSecret):
            MobileFirstPushAdapter(applicationId: applicationId, clientId: clientId.revealed, clientSecret: clientSecret.revealed)
        case .controlCenter(let username, let apiKey):
            ControlCenterAdapter(username: username.revealed, apiKey: apiKey.revealed)
        case .vodlix(let cookie):
            VodlixAdapter(cookie: cookie.revealed)
        case .iotSecurity(let customerId, let updateSource, let keyId, let accessKey):
            IoTSecurityAdapter(customerId: customerId, updateSource: updateSource, keyId: keyId.revealed, accessKey: accessKey.revealed)
        }
    }
}
