import SwitchyardDevices

/// The five adapters together: the error catalogue they make up. (Which adapter serves a tenant is
/// the gateway's to decide, from its configuration: `VendorAdapters.adapter(for:)` there.)
public enum VendorAdapters {
    /// Every row of the error catalogue, in the order `docs/ERRORS.md` shows them.
    public static let catalogue: [ErrorCatalogue.Row] =
        GateAdapter.errorRows + MobileFirstPushAdapter.errorRows + MobileFirstPushAdapter.tokenErrorRows
            + ControlCenterAdapter.errorRows
            + VodlixAdapter.errorRows + IoTSecurityAdapter.errorRows
            + ErrorCatalogue.transportRows + ErrorCatalogue.fallbackRows
}
