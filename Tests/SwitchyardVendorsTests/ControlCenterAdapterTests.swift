import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardJSON
import XCTest
@testable import SwitchyardVendors

final class ControlCenterAdapterTests: XCTestCase {
    /// The credentials the fixtures' `Authorization` header encodes.
    let adapter = ControlCenterAdapter(username: "gateway", apiKey: "cc-api-key-0001")
    let iccid = DeviceIdentifier(kind: .iccid, value: "8988216716970004975")

    func testGoldenFixtures() throws {
        try GoldenFixture.runAll("control-center", adapter: adapter)
    }

    func testCapabilities() {
        XCTAssertEqual(adapter.vendor, .controlCenter)
        XCTAssertEqual(adapter.primaryKind, .iccid)
        XCTAssertEqual(adapter.addressableKinds, [.iccid])
        let custom = DeviceField.allCases.filter { $0.group == "custom" }
        XCTAssertEqual(custom.count, 20)
        XCTAssertEqual(adapter.storableFields, CaseSet([
            .iccid, .deviceId, .ipv4, .ipv6, .apn, .pdpId, .simStatus, .simRatePlan, .simCommunicationPlan,
            .simCustomer, .simModemId, .simOverageLimitOverride, .effectiveAt,
        ] + custom))
        XCTAssertFalse(adapter.supportsUpsert)
        XCTAssertEqual(adapter.batchSize, 1)
        XCTAssertEqual(adapter.fanOutConcurrency, 1)
        XCTAssertNil(adapter.accessTokenRequest())
    }

    func testBasicAuthorizationEncodesUsernameAndKey() {
        let adapter = ControlCenterAdapter(username: "ops:eu", apiKey: "ключ")
        let request = adapter.request(for: [change([.simStatus: "ACTIVATED"])], accessToken: nil, now: 0)
        let expected = "Basic " + Data("ops:eu:ключ".utf8).base64EncodedString()
        XCTAssertEqual(request.fields.first { $0.name == "authorization" }?.value, expected)
    }

    /// A bulk item's problems point into its place in the bulk body.
    func testValidationPointersCarryTheItemPrefix() {
        var item = change([.ipv4: "10.0.0.7", .effectiveAt: "2027-06-01T00:00:00Z"])
        item.pointerPrefix = "/devices/3"
        let problem = adapter.validate(item, now: now)
        XCTAssertEqual(problem?.code, .validationFailed)
        XCTAssertEqual(problem?.fields.map(\.pointer), ["/devices/3/effectiveAt", "/devices/3/apn", "/devices/3/pdpId"])

        var empty = change([:])
        empty.pointerPrefix = "/devices/0"
        XCTAssertEqual(adapter.validate(empty, now: now)?.fields.map(\.pointer), ["/devices/0"])
    }

    func testVendorFieldPointersCarryTheItemPrefix() throws {
        var item = change([.simRatePlan: "Gold"])
        item.pointerPrefix = "/devices/7"
        let problem = try failure(adapter.interpret(answer(404, code: "10000013"), for: [item]))
        XCTAssertEqual(problem.fields, [FieldError(pointer: "/devices/7/sim/ratePlan", reason: "not a rate plan of the vendor account")])
    }

    func testRateLimitPassesTheVendorsRetryAfterOn() throws {
        let problem = try failure(adapter.interpret(answer(429, code: "40000029", headers: ["retry-after": "3"]), for: [change([.apn: "a"])]))
        XCTAssertEqual(problem.code, .upstreamRateLimited)
        XCTAssertEqual(problem.headers.map(\.name), ["retry-after"])
        XCTAssertEqual(problem.headers.map(\.value), ["3"])
    }

    /// The vendor document's error table, row by row: status, code, the problem it must become
    /// and the fields it names when the change holds every field. Written out here, not derived
    /// from `errorRows`, so a wrong row fails.
    static let documentedErrors: [(code: String, status: Int, problem: ProblemCode, pointers: [String])] = [
        ("10000001", 401, .upstreamAuthFailed, []),
        ("10000005", 400, .validationFailed, ["/sim/status"]),
        ("10000008", 400, .upstreamAuthFailed,
         (1...5).map { "/custom/operatorCustom\($0)" } + (1...5).map { "/custom/customerCustom\($0)" }),
        ("10000009", 400, .upstreamAuthFailed, (1...10).map { "/custom/accountCustom\($0)" }),
        ("10000010", 400, .upstreamAuthFailed, (1...5).map { "/custom/customerCustom\($0)" }),
        ("10000011", 400, .validationFailed, []),
        ("10000012", 400, .validationFailed, ["/effectiveAt"]),
        ("10000013", 404, .validationFailed, ["/sim/ratePlan"]),
        ("10000014", 400, .validationFailed, ["/sim/communicationPlan"]),
        ("10000015", 400, .validationFailed, ["/sim/customer"]),
        ("10000016", 400, .validationFailed, ["/sim/overageLimitOverride"]),
        ("10000023", 400, .upstreamError, []),
        ("10000024", 400, .upstreamError, []),
        ("10000025", 400, .validationFailed, ["/deviceId"]),
        ("10000026", 400, .validationFailed, ["/sim/modemId"]),
        ("10000028", 400, .validationFailed, []),
        ("10000029", 400, .conflict, ["/sim/status"]),
        ("10000030", 400, .upstreamAuthFailed, []),
        ("10000031", 400, .validationFailed, []),
        ("10000517", 400, .conflict, ["/ipv4", "/ipv6"]),
        ("10030000", 400, .conflict, ["/sim/status"]),
        ("20000001", 404, .deviceNotFound, []),
        ("30000001", 500, .upstreamError, []),
    ]

