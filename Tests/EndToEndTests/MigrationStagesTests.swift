import Foundation
import SwitchyardDevices
import SwitchyardJSON
import SwitchyardSimulators
import SwitchyardTestSupport
import Synchronization
import XCTest

/// The stages that serve devices from the target (API.md §8), each a reload away: `canary` by a
/// stable hash of the device, `cutover` for every device, the automatic rollback of a failing
/// canary, and a whole move under load. One tenant, `moving`, from control-center to iot-security
/// (its own simulator); each test reloads the stage it needs.
final class MigrationStagesTests: XCTestCase {
    final class Rig: Sendable {
        let testbed: DeviceTestbed
        let target: SimulatorHost
        /// The configuration as the rig wrote it, with `stage: mirror`.
        let mirrorConfiguration: String

        init(testbed: DeviceTestbed, target: SimulatorHost) throws {
            self.testbed = testbed
            self.target = target
            mirrorConfiguration = try String(contentsOfFile: testbed.gateway.configPath, encoding: .utf8)
        }

        func stop() {
            testbed.stop()
            target.stop()
        }
    }

    static let shared = Shared<Rig>()

    var rig: Rig {
        get throws {
            try Self.shared.get {
                var configuration = SimulatorConfiguration(
                    vendor: .iotSecurity, certificatePath: TestEnvironment.serverCertificate, privateKeyPath: TestEnvironment.serverKey)
                configuration.rateLimit = nil // the load test sends more than the vendor's 180 a minute
                let target = try SimulatorHost(configuration: configuration)
                target.start()
                let testbed = try DeviceTestbed(extra: [
                    "moving": "migration: {to: {\(DeviceTestbed.binding(.iotSecurity, target))}, stage: mirror}",
                ], bindings: [("moving", .controlCenter)], vendorLimits: false)
                return try Rig(testbed: testbed, target: target)
            }
        }
    }

    override func setUp() {
        super.setUp()
        guard let rig = try? rig else { return }
        rig.testbed.resetSimulators()
        rig.target.reset()
        rig.target.clearFaults()
        rig.target.clearRecordedRequests()
    }

    override class func tearDown() {
        shared.current?.stop()
        shared.reset()
    }

    /// Rewrites the migration's stage (`mirror` becomes `stage`, which may add keys) and reloads.
    private func reload(stage: String) throws {
        let rig = try rig
        let text = rig.mirrorConfiguration.replacingOccurrences(of: "stage: mirror", with: stage)
        try reload(text)
    }

    private func reload(_ text: String) throws {
        let rig = try rig
        try text.write(toFile: rig.testbed.gateway.configPath, atomically: true, encoding: .utf8)
        let answer = TestEnvironment.run("curl", ["-sS", "--max-time", "10", "-X", "POST", "-w", "\n%{http_code}",
                                                  "http://127.0.0.1:\(rig.testbed.gateway.adminPort)/-/reload"])
        XCTAssertTrue(answer.output.hasSuffix("200"), answer.output)
    }

    private func report() throws -> JSONValue? {
        let answer = TestEnvironment.run("curl", ["-sS", "--max-time", "5", "http://127.0.0.1:\(try rig.testbed.gateway.adminPort)/-/migrations"])
        return JSONValue.parse(answer.output)[pointer: "/migrations/0"]
    }

    /// ICCIDs control-center does not know (it answers 404) and iot-security takes (202: counted,
    /// not found), so the answer says which vendor served.
    private static let devices = (0..<40).map { String(format: "89882167169700%05d", $0 * 7919 % 100_000) }

