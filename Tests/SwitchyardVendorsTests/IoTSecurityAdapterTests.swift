import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardJSON
import XCTest
@testable import SwitchyardVendors

final class IoTSecurityAdapterTests: XCTestCase {
    /// The account the fixtures' path and headers name.
    let adapter = IoTSecurityAdapter(customerId: "hooli", updateSource: "cellular", keyId: "key-0001", accessKey: "access-0001")

    func testGoldenFixtures() throws {
        try GoldenFixture.runAll("iot-security", adapter: adapter)
    }

    func testCapabilities() {
        XCTAssertEqual(adapter.vendor, .iotSecurity)
        XCTAssertNil(adapter.primaryKind)
        XCTAssertEqual(adapter.addressableKinds, [.iccid, .imei, .imsi, .msisdn, .ipv4])
        XCTAssertEqual(adapter.storableFields, [.iccid, .imei, .imsi, .msisdn, .ipv4, .ipv6, .apn, .sessionEvent])
        XCTAssertFalse(adapter.supportsUpsert)
        XCTAssertEqual(adapter.batchSize, 100)
        XCTAssertEqual(adapter.fanOutConcurrency, 2)
        XCTAssertNil(adapter.accessTokenRequest())
    }

    func testQueryValuesAreFormEncoded() {
        let adapter = IoTSecurityAdapter(customerId: "acme corp/eu", updateSource: "cell&wifi=1", keyId: "k", accessKey: "a")
        let request = adapter.request(for: [change(.iccid, "8988216716970004975", [.apn: "a"])], accessToken: nil, now: 0)
        XCTAssertEqual(request.path, "/pub/v4.0/device/bulkUpdate?customerid=acme+corp%2Feu&updateSource=cell%26wifi%3D1")
    }

    func testAFullBatchIsOneCallWithOneItemPerChange() throws {
        let changes = (0..<100).map { change(.imei, String(356_938_035_643_800 + $0), [.apn: "iot.example"]) }
        let request = adapter.request(for: changes, accessToken: nil, now: 0)
        let items = try XCTUnwrap(JSONParser.parse(request.body).objectValue?["devicelist"]?.arrayValue)
        XCTAssertEqual(items.count, 100)
        XCTAssertEqual(items[99], .object(JSONObject([("imei", .string("356938035643899")), ("apn", .string("iot.example"))])))

        let answer = adapter.interpret(try okAnswer(updated: 97), for: changes)
        XCTAssertEqual(answer.reportedSuccesses, 97)
        XCTAssertEqual(answer.results.count, 100)
        for result in answer.results {
            guard case .accepted(202, let confirmed) = result else { return XCTFail("expected 202, got \(result)") }
            XCTAssertTrue(confirmed.isEmpty)
        }
    }

    func testRateLimitPassesTheVendorsRetryAfterOnToEveryItem() throws {
        let changes = [change(.iccid, "8988216716970004975", [.apn: "a"]), change(.imsi, "310150123456780", [.apn: "b"])]
        let response = try GoldenFixture.response(JSONObject([
            ("status", .number("429")),
            ("headers", .object(JSONObject([("retry-after", .string("20"))]))),
            ("json", .object(JSONObject([("code", .number("429")), ("msg", .string("Too many requests."))]))),
        ]))
        let answer = adapter.interpret(response, for: changes)
        XCTAssertEqual(answer.results.count, 2)
        for result in answer.results {
            guard case .failed(let problem) = result else { return XCTFail("expected a problem, got \(result)") }
            XCTAssertEqual(problem.code, .upstreamRateLimited)
            XCTAssertEqual(problem.headers.map(\.name), ["retry-after"])
            XCTAssertEqual(problem.headers.map(\.value), ["20"])
        }
    }

    /// The documented error examples, by status, and the problem each must become. Written out
    /// here, not derived from `errorRows`, so a wrong row fails.
    func testEveryDocumentedStatusHasItsRow() {
        let expected: [(status: Int, problem: ProblemCode)] = [
            (400, .validationFailed), (403, .upstreamAuthFailed), (429, .upstreamRateLimited), (500, .upstreamError),
        ]
        let rows = IoTSecurityAdapter.errorRows
        XCTAssertTrue(rows.allSatisfy { $0.vendor == .iotSecurity && $0.vendorCode == nil })
        XCTAssertEqual(rows.filter(\.documented).map(\.status), expected.map(\.status))
        XCTAssertEqual(rows.filter(\.documented).map(\.problem), expected.map(\.problem))
        XCTAssertEqual(rows.filter { !$0.documented }.map(\.status), [404])
        XCTAssertEqual(rows.filter { !$0.documented }.map(\.problem), [.upstreamError])
    }

    // MARK: Helpers

    private func change(_ kind: IdentifierKind, _ value: String, _ fields: [DeviceField: String]) -> DeviceChange {
        var document = DeviceDocument()
        for (field, value) in fields { document[field] = .string(value) }
        return DeviceChange(operation: .update, id: DeviceIdentifier(kind: kind, value: value), document: document)
    }

    private func okAnswer(updated: Int) throws -> UpstreamResponse {
        try GoldenFixture.response(JSONObject([
            ("status", .number("200")),
            ("json", .object(JSONObject([
                ("api", .string("device/bulkUpdate")), ("ver", .string("v4.0")), ("code", .number("1")),
                ("message", .string("OK")), ("updatedDeviceNum", .number(String(updated))),
            ]))),
        ]))
    }
}
