import Foundation
@testable import Switchyard
import SwitchyardHTTP
import SwitchyardJSON
import XCTest

/// The mirror phase in-process: whose budgets mirrored calls spend, and what it does with a
/// target that stops answering (the queue of changes for the other vendor is bounded per worker;
/// past it, changes are dropped and counted, and clients are answered as ever).
final class MirrorPhaseTests: XCTestCase {
    private var harness: PipelineHarness!
    /// The migration target's port: its calls can be held apart from the current vendor's.
    private static let targetPort: UInt16 = 10

    override func setUpWithError() throws {
        try start()
    }

    /// The harness with acme migrating to gate; `target` adds keys to the target's binding.
    private func start(target: String = "", burst: Int = 10_000) throws {
        harness?.stop()
        harness = try PipelineHarness(acme: """
            , migration: {to: {vendor: gate, upstream: "https://127.0.0.1:\(Self.targetPort)/api/v1", credentials: {token: t}\(target)}, stage: mirror}
            """, burst: burst)
        harness.vendor.script { request in
            request.path.hasPrefix("/rws/") ? ScriptedVendor.json(200, #"{"iccid": "8988216716970004975"}"#)
                : ScriptedVendor.json(201, #"{"iccid": "8988216716970004975", "generic_id": "tracker-1"}"#)
        }
    }

    /// Waits (bounded) until the report's `key` is `value`: the changes are queued on the loop just
    /// after the client's answer leaves.
    private func waitFor(_ key: String, _ value: Int) throws {
        let deadline = Date().addingTimeInterval(5)
        while try report()?[key]?.intValue != value && Date() < deadline { usleep(10_000) }
    }

    /// Mirrored calls spend the target's own `vendorQuota` (here one call a minute: the second
    /// change is refused there, a target error) and never the tenant's `rateLimit` (here a burst
    /// of 3: the three clients' requests pass, however many calls the mirror made).
    func testMirroredCallsSpendTheTargetsQuotaNeverTheTenantsLimit() throws {
        try start(target: ", vendorQuota: {requests: 1, perSeconds: 60}", burst: 3)
        let acme = try harness.token("acme")
        for _ in 0..<3 {
            let answer = try harness.send("PATCH", "/devices/iccid:8988216716970004975", token: acme, json: #"{"deviceId": "tracker-1"}"#)
            XCTAssertEqual(answer.status, 200, answer.text)
        }
        try waitFor("mirrored", 3)
        XCTAssertEqual(try report()?["matched"]?.intValue, 1)
        XCTAssertEqual(try report()?["targetErrorCodes"]?.objectValue?["upstream_rate_limited"]?.intValue, 2)
        XCTAssertEqual(harness.vendor.requests.filter { $0.requestTarget.hasPrefix("/api/") }.count, 1, "one call within the target's quota")
        let limited = try harness.send("PATCH", "/devices/iccid:8988216716970004975", token: acme, json: #"{"deviceId": "tracker-1"}"#)
        XCTAssertEqual(limited.status, 429, "the tenant's burst of 3 was spent by its clients alone")
        XCTAssertEqual(limited.code, "rate_limited")
    }

    override func tearDown() {
        harness.vendor.releaseHeld()
        harness.stop()
    }

    private func report() throws -> JSONObject? {
        try JSONParser.parse(harness.gateway.migrationReports()).objectValue?["migrations"]?.arrayValue?.first?.objectValue
    }

    func testAStalledTargetFillsTheBoundedQueueAndTheRestIsDropped() throws {
        harness.vendor.hold(port: Self.targetPort)
        let acme = try harness.token("acme")
        let dropped = 3
        for _ in 0..<(MirrorQueue.maxInFlight + MirrorQueue.maxWaiting + dropped) {
            let answer = try harness.send("PATCH", "/devices/iccid:8988216716970004975", token: acme, json: #"{"deviceId": "tracker-1"}"#)
            XCTAssertEqual(answer.status, 200, "the client is answered whatever the target does: \(answer.text)")
        }
        try waitFor("dropped", dropped)
        XCTAssertEqual(try report()?["dropped"]?.intValue, dropped)
        XCTAssertEqual(try report()?["mirrored"]?.intValue, 0, "nothing compared while the target holds every call")
        XCTAssertEqual(harness.vendor.releaseHeld(), MirrorQueue.maxInFlight, "no more than the bound reached the target at once")
        // Released, the waiting changes go out in turn: every one that was queued is compared.
        try waitFor("matched", MirrorQueue.maxInFlight + MirrorQueue.maxWaiting)
        XCTAssertEqual(try report()?["matched"]?.intValue, MirrorQueue.maxInFlight + MirrorQueue.maxWaiting)
        XCTAssertEqual(try report()?["dropped"]?.intValue, dropped)
    }
}
