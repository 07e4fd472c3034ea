import Foundation
import Switchyard
import SwitchyardDevices
import SwitchyardJSON
import SwitchyardSimulators
import SwitchyardTestSupport
import XCTest

/// Cross-vendor conformance (API.md §1, "one shape"): the same client scenario against a tenant
/// on each vendor gives the same normalized answer wherever the vendors share the capability,
/// and moving a tenant to another vendor by configuration changes no answer.
///
/// Normalizing keeps what the contract fixes and drops what it leaves to the vendor: status,
/// problem code and pointers, `id`, and the device fields the client sent (a vendor may confirm
/// more, like gate's whole user record; `detail` and the `upstream` diagnostic are the vendor's).
final class ConformanceTests: XCTestCase {
    static let rig = Shared<DeviceTestbed>()

    var rig: DeviceTestbed {
        get throws { try ConformanceTests.rig.get { try DeviceTestbed() } }
    }

    override func setUp() {
        super.setUp()
        (try? rig)?.resetSimulators()
    }

    override class func tearDown() {
        rig.current?.stop()
        rig.reset()
    }

    /// Each vendor's tenant, a device it knows, and a change it can store.
    static let subjects: [(tenant: String, vendor: Vendor, id: String, change: String)] = [
        ("cc", .controlCenter, "iccid:8988216716970004975", #""sim": {"ratePlan": "Standard 5GB"}"#),
        ("gate", .gate, "imei:356938035643809", #""msisdn": "+15550100099""#),
        ("push", .mobileFirstPush, "deviceId:12345-6789", #""user": {"id": "alice"}"#),
        ("vodlix", .vodlix, "mac:A1B2C3D4E5F6", #""platform": {"os": "iOS", "osVersion": "17", "type": "Mobile"}, "app": {"name": "MyApp", "version": "3"}"#),
        ("iot", .iotSecurity, "imei:356938035643809", #""apn": "iot.example""#),
    ]

    /// The answer reduced to what must not differ between vendors.
    static func normalized(_ answer: DeviceTestbed.Answer, sent: JSONValue?) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.member("status", answer.status)
        if let json = answer.json {
            writeNormalized(json, sent: sent, into: &writer)
        }
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    private static func writeNormalized(_ json: JSONValue, sent: JSONValue?, into writer: inout JSONWriter) {
        if let code = json[pointer: "/code"]?.stringValue {
            writer.member("code", code)
            writer.key("pointers")
            writer.value(.array((json[pointer: "/fields"]?.arrayValue ?? []).compactMap { $0[pointer: "/pointer"] }))
        } else if let results = json[pointer: "/results"]?.arrayValue {
            writer.key("results")
            writer.beginArray()
            for (index, result) in results.enumerated() {
                writer.beginObject()
                writer.member("status", result[pointer: "/status"]?.intValue ?? -1)
                if let problem = result[pointer: "/problem"] {
                    writeNormalized(problem, sent: nil, into: &writer)
                } else if let device = result[pointer: "/device"] {
                    writeDevice(device, sent: sent?[pointer: "/devices/\(index)"], into: &writer)
                }
                writer.endObject()
            }
            writer.endArray()
            writer.member("succeeded", json[pointer: "/succeeded"]?.intValue ?? -1)
            writer.member("failed", json[pointer: "/failed"]?.intValue ?? -1)
        } else {
            writeDevice(json, sent: sent, into: &writer)
        }
    }

    /// `"device": "as sent"` when the answer shows the id asked for (if any) and every field the
    /// client sent with the value sent; else the mismatching paths, so a failure says what differs.
    private static func writeDevice(_ device: JSONValue, sent: JSONValue?, into writer: inout JSONWriter) {
        var mismatches: [String] = []
        if let id = sent.flatMap({ $0[pointer: "/id"] }), device[pointer: "/id"] != id { mismatches.append("/id") }
        for member in sent?.objectValue?.members ?? [] where member.name != "id" {
            let inner = member.value.objectValue?.members.map { ("/\(member.name)/\($0.name)", $0.value) } ?? [("/\(member.name)", member.value)]
            for (pointer, value) in inner where device[pointer: pointer] != value { mismatches.append(pointer) }
        }
        if device[pointer: "/id"]?.stringValue == nil { mismatches.append("no id") }
        writer.key("device")
        if mismatches.isEmpty {
            writer.string("as sent")
        } else {
            writer.value(.array(mismatches.map { .string($0) }))
        }
    }

    /// Runs `scenario` on every subject `sharing` the capability; every normalized answer must
    /// equal the first, and equal `expected` when given.
    private func assertConforms(_ label: String, sharing: Set<Vendor> = Set(Vendor.allCases), expected: String? = nil,
                                prepare: (SimulatorHost) -> Void = { _ in },
                                _ scenario: (_ subject: (tenant: String, vendor: Vendor, id: String, change: String)) -> (method: String, path: String, body: String?, headers: [String]),
                                file: StaticString = #filePath, line: UInt = #line) throws {
        var answers: [(Vendor, String)] = []
        for subject in Self.subjects where sharing.contains(subject.vendor) {
            let simulator = try rig.simulator(subject.vendor)
            prepare(simulator)
            let request = scenario(subject)
            let answer = try rig.call(subject.tenant, request.method, request.path, request.body, headers: request.headers, file: file, line: line)
            simulator.clearFaults()
            answers.append((subject.vendor, Self.normalized(answer, sent: request.body.flatMap { try? JSONParser.parse(Array($0.utf8)) })))
        }
        XCTAssertEqual(answers.count, sharing.count, label, file: file, line: line)
        let reference = expected ?? answers[0].1
        for (vendor, normalized) in answers {
            XCTAssertEqual(normalized, reference, "\(label): \(vendor.rawValue) differs", file: file, line: line)
        }
    }

    func testRefusalsAreIdenticalOnEveryVendor() throws {
        try assertConforms("unknown member", expected: #"{"status":422,"code":"unsupported_field","pointers":["/color"]}"#) {
            ("PATCH", "/devices/\($0.id)", #"{\#($0.change), "color": "red"}"#, [])
        }
        try assertConforms("not JSON", expected: #"{"status":400,"code":"invalid_request","pointers":[]}"#) {
            ("PATCH", "/devices/\($0.id)", #"{\#($0.change),"#, [])
        }
        try assertConforms("not a JSON body", expected: #"{"status":415,"code":"unsupported_media_type","pointers":[]}"#) {
            ("PATCH", "/devices/\($0.id)", "{\($0.change)}", ["Content-Type: application/xml"])
        }
        try assertConforms("no JSON answer acceptable", expected: #"{"status":406,"code":"not_acceptable","pointers":[]}"#) {
            ("PATCH", "/devices/\($0.id)", "{\($0.change)}", ["Accept: text/csv"])
        }
        try assertConforms("read-only field", expected: #"{"status":422,"code":"unsupported_field","pointers":["/createdAt"]}"#) {
            ("PATCH", "/devices/\($0.id)", #"{\#($0.change), "createdAt": "2026-01-01T00:00:00Z"}"#, [])
        }
        try assertConforms("malformed id", expected: #"{"status":400,"code":"invalid_request","pointers":[]}"#) {
            ("PATCH", "/devices/imei:12345", "{\($0.change)}", [])
        }
        try assertConforms("an id kind the vendor cannot address", sharing: [.controlCenter, .mobileFirstPush, .vodlix],
                           expected: #"{"status":422,"code":"unsupported_field","pointers":["/id"]}"#) { _ in
            ("PATCH", "/devices/imsi:310150123456789", #"{}"#, [])
        }
        try assertConforms("no POST", sharing: [.controlCenter, .mobileFirstPush, .iotSecurity],
                           expected: #"{"status":501,"code":"unsupported_operation","pointers":[]}"#) {
            ("POST", "/devices", #"{\#($0.change)}"#, [])
        }
    }

    func testSuccessIsTheSameShapeOnEveryVendor() throws {
        // The id asked for, the fields sent with the values sent (a bare id comes back typed).
        try assertConforms("update", expected: #"{"status":200,"device":"as sent"}"#) {
            ("PATCH", "/devices/\($0.id)", "{\($0.change)}", [])
        }
        try assertConforms("upsert", sharing: [.gate, .vodlix], expected: #"{"status":201,"device":"as sent"}"#) { subject in
            let id = subject.id.split(separator: ":")
            return ("POST", "/devices", #"{"\#(id[0])": "\#(id[1])", \#(subject.change)}"#, [])
        }
    }

    func testVendorTroubleIsIdenticalOnEveryVendor() throws {
        try assertConforms("vendor 5xx", expected: #"{"status":502,"code":"upstream_error","pointers":[]}"#,
                           prepare: { $0.inject(SimulatorFault(.vendorError(status: 500, errorCode: nil, body: nil, headers: []), pathPrefix: $0.vendor == .mobileFirstPush ? "/imfpush" : nil)) }) {
            ("PATCH", "/devices/\($0.id)", "{\($0.change)}", [])
        }
        try assertConforms("vendor 429", expected: #"{"status":429,"code":"upstream_rate_limited","pointers":[]}"#,
                           prepare: { $0.inject(SimulatorFault(.vendorError(status: 429, errorCode: nil, body: nil, headers: []), pathPrefix: $0.vendor == .mobileFirstPush ? "/imfpush" : nil)) }) {
            ("PATCH", "/devices/\($0.id)", "{\($0.change)}", [])
        }
        try assertConforms("vendor unreachable", expected: #"{"status":503,"code":"upstream_unavailable","pointers":[]}"#,
                           prepare: { $0.inject(SimulatorFault(.reset, count: 4)) }) {
            ("PATCH", "/devices/\($0.id)", "{\($0.change)}", [])
        }
        try assertConforms("unknown device", sharing: [.controlCenter, .gate, .mobileFirstPush],
                           expected: #"{"status":404,"code":"device_not_found","pointers":[]}"#) { subject in
            let unknown = ["cc": "iccid:8988216716970009999", "gate": "imei:111111111111111", "push": "deviceId:nobody"][subject.tenant]!
            return ("PATCH", "/devices/\(unknown)", "{\(subject.change)}", [])
        }
    }

    func testBulkWithOneBadItemIsTheSameOnEveryVendor() throws {
        try assertConforms("bulk, one bad item") { subject in
            ("PATCH", "/devices", #"{"devices": [{"id": "\#(subject.id)", \#(subject.change)}, {"id": "\#(subject.id)", "color": "red"}]}"#, [])
        }
        let answer = try rig.call("iot", "PATCH", "/devices", #"{"devices": [{"id": "imei:356938035643809", "apn": "a"}, {"id": "imei:356938035643809", "color": "red"}]}"#)
        XCTAssertEqual(answer.status, 207)
        XCTAssertEqual(answer.json?[pointer: "/results/1/problem/fields/0/pointer"], .string("/devices/1/color"))
    }

    /// The same client requests before and after the tenant moves from gate to iot-security:
    /// the same answers.
    func testMovingATenantToAnotherVendorChangesNoAnswer() throws {
        let requests: [(method: String, path: String, body: String)] = [
            ("PATCH", "/devices/imei:356938035643809", #"{"msisdn": "+15550100002"}"#),
            ("PATCH", "/devices/imei:356938035643809", #"{"msisdn": "+15550100002", "color": "red"}"#),
            ("PATCH", "/devices/mac:A1B2C3D4E5F6", #"{"msisdn": "+15550100002"}"#),
            ("PATCH", "/devices/356938035643809", #"{"msisdn": "+15550100002"}"#),
            ("PATCH", "/devices", #"{"devices": [{"id": "imei:356938035643809", "msisdn": "+15550100003"}, {"id": "iccid:89014103211118510720", "imsi": "310150123456789"}]}"#),
            ("POST", "/devices/imei:356938035643809", #"{}"#),
        ]
        func answers(_ vendor: Vendor) throws -> [String] {
            let rig = try DeviceTestbed(bindings: [("acme", vendor)])
            defer { rig.stop() }
            return try requests.map { request in
                Self.normalized(try rig.call("acme", request.method, request.path, request.body), sent: JSONValue.parse(request.body))
            }
        }
        let onGate = try answers(.gate)
        let onIoT = try answers(.iotSecurity)
        XCTAssertEqual(onGate, onIoT)
        XCTAssertEqual(onGate.map { $0.prefix(13) }, [#"{"status":200"#, #"{"status":422"#, #"{"status":422"#, #"{"status":400"#, #"{"status":200"#, #"{"status":405"#])
    }
}
