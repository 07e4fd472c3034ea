import Foundation
import Switchyard
import SwitchyardDevices
import SwitchyardJSON
import SwitchyardSimulators
import SwitchyardTestSupport
import XCTest

/// Staged migration end to end (API.md §8): a tenant on one vendor mirrors its changes to
/// another, both answers are compared, and the report on the admin listener says what would
/// break. Two migrating tenants, each target a simulator of its own:
///
/// - `moving`: control-center → iot-security (a vendor without SIM status: not portable);
/// - `twin`: gate → a second gate account, whose simulator can be told to answer differently.
final class MigrationTests: XCTestCase {
    final class Rig: Sendable {
        let testbed: DeviceTestbed
        let iotTarget: SimulatorHost
        let gateTarget: SimulatorHost

        init(testbed: DeviceTestbed, iotTarget: SimulatorHost, gateTarget: SimulatorHost) {
            self.testbed = testbed
            self.iotTarget = iotTarget
            self.gateTarget = gateTarget
        }

        func stop() {
            testbed.stop()
            iotTarget.stop()
            gateTarget.stop()
        }
    }

    static let shared = Shared<Rig>()

    var rig: Rig {
        get throws {
            try Self.shared.get {
                let iotTarget = try Self.simulator(.iotSecurity)
                let gateTarget = try Self.simulator(.gate)
                let testbed = try DeviceTestbed(extra: [
                    "moving": "migration: {to: {\(DeviceTestbed.binding(.iotSecurity, iotTarget))}, stage: mirror}",
                    "twin": "migration: {to: {\(DeviceTestbed.binding(.gate, gateTarget))}, stage: mirror, ignore: [\"/user/username\"]}",
                ], bindings: [("moving", .controlCenter), ("twin", .gate)])
                return Rig(testbed: testbed, iotTarget: iotTarget, gateTarget: gateTarget)
            }
        }
    }

    override func setUp() {
        super.setUp()
        guard let rig = try? rig else { return }
        rig.testbed.resetSimulators()
        for simulator in [rig.iotTarget, rig.gateTarget] {
            simulator.reset()
            simulator.clearFaults()
            simulator.clearRecordedRequests()
        }
    }

    override class func tearDown() {
        shared.current?.stop()
        shared.reset()
    }

    // MARK: mirror

