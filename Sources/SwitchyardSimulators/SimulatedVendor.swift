/// The five vendors a simulator can play (named as in the gateway's configuration).
public enum SimulatedVendor: String, CaseIterable, Sendable {
    case gate
    case mobileFirstPush = "mobilefirst-push"
    case controlCenter = "control-center"
    case vodlix
    case iotSecurity = "iot-security"
}
