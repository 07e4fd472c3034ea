import FuzzSupport
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardVendors

/// Fuzzes `IoTSecurityAdapter.interpret` (Sources/SwitchyardVendors/IoTSecurityAdapter.swift) with
/// the input as IoT Security's HTTP answer (see `UpstreamResponse(parsing:)`), for a batch of five changes
/// (one per identifier kind) and a single change.
///
/// Invariants: `VendorHarness.check` (one result per change, only 2xx answers accepted and as
/// 200/201/202, `reportedSuccesses` only for a short count with every item 202, never
/// `internal_error`, valid problem JSON, Retry-After 1–3600 on `upstream_rate_limited`), and a
/// call's results are all alike (the vendor answers for the batch as a whole).
@main
enum VendorIoTSecurityFuzzer {
    static func main() { FuzzDriver.run(testOneInput) }
}

let adapter = IoTSecurityAdapter(customerId: "fuzz-tenant", updateSource: "cellular", keyId: "fuzz-key-id", accessKey: "fuzz-access-key")
let changeSets: [[DeviceChange]] = [
    ["iccid:8988216716970004975", "imei:490154203237518", "imsi:310150123456780", "msisdn:+15550100002", "ipv4:10.20.0.13"]
        .enumerated().map { index, id in
            VendorHarness.change(.update, id: id, document: #"{"apn": "iot.example"}"#, primary: adapter.primaryKind,
                                 pointerPrefix: "/devices/\(index)")
        },
    [VendorHarness.change(.update, id: "iccid:8988216716970004975", document: #"{"apn": "iot.example", "ipv6": "2001:db8::1"}"#,
                          primary: adapter.primaryKind)],
]

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let response = UpstreamResponse(parsing: fuzzBuffer(data, size), requestMethod: .put) else { return 0 }
    VendorHarness.check(adapter, response, changeSets)
    for changes in changeSets {
        let statuses = adapter.interpret(response, for: changes).results.map { result -> Int in
            switch result {
            case .accepted(let status, _): status
            case .failed(let problem): -problem.code.status
            }
        }
        invariant(Set(statuses).count <= 1, "one answer, different results: \(statuses)")
    }
    return 0
}
