import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardJSON
import XCTest
@testable import SwitchyardVendors

final class GateAdapterTests: XCTestCase {
    /// The token the fixtures' `Authorization` header carries.
    let adapter = GateAdapter(token: "gate-test-token")
    let iccid = DeviceIdentifier(kind: .iccid, value: "89882167169700049750")

    func testGoldenFixtures() throws {
        try GoldenFixture.runAll("gate", adapter: adapter)
    }

    func testCapabilities() {
        XCTAssertEqual(adapter.vendor, .gate)
        XCTAssertNil(adapter.primaryKind)
        XCTAssertEqual(adapter.addressableKinds, [.iccid, .imei, .imsi, .msisdn, .deviceId])
        XCTAssertEqual(adapter.storableFields, [
            .iccid, .imei, .imsi, .msisdn, .deviceId, .userUsername, .userPassword, .userExternalId, .userClass,
        ])
        XCTAssertTrue(adapter.supportsUpsert)
        XCTAssertEqual(adapter.batchSize, 1)
        XCTAssertEqual(adapter.fanOutConcurrency, 4)
        XCTAssertNil(adapter.accessTokenRequest())
    }

    func testErrorRowsAreGatesDocumentedOnes() {
        let rows = GateAdapter.errorRows
        XCTAssertTrue(rows.allSatisfy { $0.vendor == .gate && $0.vendorCode == nil && $0.documented })
        XCTAssertEqual(rows.map(\.status), [400, 401, 404, 422, 429, 500])
        XCTAssertEqual(rows.map(\.problem), [
            .validationFailed, .upstreamAuthFailed, .deviceNotFound, .validationFailed, .upstreamRateLimited, .upstreamError,
        ])
    }

