import Foundation
@testable import Switchyard
import SwitchyardHTTP
import SwitchyardJSON
import XCTest

/// The mirror phase in-process: what it does with a target that stops answering. The queue of
/// changes for the other vendor is bounded per worker; past it, changes are dropped and counted,
/// and clients are answered as ever.
final class MirrorPhaseTests: XCTestCase {
    private var harness: PipelineHarness!
    /// The migration target's port: its calls can be held apart from the current vendor's.
    private static let targetPort: UInt16 = 10

    override func setUpWithError() throws {
        harness = try PipelineHarness(acme: """
            , migration: {to: {vendor: gate, upstream: "https://127.0.0.1:\(Self.targetPort)/api/v1", credentials: {token: t}}, stage: mirror}
            """, burst: 10_000)
        harness.vendor.script { request in
            request.path.hasPrefix("/rws/") ? ScriptedVendor.json(200, #"{"iccid": "8988216716970004975"}"#)
                : ScriptedVendor.json(201, #"{"iccid": "8988216716970004975", "generic_id": "tracker-1"}"#)
        }
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
        // The client's answer leaves before its changes are queued, on the loop: wait for the last.
        let queued = Date().addingTimeInterval(5)
        while try report()?["dropped"]?.intValue != dropped && Date() < queued { usleep(10_000) }
        XCTAssertEqual(try report()?["dropped"]?.intValue, dropped)
        XCTAssertEqual(try report()?["mirrored"]?.intValue, 0, "nothing compared while the target holds every call")
        XCTAssertEqual(harness.vendor.releaseHeld(), MirrorQueue.maxInFlight, "no more than the bound reached the target at once")
        // Released, the waiting changes go out in turn: every one that was queued is compared.
        let deadline = Date().addingTimeInterval(10)
        while try report()?["matched"]?.intValue != MirrorQueue.maxInFlight + MirrorQueue.maxWaiting && Date() < deadline { usleep(20_000) }
        XCTAssertEqual(try report()?["matched"]?.intValue, MirrorQueue.maxInFlight + MirrorQueue.maxWaiting)
        XCTAssertEqual(try report()?["dropped"]?.intValue, dropped)
    }
}
