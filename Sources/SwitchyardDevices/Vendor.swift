import SwitchyardIO

/// The device platforms a tenant can be bound to; raw values are the names used in the configuration
/// and everywhere else (metrics, logs, the error catalogue, the simulators).
///
/// A closed set because each one needs its own adapter: a vendor name the gateway has no adapter for
/// must fail at load time, not on the tenant's first request.
public enum Vendor: String, Sendable, CaseIterable, CaseKeyed {
    case gate
    case mobileFirstPush = "mobilefirst-push"
    case controlCenter = "control-center"
    case vodlix
    case iotSecurity = "iot-security"
}
