import FuzzSupport
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardVendors

/// Fuzzes `MobileFirstPushAdapter` (Sources/SwitchyardVendors/MobileFirstPushAdapter.swift) with
/// the input as the push service's HTTP answer (see `UpstreamResponse(parsing:)`), read two ways: as the
/// answer to a registration update (`interpret`) and as the token endpoint's answer
/// (`accessToken(from:)`).
///
/// Invariants: `VendorHarness.check` for `interpret`; for the token: a token is non-empty,
/// printable ASCII without spaces (it becomes a header value) and lives a positive, finite time;
/// a refused token answer is a problem that passes `VendorHarness.checkProblem`.
@main
enum VendorMobileFirstPushFuzzer {
    static func main() { FuzzDriver.run(testOneInput) }
}

let adapter = MobileFirstPushAdapter(applicationId: "myapp", clientId: "fuzz-client", clientSecret: "fuzz-client-secret")
let changeSets: [[DeviceChange]] = [
    [VendorHarness.change(.update, id: "deviceId:12345-6789", document: """
        {"msisdn": "+4915112345678", "user": {"id": "alice"}, "push": {"token": "fcm-token-xyz"}}
        """, primary: adapter.primaryKind)],
    [VendorHarness.change(.update, id: "12345-6789", document: #"{"user": {"id": "bob"}}"#, primary: adapter.primaryKind)],
]

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBuffer(data, size)
    if let response = UpstreamResponse(parsing: input, requestMethod: .put) {
        VendorHarness.check(adapter, response, changeSets)
    }
    guard let tokenAnswer = UpstreamResponse(parsing: input, requestMethod: .post) else { return 0 }
    switch adapter.accessToken(from: tokenAnswer) {
    case .success(let token):
        invariant(tokenAnswer.status == 200, "a token from a \(tokenAnswer.status) answer")
        invariant(!token.value.isEmpty && token.value.utf8.allSatisfy { (0x21...0x7E).contains($0) },
                  "a token that cannot be a header value: \(token.value.debugDescription)")
        invariant(token.expiresInSeconds > 0 && token.expiresInSeconds.isFinite, "a token living \(token.expiresInSeconds) s")
    case .failure(let problem):
        VendorHarness.checkProblem(problem, adapter.vendor, response: tokenAnswer)
    }
    return 0
}
