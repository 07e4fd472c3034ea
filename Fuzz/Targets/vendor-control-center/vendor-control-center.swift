import FuzzSupport
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardVendors

/// Fuzzes `ControlCenterAdapter.interpret` (Sources/SwitchyardVendors/ControlCenterAdapter.swift)
/// with the input as Control Center's HTTP answer (see `UpstreamResponse(parsing:)`), for a status change
/// and a change of several fields (custom ones included) on one SIM.
///
/// Invariants: `VendorHarness.check` (one result per change, only 2xx answers accepted and as
/// 200/201/202, never `internal_error`, valid problem JSON, Retry-After 1–3600 on
/// `upstream_rate_limited`, no write-only field confirmed).
@main
enum VendorControlCenterFuzzer {
    static func main() { FuzzDriver.run(testOneInput) }
}

let adapter = ControlCenterAdapter(username: "fuzz-user", apiKey: "fuzz-api-key")
let changeSets: [[DeviceChange]] = [
    [VendorHarness.change(.update, id: "iccid:8988216716970004975", document: #"{"sim": {"status": "DEACTIVATED"}}"#,
                          primary: adapter.primaryKind)],
    [VendorHarness.change(.update, id: "8988216716970004975", document: """
        {"deviceId": "meter-0042", "ipv4": "10.0.0.7", "apn": "awt-v6-s1", "pdpId": "2098",
         "sim": {"ratePlan": "Standard 5GB", "customer": "Acme"},
         "custom": {"operatorCustom1": "operator 1", "accountCustom2": "account 2", "customerCustom3": "customer 3"},
         "effectiveAt": "2027-01-15T09:30:00+02:00"}
        """, primary: adapter.primaryKind)],
]

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let response = UpstreamResponse(parsing: fuzzBuffer(data, size), requestMethod: .put) else { return 0 }
    VendorHarness.check(adapter, response, changeSets)
    return 0
}
