import Foundation
import Switchyard
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardSimulators
import SwitchyardTestSupport
import Synchronization
import XCTest

/// The unified `/devices` API end to end: client → gateway (real TLS) → simulator (real TLS).
/// Each test checks both sides: what the simulator received is the vendor's wire format, and
/// what the client got is the unified answer.
final class DeviceAPITests: XCTestCase {
    static let rig = Shared<DeviceTestbed>()

    var rig: DeviceTestbed {
        get throws {
            try DeviceAPITests.rig.get {
                try DeviceTestbed(extra: ["cc": "vendorQuota: {requests: 1000, perSeconds: 1}, rateLimit: {requests: 1000, perSeconds: 1}"])
            }
        }
    }

    override func setUp() {
        super.setUp()
        (try? rig)?.resetSimulators()
    }

    override class func tearDown() {
        rig.current?.stop()
        rig.reset()
    }

    private func lastRequest(_ vendor: Vendor) throws -> RecordedRequest {
        try XCTUnwrap(try rig.simulator(vendor).recordedRequests().last, "\(vendor) received nothing")
    }

    // MARK: Each vendor's wire format

    func testGateGetsDataAsAJSONStringAndThePasswordNeverComesBack() throws {
        let answer = try rig.call("gate", "POST", "/devices",
                                  #"{"imei": "123456789012345", "user": {"class": "gold \"vip\"", "password": "p\\w\"1é"}}"#)
        XCTAssertEqual(answer.status, 201, answer.text)
        let sent = try lastRequest(.gate)
        XCTAssertEqual(sent.method, "POST")
        XCTAssertEqual(sent.target, "/api/v1/device_app_user_update/")
        XCTAssertEqual(sent.header("authorization"), "Bearer sim-gate-token")
        let outer = JSONValue.parse(sent.bodyText)
        let data = try XCTUnwrap(outer[pointer: "/data"]?.stringValue, "data is a string")
        XCTAssertEqual(JSONValue.parse(data), JSONValue.parse(#"{"imei": "123456789012345", "password": "p\\w\"1é", "user_class": "gold \"vip\""}"#))
        XCTAssertEqual(answer.json?[pointer: "/id"], .string("imei:123456789012345"))
        XCTAssertEqual(answer.json?[pointer: "/user/class"], .string("gold \"vip\""))
        XCTAssertEqual(answer.json?[pointer: "/user/username"], .string("john_doe"), "what gate confirmed")
        XCTAssertFalse(answer.text.contains("p\\\\w"), "the password is write-only")
        XCTAssertNil(answer.json?[pointer: "/user/password"])
        XCTAssertFalse(try rig.gateway.output.contains("p\\w"), "nor logged")
        // The access log has the request (within its 200 ms flush), and no credential.
        let requestID = try XCTUnwrap(answer.header("x-request-id"))
        let deadline = Date().addingTimeInterval(3)
        while try !rig.gateway.accessLog.contains(requestID) && Date() < deadline { usleep(50_000) }
        let line = try XCTUnwrap(try rig.gateway.accessLog.split(separator: "\n").first { $0.contains(requestID) }, "no access log line")
        let entry = JSONValue.parse(String(line))
        XCTAssertEqual(entry[pointer: "/method"], .string("POST"))
        XCTAssertEqual(entry[pointer: "/route"], .string("/devices"))
        XCTAssertEqual(entry[pointer: "/status"], .number("201"))
        XCTAssertEqual(entry[pointer: "/tenant"], .string("gate"))
        XCTAssertEqual(entry[pointer: "/vendor"], .string("gate"))
        XCTAssertEqual(entry[pointer: "/upstreamStatus"], .number("201"))
        XCTAssertEqual(entry[pointer: "/clientAddress"], .string("127.0.0.1"))
        XCTAssertNotNil(entry[pointer: "/time"]?.stringValue?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/))
        XCTAssertNotNil(entry[pointer: "/traceId"]?.stringValue?.wholeMatch(of: /[0-9a-f]{32}/))
        XCTAssertEqual(entry[pointer: "/bytesIn"], .number("\(#"{"imei": "123456789012345", "user": {"class": "gold \"vip\"", "password": "p\\w\"1é"}}"#.utf8.count)"))
        XCTAssertEqual(entry[pointer: "/bytesOut"], .number("\(answer.body.count)"))
        XCTAssertNil(entry[pointer: "/problem"])
        for key in ["upstreamMillis", "durationMillis"] {
            XCTAssertNotNil(entry[pointer: "/\(key)"].flatMap { if case .number = $0 { $0 } else { nil } }, key)
        }
        XCTAssertFalse(try rig.gateway.accessLog.contains(rig.token("gate")), "no token in the access log")
        XCTAssertFalse(try rig.gateway.accessLog.contains("p\\w"), "no password in the access log")
    }

    func testControlCenterPutsByICCIDAndAFutureChangeIs202() throws {
        let answer = try rig.call("cc", "PATCH", "/devices/8988216716970004975", #"{"sim": {"status": "DEACTIVATED", "ratePlan": "Standard 5GB"}, "custom": {"accountCustom2": "blue"}}"#)
        XCTAssertEqual(answer.status, 200, answer.text)
        XCTAssertEqual(answer.json, JSONValue.parse(#"{"id": "iccid:8988216716970004975", "iccid": "8988216716970004975", "sim": {"status": "DEACTIVATED", "ratePlan": "Standard 5GB"}, "custom": {"accountCustom2": "blue"}}"#))
        let sent = try lastRequest(.controlCenter)
        XCTAssertEqual(sent.method, "PUT")
        XCTAssertEqual(sent.target, "/rws/api/v1/devices/8988216716970004975")
        XCTAssertEqual(sent.header("authorization"), "Basic " + Data("sim-cc-user:sim-cc-api-key".utf8).base64EncodedString())
        XCTAssertEqual(JSONValue.parse(sent.bodyText), JSONValue.parse(#"{"status": "DEACTIVATED", "ratePlan": "Standard 5GB", "accountCustom2": "blue"}"#))

        let encoded = try rig.call("cc", "PATCH", "/devices/iccid%3A8988216716970004975", #"{"sim": {"ratePlan": "Standard 1GB"}}"#)
        XCTAssertEqual(encoded.status, 200, "a percent-encoded id is decoded: \(encoded.text)")
        XCTAssertEqual(encoded.json?[pointer: "/id"], .string("iccid:8988216716970004975"))
        let sentBefore = try rig.simulator(.controlCenter).recordedRequests().count
        for bad in ["iccid%3A89%ZZ", "iccid:8988216716970004975%", "%FF8988216716970004975"] {
            let badlyEncoded = try rig.call("cc", "PATCH", "/devices/" + bad, #"{"sim": {"ratePlan": "Standard 1GB"}}"#)
            XCTAssertEqual(badlyEncoded.status, 400, bad)
            XCTAssertEqual(badlyEncoded.code, "invalid_request", bad)
            XCTAssertEqual(badlyEncoded.json?[pointer: "/detail"], .string("The device id in the path is not valid percent-encoded UTF-8."), bad)
        }
        XCTAssertEqual(try rig.simulator(.controlCenter).recordedRequests().count, sentBefore, "nothing reached the vendor")

        let future = RFC3339.utcString(secondsSince1970: Date().timeIntervalSince1970 + 30 * 86400)
        let scheduled = try rig.call("cc", "PATCH", "/devices/iccid:8988216716970004975", #"{"sim": {"status": "ACTIVATED"}, "effectiveAt": "\#(future)"}"#)
        XCTAssertEqual(scheduled.status, 202, scheduled.text)
        XCTAssertEqual(JSONValue.parse(try lastRequest(.controlCenter).bodyText)[pointer: "/effectiveDate"], .string(future))

        let tooFar = RFC3339.utcString(secondsSince1970: Date().timeIntervalSince1970 + 181 * 86400)
        let before = try rig.simulator(.controlCenter).recordedRequests().count
        let refused = try rig.call("cc", "PATCH", "/devices/iccid:8988216716970004975", #"{"sim": {"status": "ACTIVATED"}, "effectiveAt": "\#(tooFar)"}"#)
        XCTAssertEqual(refused.status, 422)
        XCTAssertEqual(refused.code, "validation_failed")
        XCTAssertEqual(refused.pointers, ["/effectiveAt"])
        XCTAssertEqual(try rig.simulator(.controlCenter).recordedRequests().count, before, "nothing reached the vendor")
    }

    /// API.md §2: `msisdn` is 6 to 15 digits, optionally after a `+`; sent as the client gave it, in
    /// single updates, bulk items and typed ids, and the vendor's own spelling comes back as it is.
    func testPhoneNumbersWithoutAPlusAreSentAsGiven() throws {
        let push = try rig.call("push", "PATCH", "/devices/12345-6789", #"{"msisdn": "123456789"}"#)
        XCTAssertEqual(push.status, 200, push.text)
        XCTAssertEqual(push.json?[pointer: "/msisdn"], .string("123456789"), "MobileFirst's own example comes back")
        XCTAssertEqual(JSONValue.parse(try lastRequest(.mobileFirstPush).bodyText)[pointer: "/phoneNumber"], .string("123456789"))

        let gate = try rig.call("gate", "PATCH", "/devices/imei:356938035643809", #"{"msisdn": "15550003333"}"#)
        XCTAssertEqual(gate.status, 200, gate.text)
        let data = try XCTUnwrap(JSONValue.parse(try lastRequest(.gate).bodyText)[pointer: "/data"]?.stringValue)
        XCTAssertEqual(JSONValue.parse(data)[pointer: "/number"], .string("15550003333"))
        let byNumber = try rig.call("gate", "PATCH", "/devices/msisdn:15550003333", #"{"user": {"class": "gold"}}"#)
        XCTAssertEqual(byNumber.status, 200, byNumber.text)
        XCTAssertEqual(byNumber.json?[pointer: "/id"], .string("msisdn:15550003333"))

        let bulk = try rig.call("iot", "PATCH", "/devices", #"{"devices": [{"id": "msisdn:15550003333", "apn": "a"}, {"id": "imei:356938035643809", "msisdn": "4915112345678"}]}"#)
        XCTAssertEqual(bulk.status, 207, "the simulator knows no device by that number: one of two updated, count only")
        let items = try XCTUnwrap(JSONValue.parse(try lastRequest(.iotSecurity).bodyText)[pointer: "/devicelist"]?.arrayValue)
        XCTAssertEqual(items.map { $0[pointer: "/msisdn"] }, [.string("15550003333"), .string("4915112345678")])
    }

    /// A value the vendor confirms that breaks its field's rule (a phone number of words, a
    /// two-digit IMSI: a gate user stored before the rules, say) never reaches the client: the
    /// answer states the fields that keep their rules and what was sent, not the vendor's word for
    /// everything.
    func testAConfirmedValueThatBreaksItsRuleIsLeftOutOfTheAnswer() throws {
        try rig.simulator(.gate).seed(json: #"{"users": [{"imei": "356938035643811", "number": "call me", "imsi": "12", "username": "kept_user"}]}"#)
        let answer = try rig.call("gate", "PATCH", "/devices/imei:356938035643811", #"{"user": {"class": "gold"}}"#)
        XCTAssertEqual(answer.status, 200, answer.text)
        XCTAssertEqual(answer.json, JSONValue.parse(#"{"id": "imei:356938035643811", "imei": "356938035643811", "user": {"username": "kept_user", "class": "gold"}}"#))
        let record = try XCTUnwrap(JSONValue.parse(rig.simulator(.gate).stateJSON())[pointer: "/users"]?.arrayValue?
            .first { $0[pointer: "/imei"] == .string("356938035643811") })
        XCTAssertEqual(record[pointer: "/number"], .string("call me"), "the vendor keeps what it has; only the answer leaves it out")
    }

    /// A problem's `detail` is written for people: no Swift type or enum dump reaches a client.
    func testProblemDetailsAreWrittenForPeople() throws {
        let malformed = try rig.call("push", "PATCH", "/devices/msisdn:12", #"{"push": {"token": "t"}}"#)
        XCTAssertEqual(malformed.status, 400)
        XCTAssertEqual(malformed.json?[pointer: "/detail"], .string("The msisdn identifier is malformed: 6 to 15 digits, optionally after a +."))

        let huge = #"{"errorCode": "10000005", "errorMessage": "\#(String(repeating: "x", count: 1_100_000))"}"#
        try rig.simulator(.controlCenter).inject(SimulatorFault(.vendorError(status: 400, errorCode: "10000005", body: huge, headers: [])))
        let tooLarge = try rig.call("cc", "PATCH", "/devices/iccid:8988216716970004975", #"{"sim": {"ratePlan": "Standard 5GB"}}"#)
        XCTAssertEqual(tooLarge.status, 502)
        XCTAssertEqual(tooLarge.json?[pointer: "/detail"],
                       .string("The vendor's answer could not be read: malformed response: the body is larger than the limit."))
        for answer in [malformed, tooLarge] {
            XCTAssertFalse(answer.text.contains("Switchyard") || answer.text.contains("Violation") || answer.text.contains("("), answer.text)
        }
    }

    func testMobileFirstFetchesOneTokenAndRefetchesOnceWhenRefused() throws {
        let first = try rig.call("push", "PATCH", "/devices/12345-6789", #"{"user": {"id": "alice"}, "msisdn": "+15550100002"}"#)
        XCTAssertEqual(first.status, 200, first.text)
        XCTAssertEqual(first.json?[pointer: "/id"], .string("deviceId:12345-6789"))
        XCTAssertEqual(first.json?[pointer: "/push/platform"], .string("A"))
        XCTAssertEqual(first.json?[pointer: "/user/id"], .string("alice"))
        XCTAssertNotNil(first.json?[pointer: "/updatedAt"]?.stringValue)
        _ = try rig.call("push", "PATCH", "/devices/deviceId:12345-6789", #"{"push": {"token": "t2"}}"#)
        var requests = try rig.simulator(.mobileFirstPush).recordedRequests()
        XCTAssertEqual(requests.map(\.target), ["/mfp/api/az/v1/token", "/imfpush/v1/apps/myapp/devices/12345-6789",
                                                "/imfpush/v1/apps/myapp/devices/12345-6789"], "one token for both calls")
        XCTAssertEqual(requests[0].bodyText, "grant_type=client_credentials&scope=devices.write+push.application.myapp")
        XCTAssertEqual(requests[0].header("authorization"), "Basic " + Data("sim-push-client:sim-push-secret".utf8).base64EncodedString())
        XCTAssertEqual(JSONValue.parse(requests[1].bodyText), JSONValue.parse(#"{"deviceId": "12345-6789", "phoneNumber": "+15550100002", "userId": "alice"}"#))

        // The vendor forgets the token: the gateway fetches a new one once and retries.
        try rig.simulator(.mobileFirstPush).clearRecordedRequests()
        try rig.simulator(.mobileFirstPush).inject(SimulatorFault(.vendorError(status: 401, errorCode: nil, body: nil, headers: []), pathPrefix: "/imfpush"))
        let retried = try rig.call("push", "PATCH", "/devices/12345-6789", #"{"user": {"id": "bob"}}"#)
        XCTAssertEqual(retried.status, 200, retried.text)
        requests = try rig.simulator(.mobileFirstPush).recordedRequests()
        XCTAssertEqual(requests.map(\.target), ["/imfpush/v1/apps/myapp/devices/12345-6789", "/mfp/api/az/v1/token",
                                                "/imfpush/v1/apps/myapp/devices/12345-6789"])
    }

    func testConcurrentRequestsShareOneTokenFetch() throws {
        let rig = try DeviceTestbed(bindings: [("push", .mobileFirstPush)])
        defer { rig.stop() }
        rig.simulator(.mobileFirstPush).inject(SimulatorFault(.delay(seconds: 0.3), pathPrefix: "/mfp"))
        let statuses = Mutex([Int]())
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            let status = (try? rig.call("push", "PATCH", "/devices/12345-6789", #"{"user": {"id": "u\#(index)"}}"#))?.status ?? -1
            statuses.withLock { $0.append(status) }
        }
        XCTAssertEqual(statuses.withLock { $0 }, Array(repeating: 200, count: 8))
        XCTAssertEqual(rig.simulator(.mobileFirstPush).recordedRequests().filter { $0.target.hasPrefix("/mfp") }.count, 1,
                       "one token fetch while the others waited")
    }

    func testVodlixNeedsSixFieldsAndBannedDevicesAre403() throws {
        let missing = try rig.call("vodlix", "PATCH", "/devices/A1B2C3D4E5F6", #"{"app": {"version": "3.0"}}"#)
        XCTAssertEqual(missing.status, 422)
        XCTAssertEqual(missing.code, "validation_failed")
        XCTAssertEqual(Set(missing.pointers), ["/platform/os", "/platform/osVersion", "/platform/type", "/app/name"])
        XCTAssertTrue(try rig.simulator(.vodlix).recordedRequests().isEmpty)

        let banned = try rig.call("vodlix", "PATCH", "/devices/de:ad:be:ef:00:01",
                                  #"{"platform": {"os": "Android", "osVersion": "14", "type": "STB"}, "app": {"name": "A", "version": "1"}}"#)
        XCTAssertEqual(banned.status, 403)
        XCTAssertEqual(banned.code, "device_banned")
        XCTAssertEqual(banned.json?[pointer: "/upstream/status"], .number("400"))
        let sent = try lastRequest(.vodlix)
        XCTAssertEqual(sent.header("cookie"), "PHPSESSID=sim-vodlix-session")
        XCTAssertEqual(JSONValue.parse(sent.bodyText), JSONValue.parse(
            #"{"mac_address": "DEADBEEF0001", "device_os": "Android", "device_version": "14", "device_type": "STB", "app_version": "1", "app_name": "A"}"#))
    }

    func testIoTSecurityBulkIsOneCallAndACountOnlyAnswerClaimsNothing() throws {
        let body = #"{"devices": [{"id": "imei:356938035643809", "session": {"event": "Start"}}, {"id": "iccid:89014103211118510720", "ipv4": "10.0.0.9"}]}"#
        let all = try rig.call("iot", "PATCH", "/devices", body)
        XCTAssertEqual(all.status, 200, all.text)
        XCTAssertEqual(all.json, JSONValue.parse(#"""
            {"results": [{"id": "imei:356938035643809", "status": 200, "device": {"id": "imei:356938035643809", "imei": "356938035643809", "session": {"event": "Start"}}},
                         {"id": "iccid:89014103211118510720", "status": 200, "device": {"id": "iccid:89014103211118510720", "iccid": "89014103211118510720", "ipv4": "10.0.0.9"}}],
             "succeeded": 2, "failed": 0}
            """#))
        let sent = try lastRequest(.iotSecurity)
        XCTAssertEqual(sent.method, "PUT")
        XCTAssertEqual(sent.target, "/pub/v4.0/device/bulkUpdate?customerid=sim-tenant&updateSource=cellular")
        XCTAssertEqual(sent.header("x-key-id"), "sim-iot-key-id")
        XCTAssertEqual(sent.header("x-access-key"), "sim-iot-access-key")
        XCTAssertEqual(JSONValue.parse(sent.bodyText), JSONValue.parse(
            #"{"devicelist": [{"imei": "356938035643809", "SessionEvtType": "Start"}, {"iccid": "89014103211118510720", "ipAddress": "10.0.0.9"}]}"#))

        let partial = try rig.call("iot", "PATCH", "/devices", #"{"devices": [{"id": "imei:356938035643809", "apn": "a"}, {"id": "imei:490154203237519", "apn": "b"}]}"#)
        XCTAssertEqual(partial.status, 207, partial.text)
        XCTAssertEqual(partial.json?[pointer: "/results/0/status"], .number("202"))
        XCTAssertEqual(partial.json?[pointer: "/results/1/status"], .number("202"))
        XCTAssertEqual(partial.json?[pointer: "/succeeded"], .number("1"))
        XCTAssertEqual(partial.json?[pointer: "/failed"], .number("1"))
    }

    func testFannedOutBulkKeepsRequestOrderAndPerItemProblems() throws {
        let answer = try rig.call("cc", "PATCH", "/devices", #"""
            {"devices": [{"id": "iccid:8988216716970004975", "sim": {"status": "ACTIVATED"}},
                         {"id": "iccid:8988216716970009999", "sim": {"status": "ACTIVATED"}},
                         {"id": "imei:356938035643809", "sim": {"status": "ACTIVATED"}},
                         {"sim": {"status": "ACTIVATED"}},
                         {"id": "iccid:89011704252318147060", "sim": {"status": "NOPE"}}]}
            """#)
        XCTAssertEqual(answer.status, 207, answer.text)
        let results = try XCTUnwrap(answer.json?[pointer: "/results"]?.arrayValue)
        XCTAssertEqual(results.map { $0[pointer: "/status"] }, [200, 404, 422, 400, 422].map { .number("\($0)") })
        XCTAssertEqual(results[1][pointer: "/problem/code"], .string("device_not_found"))
        XCTAssertEqual(results[1][pointer: "/problem/upstream/code"], .string("20000001"))
        XCTAssertEqual(results[2][pointer: "/problem/code"], .string("unsupported_field"))
        XCTAssertEqual(results[2][pointer: "/problem/fields/0/pointer"], .string("/devices/2/id"))
        XCTAssertEqual(results[3][pointer: "/problem/fields/0/pointer"], .string("/devices/3/id"))
        XCTAssertEqual(results[4][pointer: "/problem/fields/0/pointer"], .string("/devices/4/sim/status"))
        XCTAssertEqual(answer.json?[pointer: "/succeeded"], .number("1"))
        XCTAssertEqual(answer.json?[pointer: "/failed"], .number("4"))
        XCTAssertEqual(try rig.simulator(.controlCenter).recordedRequests().count, 2, "only the two valid items were sent")
    }

    // MARK: Refused before sending

    func testEachRefusalIsTheRightProblemAndNothingReachesTheVendor() throws {
        let cases: [(tenant: String, method: String, path: String, body: String?, headers: [String], status: Int, code: String, pointers: [String])] = [
            ("cc", "POST", "/devices", #"{"iccid": "8988216716970004975"}"#, [], 501, "unsupported_operation", []),
            ("cc", "PATCH", "/devices/iccid:8988216716970004975", #"{"mac": "A1B2C3D4E5F6", "color": "red"}"#, [], 422, "unsupported_field", ["/color", "/mac"]),
            ("cc", "PATCH", "/devices/iccid:8988216716970004975", #"{"iccid": "8988216716970004976"}"#, [], 422, "unsupported_field", ["/iccid"]),
            ("cc", "PATCH", "/devices/iccid:8988216716970004975", #"{"sim": {"status": null}}"#, [], 422, "unsupported_field", ["/sim/status"]),
            ("cc", "PATCH", "/devices/iccid:8988216716970004975", #"{"state": {"active": true}}"#, [], 422, "unsupported_field", ["/state/active"]),
            ("cc", "PATCH", "/devices/iccid:8988216716970004975", #"{"sim": {"status": 5}}"#, [], 400, "invalid_request", ["/sim/status"]),
            ("cc", "PATCH", "/devices/iccid:8988216716970004975", #"{"sim": {"overageLimitOverride": "x"}, "ipv4": "1.2.3"}"#, [], 422, "validation_failed", ["/sim/overageLimitOverride", "/ipv4"]),
            ("cc", "PATCH", "/devices/iccid:8988216716970004975", #"{"sim": {"status": "ACTIVATED",}}"#, [], 400, "invalid_request", []),
            ("cc", "PATCH", "/devices/iccid:123", "{}", [], 400, "invalid_request", []),
            ("cc", "PATCH", "/devices/serial:123", "{}", [], 400, "invalid_request", []),
            ("cc", "PATCH", "/devices/iccid%3A89882167169700049%ZZ", "{}", [], 400, "invalid_request", []),
            ("cc", "PATCH", "/devices/iccid:8988216716970004975", "{}", [], 422, "validation_failed", [""]),
            ("cc", "PATCH", "/devices/iccid:8988216716970004975", #"{"sim": {"status": "ACTIVATED"}}"#, ["Content-Type: text/plain"], 415, "unsupported_media_type", []),
            ("cc", "PATCH", "/devices/iccid:8988216716970004975", #"{"sim": {"status": "ACTIVATED"}}"#, ["Accept: text/html"], 406, "not_acceptable", []),
            ("cc", "PATCH", "/devices/iccid:8988216716970004975", nil, [], 400, "invalid_request", []),
            ("gate", "PATCH", "/devices/123456789012345", "{}", [], 400, "invalid_request", []),
            ("gate", "PATCH", "/devices/mac:A1B2C3D4E5F6", #"{"msisdn": "+15550100002"}"#, [], 422, "unsupported_field", ["/id"]),
            ("gate", "POST", "/devices", #"{"user": {"class": "gold"}}"#, [], 422, "validation_failed", [""]),
            ("push", "PATCH", "/devices/12345-6789", #"{"user": {"id": "\#(String(repeating: "u", count: 255))"}}"#, [], 422, "validation_failed", ["/user/id"]),
            ("iot", "PATCH", "/devices", #"{"devices": {}}"#, [], 400, "invalid_request", ["/devices"]),
            ("iot", "PATCH", "/devices", #"{"devices": [], "extra": 1}"#, [], 422, "unsupported_field", ["/extra"]),
        ]
        for testCase in cases {
            let answer = try rig.call(testCase.tenant, testCase.method, testCase.path, testCase.body, headers: testCase.headers)
            let label = "\(testCase.tenant) \(testCase.method) \(testCase.path) \(testCase.body ?? "")"
            XCTAssertEqual(answer.status, testCase.status, label + " → " + answer.text)
            XCTAssertEqual(answer.code, testCase.code, label)
            XCTAssertEqual(answer.header("content-type"), "application/problem+json", label)
            XCTAssertEqual(answer.pointers, testCase.pointers, label)
            if testCase.tenant == "cc" { XCTAssertNotNil(answer.header("ratelimit-policy"), label) }
        }
        for simulator in try rig.simulators.values {
            XCTAssertTrue(simulator.recordedRequests().isEmpty, "\(simulator.vendor) received \(simulator.recordedRequests().map(\.target))")
        }
    }

    func testBulkOverTheLimitIs413AndGzipBothWays() throws {
        let rig = try DeviceTestbed(limits: "maxBulkDevices: 3", bindings: [("iot", .iotSecurity)])
        defer { rig.stop() }
        let four = #"{"devices": [\#((0..<4).map { _ in #"{"id": "imei:356938035643809", "apn": "a"}"# }.joined(separator: ","))]}"#
        let refused = try rig.call("iot", "PATCH", "/devices", four)
        XCTAssertEqual(refused.status, 413)
        XCTAssertEqual(refused.code, "payload_too_large")
        XCTAssertTrue(rig.simulator(.iotSecurity).recordedRequests().isEmpty)

        let three = #"{"devices": [\#((0..<3).map { _ in #"{"id": "imei:356938035643809", "apn": "\#(String(repeating: "a", count: 300))"}"# }.joined(separator: ","))]}"#
        let body = GzipEncoder().compress(Array(three.utf8))
        let client = try rig.gateway.client()
        _ = client.send(Array(("PATCH /devices HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(rig.token("iot"))\r\n"
            + "Content-Type: application/json\r\nContent-Encoding: gzip\r\nAccept-Encoding: gzip\r\nContent-Length: \(body.count)\r\n\r\n").utf8) + body)
        let response = try XCTUnwrap(client.readResponse(timeout: 10))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("content-encoding"), "gzip", "the answer is over 1 KiB")
        let inflated = try GzipDecoder().decompress(response.body, limit: 1 << 20)
        XCTAssertEqual(JSONValue.parse(String(decoding: inflated, as: UTF8.self))[pointer: "/succeeded"], .number("3"))
    }

    // MARK: The vendor's trouble, the client's problem

    func testTransportFailuresAndVendorErrorsMapToTheirProblems() throws {
        let path = "/devices/iccid:8988216716970004975"
        let body = #"{"sim": {"status": "ACTIVATED"}}"#
        let cc = try rig.simulator(.controlCenter)
        let cases: [(fault: SimulatorFault.Kind, status: Int, code: String, retryAfter: String?)] = [
            (.vendorError(status: 500, errorCode: "30000001", body: nil, headers: []), 502, "upstream_error", nil),
            (.vendorError(status: 503, errorCode: nil, body: "<html>down</html>", headers: []), 502, "upstream_error", nil),
            (.vendorError(status: 429, errorCode: nil, body: nil, headers: [SimulatorHeader(name: "Retry-After", value: "7")]), 429, "upstream_rate_limited", "7"),
            (.vendorError(status: 401, errorCode: "10000001", body: nil, headers: []), 502, "upstream_auth_failed", nil),
            (.vendorError(status: 400, errorCode: "10000517", body: nil, headers: []), 409, "conflict", nil),
            (.vendorError(status: 418, errorCode: nil, body: nil, headers: []), 502, "upstream_error", nil),
            // Twice: a reset on a reused connection is retried once (PUT is idempotent).
            (.reset, 503, "upstream_unavailable", "1"),
            (.garbage(byteCount: 64), 502, "upstream_error", nil),
            (.closeMidBody, 502, "upstream_error", nil),
            (.delay(seconds: 3), 504, "upstream_timeout", nil),
        ]
        for testCase in cases {
            cc.inject(SimulatorFault(testCase.fault, count: testCase.fault == .reset ? 2 : 1))
            let answer = try rig.call("cc", "PATCH", path, body)
            XCTAssertEqual(answer.status, testCase.status, "\(testCase.fault): \(answer.text)")
            XCTAssertEqual(answer.code, testCase.code, "\(testCase.fault)")
            XCTAssertEqual(answer.header("retry-after"), testCase.retryAfter, "\(testCase.fault)")
            XCTAssertNotEqual(answer.status, 500, "a vendor's fault is never a gateway 500")
            cc.clearFaults()
        }
        // The undocumented answers (503 with HTML, 418) were counted; so were the failures.
        let metrics = TestEnvironment.run("curl", ["-s", "http://127.0.0.1:\(try rig.gateway.adminPort)/metrics"]).output
        let undocumented = metrics.split(separator: "\n").first { $0.hasPrefix("switchyard_vendor_undocumented_answers_total ") }
        XCTAssertGreaterThanOrEqual(Int(undocumented?.split(separator: " ").last ?? "") ?? 0, 2, metrics)
        XCTAssertTrue(metrics.contains("switchyard_upstream_failures_total{kind=\"timeout\"}"), metrics)
    }

    func testTheVendorQuotaAnswers429ItselfWithRetryAfter() throws {
        let rig = try DeviceTestbed(extra: ["cc": "vendorQuota: {requests: 2, perSeconds: 60}"], bindings: [("cc", .controlCenter)])
        defer { rig.stop() }
        let statuses = try (0..<3).map { _ in try rig.call("cc", "PATCH", "/devices/8988216716970004975", #"{"sim": {"ratePlan": "Standard 5GB"}}"#) }
        XCTAssertEqual(statuses.map(\.status), [200, 200, 429])
        XCTAssertEqual(statuses[2].code, "upstream_rate_limited")
        XCTAssertEqual(statuses[2].header("retry-after"), "30")
        XCTAssertEqual(rig.simulator(.controlCenter).recordedRequests().count, 2, "the third never left the gateway")
    }

    /// API.md §7: with `maxWaitSeconds`, a call that finds the quota spent waits for its slot, in
    /// arrival order, instead of failing; one whose slot would come too late is refused at once.
    func testAVendorQuotaWithAWaitPacesCallsAndRefusesOnlyWhatWouldWaitTooLong() throws {
        let rig = try DeviceTestbed(extra: ["cc": "vendorQuota: {requests: 1, perSeconds: 1, maxWaitSeconds: 1.5}"],
                                    bindings: [("cc", .controlCenter)])
        defer { rig.stop() }
        _ = rig.token("cc")
        // Slots every second: 0 and 1 are within the wait; the third's (2 s) is not, by half a second.
        let answers = Mutex<[(status: Int, retryAfter: String?, seconds: Double)]>([])
        let started = Date()
        // A thread per call (concurrentPerform would run only as many at once as there are CPUs).
        let done = DispatchGroup()
        for _ in 0..<3 {
            done.enter()
            Thread.detachNewThread {
                let answer = try? rig.call("cc", "PATCH", "/devices/8988216716970004975", #"{"sim": {"ratePlan": "Standard 5GB"}}"#)
                answers.withLock { $0.append((answer?.status ?? 0, answer?.header("retry-after"), Date().timeIntervalSince(started))) }
                done.leave()
            }
        }
        XCTAssertEqual(done.wait(timeout: .now() + 20), .success)
        let all = answers.withLock { $0 }.sorted { $0.seconds < $1.seconds }
        XCTAssertEqual(all.map(\.status).sorted(), [200, 200, 429], "\(all)")
        let refused = try XCTUnwrap(all.first { $0.status == 429 })
        XCTAssertEqual(refused.retryAfter, "2", "its slot was 2 s away")
        let served = all.filter { $0.status == 200 }.map(\.seconds)
        XCTAssertGreaterThanOrEqual(served[1] - served[0], 0.9, "two calls one slot (1 s) apart: \(all)")
        XCTAssertEqual(rig.simulator(.controlCenter).recordedRequests().count, 2)
    }

    /// API.md §7's "Done when": a bulk update of 500 devices for a vendor account that takes 5 calls a
    /// second is paced through the quota, one call every 200 ms for about 100 s, instead of failing 495
    /// items: every item is answered by the vendor, in request order.
    func testABulkOf500IsPacedThroughAFivePerSecondQuota() throws {
        let rig = try DeviceTestbed(limits: "upstreamTimeoutSeconds: 2, maxBulkDevices: 500",
                                    extra: ["cc": "vendorQuota: {requests: 5, perSeconds: 1, burst: 1}"],
                                    bindings: [("cc", .controlCenter)], vendorLimits: false)
        defer { rig.stop() }
        /// ICCIDs the simulator knows: 18 digits and a Luhn check digit.
        let iccids = (0..<500).map { index -> String in
            let digits = "8988216716970" + String(100_000 + index).dropFirst()
            let sum = digits.reversed().enumerated().reduce(0) { sum, pair in
                let digit = Int(String(pair.element))!
                let doubled = pair.offset % 2 == 0 ? digit * 2 : digit
                return sum + (doubled > 9 ? doubled - 9 : doubled)
            }
            return digits + String((10 - sum % 10) % 10)
        }
        let simulator = rig.simulator(.controlCenter)
        try simulator.seed(json: #"{"devices": ["# + iccids.map { #"{"iccid": "\#($0)"}"# }.joined(separator: ", ") + "]}")
        let body = #"{"devices": ["# + iccids.map { #"{"id": "iccid:\#($0)", "sim": {"ratePlan": "Standard 5GB"}}"# }
            .joined(separator: ", ") + "]}"
        _ = rig.token("cc")
        let started = Date()
        let answer = try rig.call("cc", "PATCH", "/devices", body, timeout: 150)
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(answer.status, 200, answer.text.prefix(600).description)
        let results = answer.json?.objectValue?["results"]?.arrayValue ?? []
        XCTAssertEqual(results.count, 500)
        XCTAssertEqual(results.compactMap { $0.objectValue?["status"]?.intValue }.filter { $0 == 200 }.count, 500)
        XCTAssertEqual(results.compactMap { $0.objectValue?["id"]?.stringValue }, iccids.map { "iccid:" + $0 }, "request order")
        XCTAssertEqual(answer.json?.objectValue?["succeeded"]?.intValue, 500)
        XCTAssertEqual(simulator.statistics().requests, 500, "one vendor call per device, none refused")
        XCTAssertGreaterThanOrEqual(seconds, 99, "paced at 5 a second")
        XCTAssertEqual(rig.gateway.metric(#"switchyard_rate_limit_decisions_total{tenant="cc",policy="vendor",decision="admitted"}"#), 500)
    }

    /// Calls `count` PATCHes of the cc tenant at once, a thread each; their answers in the order they came.
    private func concurrentUpdates(_ rig: DeviceTestbed, count: Int) -> [(status: Int, code: String?, retryAfter: String?, seconds: Double)] {
        _ = rig.token("cc")
        let answers = Mutex<[(status: Int, code: String?, retryAfter: String?, seconds: Double)]>([])
        let started = Date()
        // A thread per call (concurrentPerform would run only as many at once as there are CPUs).
        let done = DispatchGroup()
        for _ in 0..<count {
            done.enter()
            Thread.detachNewThread {
                let answer = try? rig.call("cc", "PATCH", "/devices/8988216716970004975", #"{"sim": {"ratePlan": "Standard 5GB"}}"#)
                answers.withLock { $0.append((answer?.status ?? 0, answer?.code, answer?.header("retry-after"), Date().timeIntervalSince(started))) }
                done.leave()
            }
        }
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        return answers.withLock { $0 }.sorted { $0.seconds < $1.seconds }
    }

    /// API.md §7's `vendorConcurrency`: calls beyond the cap wait in a queue for a slot, so a slow
    /// vendor never sees more in flight than the cap, and every call is still served.
    func testAConcurrencyCapQueuesCallsAndTheVendorNeverSeesMoreInFlight() throws {
        let rig = try DeviceTestbed(limits: "upstreamTimeoutSeconds: 5", extra: ["cc": "vendorConcurrency: {limit: 2, maxWaitSeconds: 10}"],
                                    bindings: [("cc", .controlCenter)])
        defer { rig.stop() }
        let simulator = rig.simulator(.controlCenter)
        // Half a second each, two at a time: within the simulator's own 5 calls per second.
        simulator.inject(SimulatorFault(.delay(seconds: 0.5), count: 6))
        let answers = concurrentUpdates(rig, count: 6)
        XCTAssertEqual(answers.map(\.status), Array(repeating: 200, count: 6), "\(answers)")
        XCTAssertEqual(simulator.statistics().maxInFlight, 2, "the cap, and the queue kept it full")
        XCTAssertEqual(simulator.statistics().inFlight, 0)
        XCTAssertGreaterThanOrEqual(answers.last?.seconds ?? 0, 1.4, "6 calls of 0.5 s two at a time: \(answers)")
        XCTAssertEqual(rig.gateway.metric(#"switchyard_rate_limit_decisions_total{tenant="cc",policy="concurrency",decision="admitted"}"#), 6)
        XCTAssertEqual(rig.gateway.metric(#"switchyard_vendor_quota_wait_seconds_count{tenant="cc",policy="concurrency"}"#), 6)
    }

    /// A full queue refuses at once, 429 `upstream_rate_limited` with `Retry-After`, and the vendor
    /// never sees the refused call; a cap without a wait refuses whatever finds every slot taken.
    func testAConcurrencyCapRefusesWhatTheQueueCannotHold() throws {
        let rig = try DeviceTestbed(limits: "upstreamTimeoutSeconds: 5",
                                    extra: ["cc": "vendorConcurrency: {limit: 1, maxWaitSeconds: 5, maxQueue: 1}"],
                                    bindings: [("cc", .controlCenter)])
        defer { rig.stop() }
        let simulator = rig.simulator(.controlCenter)
        simulator.inject(SimulatorFault(.delay(seconds: 0.6), count: 3))
        let answers = concurrentUpdates(rig, count: 3)
        XCTAssertEqual(answers.map(\.status), [429, 200, 200], "one in flight, one waiting, one refused: \(answers)")
        XCTAssertEqual(answers[0].code, "upstream_rate_limited")
        XCTAssertEqual(answers[0].retryAfter, "1")
        XCTAssertLessThan(answers[0].seconds, 0.5, "refused at once, not after a wait: \(answers)")
        XCTAssertEqual(simulator.recordedRequests().count, 2, "the refused call never left the gateway")
        XCTAssertEqual(simulator.statistics().maxInFlight, 1)
        XCTAssertEqual(rig.gateway.metric(#"switchyard_rate_limit_decisions_total{tenant="cc",policy="concurrency",decision="refused"}"#), 1)
    }

    /// API.md §7: a vendor that keeps failing is not called while its tenant's circuit is open
    /// (503 at once, `Retry-After` the seconds left); then one probe goes, and its success closes it.
    /// Each transition is logged and `switchyard_circuit_state` follows.
    func testTheCircuitOpensOnFailuresRefusesWithoutCallingThenAProbeClosesIt() throws {
        let rig = try DeviceTestbed(extra: ["cc": "circuitBreaker: {failureRatio: 0.5, minimumCalls: 3, windowSeconds: 10, openSeconds: 1}"],
                                    bindings: [("cc", .controlCenter)])
        defer { rig.stop() }
        let simulator = rig.simulator(.controlCenter)
        func update() throws -> DeviceTestbed.Answer {
            try rig.call("cc", "PATCH", "/devices/8988216716970004975", #"{"sim": {"ratePlan": "Standard 5GB"}}"#)
        }
        func state() -> Int? { rig.gateway.metric(#"switchyard_circuit_state{tenant="cc"}"#) }
        XCTAssertEqual(state(), 0)
        simulator.inject(SimulatorFault(.vendorError(status: 500, errorCode: nil, body: nil, headers: []), count: 3))
        XCTAssertEqual(try (0..<3).map { _ in try update().status }, [502, 502, 502])
        XCTAssertEqual(state(), 2)
        // Open: answered at once, and the vendor sees nothing.
        let refused = try update()
        XCTAssertEqual(refused.status, 503)
        XCTAssertEqual(refused.code, "upstream_unavailable")
        XCTAssertEqual(refused.header("retry-after"), "1")
        XCTAssertEqual(simulator.recordedRequests().count, 3)
        // A vendor 4xx is the vendor answering: it never counts as a failure (checked after the probe).
        usleep(1_100_000)
        XCTAssertEqual(try update().status, 200, "the probe")
        XCTAssertEqual(state(), 0)
        XCTAssertEqual(simulator.recordedRequests().count, 4)
        simulator.inject(SimulatorFault(.vendorError(status: 404, errorCode: nil, body: nil, headers: []), count: 3))
        _ = try (0..<3).map { _ in try update() }
        XCTAssertEqual(state(), 0, "vendor 4xx answers leave the circuit closed")
        XCTAssertTrue(eventually { rig.gateway.output.contains("circuit of tenant cc closed: the probe call succeeded") }, rig.gateway.output)
        XCTAssertTrue(rig.gateway.output.contains("circuit of tenant cc open for 1.0 s: 3 of the last 3 calls failed"), rig.gateway.output)
        XCTAssertTrue(rig.gateway.output.contains("circuit of tenant cc half-open"), rig.gateway.output)
    }

    /// API.md §2's `Idempotency-Key`: a repeat gets the stored answer (marked replayed) and the
    /// vendor is not called again; the key with another body is 422, a repeat while the first is in
    /// flight 409; an answer a retry could change (a vendor 5xx) is not kept; a malformed key is 400.
    func testAnIdempotencyKeyReplaysTheAnswerAndGuardsTheKey() throws {
        let rig = try DeviceTestbed(bindings: [("cc", .controlCenter)])
        defer { rig.stop() }
        let simulator = rig.simulator(.controlCenter)
        let path = "/devices/8988216716970004975"
        let change = #"{"sim": {"ratePlan": "Standard 5GB"}}"#
        @Sendable func update(_ key: String, _ body: String = change) throws -> DeviceTestbed.Answer {
            try rig.call("cc", "PATCH", path, body, headers: ["Idempotency-Key: \(key)"])
        }
        let first = try update("k1")
        XCTAssertEqual(first.status, 200)
        XCTAssertNil(first.header("idempotent-replayed"))
        let again = try update(#""k1""#)
        XCTAssertEqual(again.status, 200, "a quoted key is the same key")
        XCTAssertEqual(again.header("idempotent-replayed"), "true")
        XCTAssertEqual(again.body, first.body)
        XCTAssertEqual(simulator.recordedRequests().count, 1, "the vendor was called once")
        let other = try update("k1", #"{"sim": {"ratePlan": "Other"}}"#)
        XCTAssertEqual(other.status, 422)
        XCTAssertEqual(other.code, "idempotency_key_reused")
        for bad in ["a b", String(repeating: "x", count: 256), #""""#] {
            let answer = try update(bad)
            XCTAssertEqual(answer.status, 400, bad)
            XCTAssertEqual(answer.code, "invalid_request", bad)
        }
        XCTAssertEqual(simulator.recordedRequests().count, 1)

        // A vendor 5xx is not kept: the retry runs anew.
        simulator.inject(SimulatorFault(.vendorError(status: 500, errorCode: nil, body: nil, headers: [])))
        XCTAssertEqual(try update("k2").status, 502)
        XCTAssertEqual(try update("k2").status, 200)
        XCTAssertEqual(simulator.recordedRequests().count, 3)

        // While the first is in flight, a repeat is 409; after it, a replay.
        simulator.inject(SimulatorFault(.delay(seconds: 1.5)))
        let slow = Mutex<Int?>(nil)
        let done = DispatchGroup()
        done.enter()
        Thread.detachNewThread {
            let status = try? update("k3").status
            slow.withLock { $0 = status }
            done.leave()
        }
        usleep(500_000)
        let inUse = try update("k3")
        XCTAssertEqual(inUse.status, 409)
        XCTAssertEqual(inUse.code, "idempotency_key_in_use")
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(slow.withLock { $0 }, 200)
        XCTAssertEqual(try update("k3").header("idempotent-replayed"), "true")
        XCTAssertEqual(simulator.recordedRequests().count, 4)
        XCTAssertEqual(rig.gateway.metric(#"switchyard_idempotent_replays_total{tenant="cc"}"#), 2)
    }

    /// A bulk update's items go through the same quota and wait until the bulk's own deadline,
    /// so a bulk larger than the quota's burst is paced rather than answered 429 item by item.
    func testABulkUpdateWaitsForItsVendorQuotaInsteadOfFailingItems() throws {
        let rig = try DeviceTestbed(extra: ["cc": "vendorQuota: {requests: 2, perSeconds: 1, burst: 1}"], bindings: [("cc", .controlCenter)])
        defer { rig.stop() }
        let ids = ["8988216716970004975", "9088217871987000001", "89011704252318147060"]
        let body = #"{"devices": ["# + ids.map { #"{"id": "iccid:\#($0)", "sim": {"ratePlan": "Standard 5GB"}}"# }.joined(separator: ", ") + "]}"
        let started = Date()
        let answer = try rig.call("cc", "PATCH", "/devices", body)
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(answer.status, 200, answer.text)
        XCTAssertEqual(answer.json?[pointer: "/results"]?.arrayValue?.compactMap { $0.objectValue?["status"]?.intValue }, [200, 200, 200], answer.text)
        XCTAssertGreaterThanOrEqual(seconds, 0.9, "three calls, one slot (0.5 s) apart")
        XCTAssertEqual(rig.simulator(.controlCenter).recordedRequests().count, 3)
    }
}