    /// A device's vendor is decided by its id alone: asked twice, each device gets the same vendor's
    /// answer, in a bulk update too (split between the vendors, results in request order); with
    /// `percent: 50` both vendors serve some; and the vendor that did not serve a change it accepted
    /// still receives it (here: control-center, for the devices iot-security served).
    func testACanaryServesEachDeviceFromOneVendorAlways() throws {
        let rig = try rig
        try reload(stage: "stage: canary, percent: 50")
        defer { try? reload(rig.mirrorConfiguration) }
        var servedByTarget: [String: Bool] = [:]
        for round in 0..<2 {
            for device in Self.devices {
                let answer = try rig.testbed.call("moving", "PATCH", "/devices/\(device)", #"{"apn": "canary.example"}"#)
                XCTAssertTrue([202, 404].contains(answer.status), "\(device): \(answer.status) \(answer.text)")
                let byTarget = answer.status == 202
                if round == 0 { servedByTarget[device] = byTarget } else { XCTAssertEqual(servedByTarget[device], byTarget, "\(device) moved") }
            }
        }
        // A bulk update of the same devices is split the same way, its results in request order.
        let bulk = "{\"devices\": [" + Self.devices.map { #"{"id": "iccid:\#($0)", "apn": "bulk.example"}"# }.joined(separator: ", ") + "]}"
        let split = try rig.testbed.call("moving", "PATCH", "/devices", bulk)
        XCTAssertEqual(split.status, 207, split.text)
        for (index, device) in Self.devices.enumerated() {
            XCTAssertEqual(split.json?[pointer: "/results/\(index)/id"], .string("iccid:\(device)"))
            XCTAssertEqual(split.json?[pointer: "/results/\(index)/status"]?.intValue, servedByTarget[device] == true ? 202 : 404, device)
        }
        let share = Double(servedByTarget.values.filter { $0 }.count) / Double(Self.devices.count)
        XCTAssertTrue((0.25...0.75).contains(share), "the target served \(share) of the devices at 50 %")
        // Each target-served change went on to control-center, which does not know these SIMs: a
        // step back would lose them, and the report says so.
        let targetServed = servedByTarget.values.filter { $0 }.count
        XCTAssertTrue(eventually { (try? self.report()?[pointer: "/previousVendorErrorCodes/device_not_found"]?.intValue) == 3 * targetServed },
                      "\(String(describing: try? report()))")
        XCTAssertEqual(try report()?[pointer: "/stage"], .string("canary"))
    }

    /// `cutover`: the target serves every device, the previous vendor still receives each change
    /// (the rollback window), and both answers are compared.
    func testCutoverServesFromTheTargetAndStillWritesThePreviousVendor() throws {
        let rig = try rig
        try reload(stage: "stage: cutover")
        defer { try? reload(rig.mirrorConfiguration) }
        let matched = try report()?[pointer: "/matched"]?.intValue ?? 0
        let answer = try rig.testbed.call("moving", "PATCH", "/devices/8988216716970004975", #"{"apn": "cutover.example"}"#)
        XCTAssertEqual(answer.status, 200, answer.text)
        XCTAssertEqual(rig.target.recordedRequests().count, 1, "iot-security served")
        XCTAssertTrue(eventually { rig.testbed.simulator(.controlCenter).recordedRequests().count == 1 }, "the previous vendor is written too")
        let written = try XCTUnwrap(rig.testbed.simulator(.controlCenter).recordedRequests().last)
        XCTAssertEqual(written.target, "/rws/api/v1/devices/8988216716970004975")
        XCTAssertEqual(JSONValue.parse(written.bodyText)[pointer: "/apn"], .string("cutover.example"))
        XCTAssertTrue(eventually { (try? self.report()?[pointer: "/matched"]?.intValue) == matched + 1 }, "\(String(describing: try? report()))")
        XCTAssertEqual(try report()?[pointer: "/stage"], .string("cutover"))
    }

    /// A canary whose target fails more than the current vendor by over `maxErrorRateIncrease`
    /// goes back to `mirror` by itself, says why in the report and the log, and serves every device
    /// from the current vendor again, until the next reload.
    func testAFailingCanaryGoesBackToMirrorByItself() throws {
        let rig = try rig
        try reload(stage: "stage: canary, percent: 50, rollback: {maxErrorRateIncrease: 0.1, minimumCalls: 5}")
        defer { try? reload(rig.mirrorConfiguration) }
        rig.target.inject(SimulatorFault(.vendorError(status: 500, errorCode: nil, body: nil, headers: []), count: 1_000))
        var statuses: [Int] = []
        for device in Self.devices {
            statuses.append(try rig.testbed.call("moving", "PATCH", "/devices/\(device)", #"{"apn": "failing.example"}"#).status)
        }
        XCTAssertTrue(statuses.contains(502), "the target's failures reached the canary's clients: \(statuses)")
        XCTAssertTrue(eventually { (try? self.report()?[pointer: "/rollbacks"]?.intValue) == 1 }, "\(String(describing: try? report()))")
        let summary = try XCTUnwrap(try report())
        XCTAssertEqual(summary[pointer: "/stage"], .string("mirror"))
        XCTAssertEqual(summary[pointer: "/configuredStage"], .string("canary"))
        XCTAssertNotNil(summary[pointer: "/lastRollback"]?.stringValue?.range(of: "iot-security failed"))
        XCTAssertTrue(rig.testbed.gateway.output.contains("migration of tenant moving rolled back from canary to mirror"))
        // Now every device is the current vendor's again: control-center's 404 for each.
        for device in Self.devices.prefix(10) {
            XCTAssertEqual(try rig.testbed.call("moving", "PATCH", "/devices/\(device)", #"{"apn": "after.example"}"#).status, 404)
        }
    }

    /// The whole move under steady load: mirror → canary → cutover → done, each a reload while two
    /// clients keep changing a device both vendors know. No client sees an error, and every change
    /// answered while both vendors were bound reached both.
    func testATenantMovesThroughEveryStageUnderLoadWithoutAnError() throws {
        let rig = try rig
        defer { try? reload(rig.mirrorConfiguration) }
        // Typed: a bare ICCID means control-center's primary kind, which iot-security does not have.
        let iccid = "iccid:8988216716970004975"
        let answered = Mutex<[(value: String, status: Int, finished: Date)]>([])
        let running = Atomic<Bool>(true)
        let stop = Date().addingTimeInterval(30)
        let clients = (0..<2).map { client in
            Thread {
                var sequence = 0
                // At most 150 changes each, paced over the stages: the simulators keep their last 1000 requests.
                while running.load(ordering: .relaxed) && Date() < stop && sequence < 150 {
                    sequence += 1
                    usleep(15_000)
                    let value = "load\(client)-\(sequence).example"
                    let status = (try? rig.testbed.call("moving", "PATCH", "/devices/\(iccid)", #"{"apn": "\#(value)"}"#).status) ?? 0
                    answered.withLock { $0.append((value, status, Date())) }
                }
            }
        }
        for client in clients { client.start() }
        func settle() { Thread.sleep(forTimeInterval: 0.7) }
        settle()
        try reload(stage: "stage: canary, percent: 50")
        settle()
        try reload(stage: "stage: cutover")
        settle()
        let bothBound = Date()
        let movingLine = try XCTUnwrap(rig.mirrorConfiguration.split(separator: "\n").first { $0.contains("moving:") })
        try reload(rig.mirrorConfiguration.replacingOccurrences(of: movingLine,
                                                                with: "  moving: {\(DeviceTestbed.binding(.iotSecurity, rig.target))}"))
        settle()
        running.store(false, ordering: .relaxed)
        let deadline = Date().addingTimeInterval(15)
        while clients.contains(where: { !$0.isFinished }) && Date() < deadline { usleep(20_000) }

        let results = answered.withLock { $0 }
        XCTAssertGreaterThan(results.count, 20, "steady load: \(results.count) changes")
        XCTAssertEqual(results.filter { $0.status != 200 }.map(\.status), [], "no client saw an error")
        let whileBoth = Set(results.filter { $0.finished < bothBound }.map(\.value))
        func received(_ simulator: SimulatorHost) -> Set<String> {
            Set(simulator.recordedRequests().compactMap { request in
                let body = JSONValue.parse(request.bodyText)
                return (body[pointer: "/apn"] ?? body[pointer: "/devicelist/0/apn"])?.stringValue
            })
        }
        XCTAssertTrue(eventually(10) { whileBoth.isSubset(of: received(rig.testbed.simulator(.controlCenter))) },
                      "control-center missed \(whileBoth.subtracting(received(rig.testbed.simulator(.controlCenter))).sorted())")
        XCTAssertTrue(eventually(10) { whileBoth.isSubset(of: received(rig.target)) },
                      "iot-security missed \(whileBoth.subtracting(received(rig.target)).sorted())")
    }
}