    func testEveryDocumentedErrorCodeHasItsRow() throws {
        let everyField = everyFieldChange()
        for expected in Self.documentedErrors {
            let row = ControlCenterAdapter.errorRows.first { $0.vendorCode == expected.code }
            XCTAssertEqual(row?.status, expected.status, expected.code)
            XCTAssertEqual(row?.documented, true, expected.code)
            let problem = try failure(adapter.interpret(answer(expected.status, code: expected.code), for: [everyField]))
            XCTAssertEqual(problem.code, expected.problem, expected.code)
            // The row's own meaning, so no fallback answered.
            XCTAssertEqual(problem.detail, row?.meaning, expected.code)
            XCTAssertEqual(problem.upstream, UpstreamDiagnostic(status: expected.status, code: expected.code, message: "message \(expected.code)"))
            XCTAssertEqual(problem.fields.map(\.pointer), expected.pointers, expected.code)
        }
    }

    func testRowsAreTheDocumentedCodesPlusTheDeliberateOnes() {
        let rows = ControlCenterAdapter.errorRows
        XCTAssertTrue(rows.allSatisfy { $0.vendor == .controlCenter })
        XCTAssertEqual(rows.filter(\.documented).compactMap(\.vendorCode), Self.documentedErrors.map(\.code))
        XCTAssertEqual(rows.filter { $0.documented && $0.vendorCode == nil }.map(\.status), [401])
        XCTAssertEqual(rows.filter { !$0.documented }.map { "\($0.status ?? 0) \($0.vendorCode ?? "-")" }, ["404 -", "429 40000029"])
        XCTAssertEqual(Set(rows.map { "\($0.status ?? 0) \($0.vendorCode ?? "-")" }).count, rows.count, "a row is repeated")
    }

    /// The answer's iccid is read in the vendor's shape (`{"iccid": "…"}`) and in any other: after
    /// members the vendor may add, among them, with whitespace; none that is not a string is one.
    func testTheAnswersICCIDIsReadWhateverItsShape() throws {
        let change = change([.simStatus: "ACTIVATED"])
        let iccid = #""iccid": "8988216716970004975""#
        for text in ["{\(iccid)}", #"{"status": "ok", "#  + iccid + "}", "{" + iccid + #", "status": "ok"}"#,
                     " {\n\t\(iccid) } ", #"{"extra": [1, {"a": null}], "#  + iccid + #", "other": true}"#] {
            guard case .accepted(200, let confirmed)? = adapter.interpret(try response(200, text: text), for: [change]).results.first else {
                return XCTFail("expected 200 for \(text)")
            }
            XCTAssertEqual(confirmed.string(.iccid), "8988216716970004975", text)
            XCTAssertEqual(Array(confirmed.fields), [.iccid], text)
        }
        for text in ["{}", #"{"iccid": null}"#, #"{"iccid": 8988216716970004975}"#, #"{"iccid": ["8988216716970004975"]}"#,
                     #"{"ICCID": "8988216716970004975"}"#, #"{"iccid": "8988216716970004975""#, "[]", ""] {
            let problem = try failure(adapter.interpret(try response(200, text: text), for: [change]))
            XCTAssertEqual(problem.code, .upstreamError, text)
            XCTAssertEqual(problem.detail, #"The vendor's answer could not be read: no "iccid" string."#, text)
        }
    }

    // MARK: Helpers

    /// The fixtures' `now`.
    let now = RFC3339.secondsSince1970("2026-11-21T12:00:00Z")!

    private func change(_ fields: [DeviceField: String]) -> DeviceChange {
        var document = DeviceDocument()
        for (field, value) in fields { document[field] = .string(value) }
        return DeviceChange(operation: .update, id: iccid, document: document)
    }

    /// A change holding every field this vendor stores.
    private func everyFieldChange() -> DeviceChange {
        var fields: [DeviceField: String] = [:]
        for field in adapter.storableFields { fields[field] = "x" }
        fields[.iccid] = iccid.value.description
        fields[.effectiveAt] = "2026-12-01T00:00:00Z"
        fields[.ipv4] = "10.0.0.7"
        fields[.ipv6] = "2001:db8::7"
        return change(fields)
    }

    private func answer(_ status: Int, code: String, headers: [String: String] = [:]) throws -> UpstreamResponse {
        try GoldenFixture.response(JSONObject([
            ("status", .number(String(status))),
            ("headers", .object(JSONObject(headers.map { ($0.key, JSONValue.string($0.value)) }))),
            ("json", .object(JSONObject([("errorMessage", .string("message \(code)")), ("errorCode", .string(code))]))),
        ]))
    }

    private func response(_ status: Int, text: String) throws -> UpstreamResponse {
        try GoldenFixture.response(JSONObject([("status", .number(String(status))), ("text", .string(text))]))
    }

    /// The one result's problem; fails the test when the change was accepted.
    private func failure(_ answer: VendorAnswer, file: StaticString = #filePath, line: UInt = #line) throws -> Problem {
        XCTAssertEqual(answer.results.count, 1, file: file, line: line)
        guard case .failed(let problem) = answer.results.first else {
            XCTFail("expected a problem, got \(String(describing: answer.results.first))", file: file, line: line)
            throw GoldenFixture.FixtureError("no problem")
        }
        return problem
    }
}