    /// Gate echoes the password it stored; a client never sees it again.
    func testConfirmedNeverCarriesThePassword() throws {
        let change = DeviceChange(operation: .update, id: iccid, document: document([.userPassword: "new-secret"]))
        let answer = adapter.interpret(
            try response(201, #"{"iccid": "89882167169700049750", "password": "new-secret", "username": "john_doe"}"#),
            for: [change])
        guard case .accepted(200, let confirmed)? = answer.results.first else {
            return XCTFail("expected 200, got \(answer.results)")
        }
        XCTAssertNil(confirmed[.userPassword])
        XCTAssertEqual(confirmed.fields, [.iccid, .userUsername])
    }

    /// The record is read in its own order (`members`' order is only the first place looked):
    /// shuffled, with members gate may add and nulls among them, it confirms the same fields; a
    /// member of the wrong type fails the change wherever it comes.
    func testTheRecordIsReadInAnyOrder() throws {
        let change = DeviceChange(operation: .update, id: iccid, document: document([.userClass: "gold"]))
        let members = [
            #""number": "+1234567890""#, #""generic_id": "app.user""#, #""imei": "123456789012345""#,
            #""imsi": "310120123456789""#, #""iccid": "89882167169700049750""#, #""username": "john_doe""#,
            #""password": "stored-secret""#, #""user_external_id": "ext-1""#, #""user_class": "gold""#,
            #""id": 7"#, #""last_login": null"#,
        ]
        let expected: [DeviceField] = [.iccid, .imei, .imsi, .msisdn, .deviceId, .userUsername, .userExternalId, .userClass]
        for order in [Array(members.indices), members.indices.reversed(), [10, 8, 0, 9, 3, 1, 7, 2, 6, 5, 4]] {
            let record = "{" + order.map { members[$0] }.joined(separator: ",") + "}"
            guard case .accepted(200, let confirmed)? = adapter.interpret(try response(201, record), for: [change]).results.first else {
                return XCTFail("expected 200 for \(record)")
            }
            XCTAssertEqual(Array(confirmed.fields), expected, record)
            XCTAssertEqual(confirmed.string(.deviceId), "app.user", record)
            XCTAssertEqual(confirmed.string(.userClass), "gold", record)
        }
        for wrong in [#"{"imei": "123456789012345", "username": 7}"#, #"{"username": ["john_doe"], "imei": "123456789012345"}"#] {
            let problem = problem(adapter.interpret(try response(201, wrong), for: [change]))
            XCTAssertEqual(problem?.code, .upstreamError, wrong)
            XCTAssertEqual(problem?.detail.hasPrefix("The vendor's answer could not be read: username is "), true, wrong)
        }
    }

    /// A record in gate's own shape (its members in `members`' order, plain strings or null), read
    /// where its values lie, confirms what the same record read member by member does: in another
    /// order, with an escape, or with a member gate may add.
    func testARecordInGatesShapeConfirmsWhatItDoesInAnyOtherShape() throws {
        let change = DeviceChange(operation: .update, id: iccid, document: document([.userClass: "gold"]))
        let members = [
            #""number": "+1234567890""#, #""generic_id": null"#, #""imei": "123456789012345""#, #""imsi": "310120123456789""#,
            #""iccid": "89882167169700049750""#, #""username": "john_doe""#, #""password": "stored-secret""#,
            #""user_external_id": "ext-1""#, #""user_class": "gold""#,
        ]
        let shaped = "{" + members.joined(separator: ", ") + "}"
        XCTAssertEqual(JSONParser.withRecordStrings(of: Array(shaped.utf8), named: GateAdapter.memberNames) { _ in true }, true,
                       "gate's shape is read where it lies")
        var others = ["{" + members.reversed().joined(separator: ",") + "}", "{" + members.joined(separator: ",") + #", "id": 7}"#]
        others.append(shaped.replacingOccurrences(of: #""ext-1""#, with: #""ext\u002d1""#))
        for other in others {
            XCTAssertNil(JSONParser.withRecordStrings(of: Array(other.utf8), named: GateAdapter.memberNames) { _ in true }, other)
        }
        var confirmed: [DeviceDocument] = []
        for record in [shaped] + others {
            guard case .accepted(200, let document)? = adapter.interpret(try response(201, text: record), for: [change]).results.first else {
                return XCTFail("expected 200 for \(record)")
            }
            confirmed.append(document)
        }
        XCTAssertEqual(Array(confirmed[0].fields), [.iccid, .imei, .imsi, .msisdn, .userUsername, .userExternalId, .userClass])
        XCTAssertEqual(confirmed[0].string(.userExternalId), "ext-1")
        XCTAssertEqual(confirmed[0].string(.msisdn), "+1234567890")
        for (index, other) in confirmed.enumerated().dropFirst() { XCTAssertEqual(other, confirmed[0], others[index - 1]) }
    }

    /// A bulk item's field errors point into its place in the bulk body.
    func testFieldErrorPointersCarryTheItemPrefix() throws {
        let change = DeviceChange(operation: .update, id: iccid, document: document([.imei: "356938035643809"]),
                                  pointerPrefix: "/devices/3")
        let answer = adapter.interpret(
            try response(422, #"{"imei": ["Enter a valid IMEI (15 digits)."], "data": ["Value must be valid JSON."]}"#),
            for: [change])
        XCTAssertEqual(problem(answer)?.fields, [
            FieldError(pointer: "/devices/3/imei", reason: "Enter a valid IMEI (15 digits)."),
            FieldError(pointer: "/devices/3", reason: "Value must be valid JSON."),
        ])
    }

    /// Only 400 and 422 are about the client's values; a 500 with field-shaped messages keeps
    /// them as the vendor's message, not as fields the client should fix.
    func testFieldErrorsOnlyFor400And422() throws {
        let change = DeviceChange(operation: .update, id: iccid, document: document([.userClass: "gold"]))
        let problem = problem(adapter.interpret(try response(500, #"{"user_class": ["Database is locked."]}"#), for: [change]))
        XCTAssertEqual(problem?.code, .upstreamError)
        XCTAssertEqual(problem?.fields, [])
        XCTAssertEqual(problem?.upstream, UpstreamDiagnostic(status: 500, message: "user_class: Database is locked."))
    }

    func testRateLimitPassesRetryAfter() throws {
        let change = DeviceChange(operation: .update, id: iccid, document: document([.userClass: "gold"]))
        let problem = problem(adapter.interpret(
            try response(429, #"{"detail": "Request was throttled."}"#, headers: #"{"retry-after": "30"}"#), for: [change]))
        XCTAssertEqual(problem?.code, .upstreamRateLimited)
        XCTAssertEqual(problem?.headers.map { "\($0.name): \($0.value)" }, ["retry-after: 30"])
    }

    func testDetailRepeatingThePasswordIsWithheld() throws {
        let change = DeviceChange(operation: .upsert, id: nil, document: document([.userUsername: "john", .userPassword: "hunter22"]))
        let problem = problem(adapter.interpret(try response(400, #"{"detail": "Bad password hunter22"}"#), for: [change]))
        XCTAssertEqual(problem?.upstream?.message, "(gate's message repeated the password and is withheld)")
    }

    /// A gate error body that echoes a record (strings, not lists) is no field error, and its
    /// password must not become a message.
    func testEchoedRecordInAnErrorIsNoMessage() throws {
        let change = DeviceChange(operation: .update, id: iccid, document: document([.userClass: "gold"]))
        let problem = problem(adapter.interpret(
            try response(422, #"{"username": "john_doe", "password": "stored-secret"}"#), for: [change]))
        XCTAssertEqual(problem?.fields, [])
        XCTAssertEqual(problem?.upstream, UpstreamDiagnostic(status: 422))
    }

    func testLongTextBodyIsCutShort() throws {
        let change = DeviceChange(operation: .update, id: iccid, document: document([.userClass: "gold"]))
        let text = String(repeating: "x", count: 5_000)
        let problem = problem(adapter.interpret(try response(500, text: text), for: [change]))
        XCTAssertEqual(problem?.upstream?.message, String(repeating: "x", count: 200))
    }

    // MARK: Helpers

    private func document(_ values: [DeviceField: String]) -> DeviceDocument {
        var document = DeviceDocument()
        for (field, value) in values { document[field] = .string(value) }
        return document
    }

    private func response(_ status: Int, _ json: String, headers: String = "{}") throws -> UpstreamResponse {
        try GoldenFixture.response(JSONObject([
            ("status", .number(String(status))),
            ("headers", try JSONParser.parse(Array(headers.utf8))),
            ("json", try JSONParser.parse(Array(json.utf8))),
        ]))
    }

    private func response(_ status: Int, text: String) throws -> UpstreamResponse {
        try GoldenFixture.response(JSONObject([("status", .number(String(status))), ("text", .string(text))]))
    }

    private func problem(_ answer: VendorAnswer) -> Problem? {
        XCTAssertEqual(answer.results.count, 1)
        guard case .failed(let problem)? = answer.results.first else {
            XCTFail("expected a problem, got \(answer.results)")
            return nil
        }
        return problem
    }
}
