import Benchmark
import SuiteDefaults
import SwitchyardDevices
import SwitchyardVendors

/// Each vendor adapter's two steps on the way of a request, for one typical change and the
/// vendor's success answer to it: `request(for:accessToken:now:)`, the change translated into
/// the vendor's request, and `interpret(_:for:)`, the vendor's answer translated back into a
/// device result. The change and the answer are the vendor tests' golden fixtures (``GoldenCase``),
/// with the tests' own adapter settings, so the benchmarks translate exactly what the tests check.
let benchmarks: @Sendable () -> Void = {
    SuiteDefaults.apply()

    measure(GateAdapter(token: "gate-test-token"), "gate", "update-by-imei")
    measure(MobileFirstPushAdapter(applicationId: "myapp", clientId: "gateway-client", clientSecret: "s3cret"),
            "mobilefirst-push", "update-every-field")
    measure(ControlCenterAdapter(username: "gateway", apiKey: "cc-api-key-0001"), "control-center", "status-deactivated")
    measure(VodlixAdapter(cookie: "PHPSESSID=vodlix-session-1; remember=abc"), "vodlix", "update-by-mac")
    measure(IoTSecurityAdapter(customerId: "hooli", updateSource: "cellular", keyId: "key-0001", accessKey: "access-0001"),
            "iot-security", "update-by-iccid")
}

/// Registers the two benchmarks of `adapter` on the fixture `Fixtures/<vendor>/<name>.json`.
func measure(_ adapter: some VendorAdapter, _ vendor: String, _ name: String) {
    let golden = GoldenCase(vendor, name, adapter: adapter)

    Benchmark("\(vendor): request(for:) \(name)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(adapter.request(for: golden.changes, accessToken: golden.accessToken, now: golden.now))
        }
    }

    Benchmark("\(vendor): interpret(_:for:) \(name)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(adapter.interpret(golden.response, for: golden.changes))
        }
    }
}