    /// A change both vendors take matches; one the target can't take is not portable, by field
    /// and operation, and never sent; one the current vendor refused is not mirrored at all.
    func testMirrorComparesMatchesAndListsWhatIsNotPortable() throws {
        let rig = try rig
        let iccid = "8988216716970004975"
        let taken = try rig.testbed.call("moving", "PATCH", "/devices/\(iccid)", #"{"apn": "m2m.example"}"#)
        XCTAssertEqual(taken.status, 200, taken.text)
        XCTAssertTrue(eventually { (try? self.count("moving", "matched")) == 1 }, "\(String(describing: try? report("moving")))")
        let mirrored = try XCTUnwrap(rig.iotTarget.recordedRequests().last, "the target received the change")
        XCTAssertEqual(mirrored.method, "PUT")
        XCTAssertEqual(JSONValue.parse(mirrored.bodyText)[pointer: "/devicelist/0/apn"], .string("m2m.example"))
        XCTAssertEqual(JSONValue.parse(mirrored.bodyText)[pointer: "/devicelist/0/iccid"], .string(iccid))
        XCTAssertEqual(mirrored.header("x-request-id"), taken.header("x-request-id"), "the mirrored call carries the request's id")

        let statusChange = try rig.testbed.call("moving", "PATCH", "/devices/\(iccid)", #"{"sim": {"status": "DEACTIVATED"}}"#)
        XCTAssertEqual(statusChange.status, 200, statusChange.text)
        XCTAssertTrue(eventually { (try? self.count("moving", "notPortable")) == 1 })
        let summary = try XCTUnwrap(try report("moving"))
        XCTAssertEqual(summary[pointer: "/notPortableChanges"], JSONValue.parse(
            #"[{"operation": "PATCH /devices/{id}", "field": "/sim/status", "count": 1}]"#))
        XCTAssertEqual(rig.iotTarget.recordedRequests().count, 1, "a change the target can't take is never sent to it")

        let refused = try rig.testbed.call("moving", "PATCH", "/devices/\(iccid)", #"{"sim": {"status": "NOT-A-STATUS"}}"#)
        XCTAssertEqual(refused.status, 422, refused.text)
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(try count("moving", "mirrored"), 2, "a change the current vendor refused is not mirrored")
        XCTAssertEqual(summary[pointer: "/stage"], .string("mirror"))
        XCTAssertEqual(summary[pointer: "/bareDeviceIds"], JSONValue.parse(#"[{"operation": "PATCH /devices/{id}", "count": 2}]"#),
                       "a bare ICCID names no kind for iot-security")
        XCTAssertEqual(summary[pointer: "/currentVendor"], .string("control-center"))
        XCTAssertEqual(summary[pointer: "/targetVendor"], .string("iot-security"))
        XCTAssertEqual(summary[pointer: "/latency/target/calls"]?.intValue, 1)
        XCTAssertEqual(summary[pointer: "/latency/current/calls"]?.intValue, 2)

        let metrics = rig.testbed.gateway.metricsText
        XCTAssertEqual(GatewayProcess.sample(#"switchyard_migration_comparisons_total{tenant="moving",result="match"}"#, in: metrics), 1)
        XCTAssertEqual(GatewayProcess.sample(#"switchyard_migration_comparisons_total{tenant="moving",result="not_portable"}"#, in: metrics), 1)
    }

    /// `switchyard migration status` reads the reports from admin listeners and sums them: the
    /// same gateway given twice counts twice; a table by default, the report's shape with `--json`;
    /// an admin that does not answer is an error naming it.
    func testTheStatusCommandSumsTheReplicasReports() throws {
        let rig = try rig
        XCTAssertEqual(try rig.testbed.call("moving", "PATCH", "/devices/8988216716970004975", #"{"sim": {"status": "ACTIVATED"}}"#).status, 200)
        XCTAssertTrue(eventually { ((try? self.count("moving", "notPortable")) ?? 0) >= 1 })
        let one = try XCTUnwrap(try report("moving"))
        let admin = "127.0.0.1:\(rig.testbed.gateway.adminPort)"
        let summed = TestEnvironment.run(TestEnvironment.binary.path,
                                         ["migration", "status", "--admin", admin, "--admin", "http://\(admin)/", "--tenant", "moving", "--json"])
        XCTAssertEqual(summed.status, 0, summed.error)
        let document = JSONValue.parse(summed.output)
        XCTAssertEqual(document[pointer: "/replicas"]?.intValue, 2)
        XCTAssertEqual(document[pointer: "/migrations"]?.arrayValue?.count, 1, "only the tenant asked for")
        for key in ["mirrored", "matched", "notPortable"] {
            XCTAssertEqual(document[pointer: "/migrations/0/\(key)"]?.intValue, 2 * (one[pointer: "/\(key)"]?.intValue ?? -1), key)
        }
        XCTAssertEqual(document[pointer: "/migrations/0/notPortableChanges/0/field"], .string("/sim/status"))

        let table = TestEnvironment.run(TestEnvironment.binary.path, ["migration", "status", "--admin", admin])
        XCTAssertEqual(table.status, 0, table.error)
        XCTAssertTrue(table.output.contains("control-center → iot-security"), table.output)
        XCTAssertTrue(table.output.contains("changes iot-security can't take (not portable)"), table.output)
        XCTAssertTrue(table.output.contains("PATCH /devices/{id}  /sim/status"), table.output)
        XCTAssertTrue(table.output.contains("twin"), "every tenant without --tenant: \(table.output)")

        let unreachable = TestEnvironment.run(TestEnvironment.binary.path, ["migration", "status", "--admin", "127.0.0.1:1"])
        XCTAssertEqual(unreachable.status, 1)
        XCTAssertTrue(unreachable.error.contains("switchyard migration status: 127.0.0.1:1:"), unreachable.error)
    }

    /// The target's answer differs where it states the device otherwise: a mismatch by pointer,
    /// with the request's id; fields in `ignore` are left out; the target failing is a target error.
    func testMirrorFindsMismatchesAndTargetErrors() throws {
        let rig = try rig
        let body = #"{"imei": "123456789012345", "user": {"class": "gold"}}"#
        // The rig is shared: counts are compared with what the tenant had before.
        let matched = try count("twin", "matched") ?? 0
        let targetErrors = try count("twin", "targetErrors") ?? 0
        let same = try rig.testbed.call("twin", "POST", "/devices", body)
        XCTAssertEqual(same.status, 201, same.text)
        XCTAssertTrue(eventually { (try? self.count("twin", "matched")) == matched + 1 }, "\(String(describing: try? report("twin")))")

        // The target's account answers with another class and another username (which is ignored).
        rig.gateTarget.inject(SimulatorFault(.vendorError(status: 201, errorCode: nil,
            body: #"{"imei": "123456789012345", "user_class": "silver", "username": "someone_else"}"#, headers: [])))
        let differing = try rig.testbed.call("twin", "POST", "/devices", body)
        XCTAssertEqual(differing.status, 201, differing.text)
        XCTAssertEqual(differing.json?[pointer: "/user/class"], .string("gold"), "the client's answer is the current vendor's")
        XCTAssertTrue(eventually { (try? self.count("twin", "mismatched")) == 1 })
        let summary = try XCTUnwrap(try report("twin"))
        XCTAssertEqual(summary[pointer: "/mismatches"], JSONValue.parse(
            #"[{"pointer": "/user/class", "count": 1, "lastRequestIds": ["\#(differing.header("x-request-id") ?? "")"]}]"#))

        let upstreamErrors = try report("twin")?[pointer: "/targetErrorCodes/upstream_error"]?.intValue ?? 0
        rig.gateTarget.inject(SimulatorFault(.vendorError(status: 503, errorCode: nil, body: nil, headers: [])))
        XCTAssertEqual(try rig.testbed.call("twin", "POST", "/devices", body).status, 201)
        XCTAssertTrue(eventually { (try? self.count("twin", "targetErrors")) == targetErrors + 1 })
        XCTAssertEqual(try report("twin")?[pointer: "/targetErrorCodes/upstream_error"]?.intValue, upstreamErrors + 1,
                       "\(String(describing: try? report("twin")))")
    }

    /// The mirrored call is made after the client has its answer: a target that holds it for
    /// seconds is still holding it when the client is answered.
    func testATargetThatStallsNeverDelaysTheClient() throws {
        let rig = try rig
        let matched = try count("twin", "matched") ?? 0
        rig.gateTarget.inject(SimulatorFault(.delay(seconds: 1.5))) // within the rig's 2 s upstream timeout
        let answer = try rig.testbed.call("twin", "POST", "/devices", #"{"imei": "123456789012345"}"#)
        XCTAssertEqual(answer.status, 201, answer.text)
        XCTAssertTrue(eventually(1) { rig.gateTarget.statistics().inFlight == 1 }, "the target still holds the mirrored call")
        XCTAssertTrue(eventually(6) { (try? self.count("twin", "matched")) == matched + 1 }, "and it is compared once answered")
    }

    private static func simulator(_ vendor: Vendor) throws -> SimulatorHost {
        let simulator = try SimulatorHost(configuration: SimulatorConfiguration(
            vendor: vendor, certificatePath: TestEnvironment.serverCertificate, privateKeyPath: TestEnvironment.serverKey))
        simulator.start()
        return simulator
    }

    /// The report of `tenant` from `GET /-/migrations`.
    private func report(_ tenant: String) throws -> JSONValue? {
        let answer = TestEnvironment.run("curl", ["-sS", "--max-time", "5", "http://127.0.0.1:\(try rig.testbed.gateway.adminPort)/-/migrations"])
        let document = JSONValue.parse(answer.output)
        return document[pointer: "/migrations"]?.arrayValue?.first { $0[pointer: "/tenant"]?.stringValue == tenant }
    }

    private func count(_ tenant: String, _ key: String) throws -> Int? {
        try report(tenant)?[pointer: "/\(key)"]?.intValue
    }
}
