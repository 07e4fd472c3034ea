import FuzzSupport
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardVendors

/// Fuzzes `VodlixAdapter.interpret` (Sources/SwitchyardVendors/VodlixAdapter.swift) with the input
/// as Vodlix's HTTP answer (see `UpstreamResponse(parsing:)`), for an upsert with all six fields and an
/// update by MAC.
///
/// Invariants: `VendorHarness.check` (one result per change, only 2xx answers accepted and as
/// 200/201/202, never `internal_error`, valid problem JSON, Retry-After 1–3600 on
/// `upstream_rate_limited`, no write-only field confirmed), and a confirmed MAC is in the
/// canonical form `FieldRules` gives it.
@main
enum VendorVodlixFuzzer {
    static func main() { FuzzDriver.run(testOneInput) }
}

let adapter = VodlixAdapter(cookie: "PHPSESSID=fuzz-session")
let changeSets: [[DeviceChange]] = [
    [VendorHarness.change(.upsert, id: nil, document: """
        {"mac": "a1:b2:c3:d4:e5:f6", "platform": {"os": "iOS", "osVersion": "14.5", "type": "Mobile"},
         "app": {"name": "MyApp", "version": "2.0"}}
        """, primary: adapter.primaryKind)],
    [VendorHarness.change(.update, id: "mac:A1B2C3D4E5F6", document: """
        {"platform": {"os": "iOS", "osVersion": "14.5", "type": "Mobile"}, "app": {"name": "MyApp", "version": "2.0"}}
        """, primary: adapter.primaryKind)],
]

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    check(data, size)
    return 0
}

func check(_ data: UnsafePointer<UInt8>?, _ size: Int) {
    guard let response = UpstreamResponse(parsing: fuzzBuffer(data, size), requestMethod: .post) else { return }
    VendorHarness.check(adapter, response, changeSets)
    for changes in changeSets {
        for result in adapter.interpret(response, for: changes).results {
            guard case .accepted(_, let confirmed) = result, let mac = confirmed.string(.mac) else { continue }
            guard case .success(let canonical) = FieldRules.check(.mac, mac) else {
                return invariant(false, "a confirmed MAC that is not a MAC: \(mac)")
            }
            invariant(canonical == mac, "a confirmed MAC not in canonical form: \(mac)")
        }
    }
}
