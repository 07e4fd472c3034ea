import FuzzSupport
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardVendors

/// Fuzzes `GateAdapter.interpret` (Sources/SwitchyardVendors/GateAdapter.swift) with the input as
/// gate's HTTP answer (status line, fields, body; see `UpstreamResponse(parsing:)`), for an update by ICCID
/// and an upsert, both carrying a user password.
///
/// Invariants: `VendorHarness.check` (one result per change, only 2xx answers accepted and as
/// 200/201/202, never `internal_error`, valid problem JSON, Retry-After 1–3600 on
/// `upstream_rate_limited`, no write-only field confirmed), and gate's own promise: the password
/// sent never appears in a problem (GateAdapter.withholding).
@main
enum VendorGateFuzzer {
    static func main() { FuzzDriver.run(testOneInput) }
}

let password = "Fuzz-Pa55w0rd-q7Zk"
let adapter = GateAdapter(token: "fuzz-gate-token")
let changeSets: [[DeviceChange]] = [
    [VendorHarness.change(.update, id: "iccid:89882167169700049750", document: """
        {"msisdn": "+1234567890", "deviceId": "com.example.app.user123", "imei": "123456789012345",
         "imsi": "310120123456789", "user": {"username": "john_doe", "password": "\(password)",
         "externalId": "ext_user_456", "class": "premium"}}
        """, primary: adapter.primaryKind)],
    [VendorHarness.change(.upsert, id: nil, document: #"{"imei": "356938035643809", "user": {"password": "\#(password)"}}"#,
                          primary: adapter.primaryKind)],
]

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let response = UpstreamResponse(parsing: fuzzBuffer(data, size), requestMethod: .post) else { return 0 }
    VendorHarness.check(adapter, response, changeSets, withheld: [password])
    return 0
}
