import Foundation
import Switchyard
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardVendors
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// translate → call the vendor → translate back → respond: what the tenant's adapter refuses
/// before any call, what each vendor outcome becomes, and how the answer leaves.
final class VendorPhaseTests: XCTestCase {
    private var harness: PipelineHarness!

    override func setUpWithError() throws {
        harness = try PipelineHarness(acme: ", vendorQuota: {requests: 1, perSeconds: 60}")
    }

    override func tearDown() {
        harness.stop()
    }

    // MARK: translate

    func testTranslateRefusesWhatTheVendorCannotTakeBeforeAnyCall() throws {
        let acme = try harness.token("acme")
        let upsert = try harness.send("POST", "/devices", token: acme, json: #"{"iccid": "8988216716970004975"}"#)
        XCTAssertEqual(upsert.status, 501, upsert.text)
        XCTAssertEqual(upsert.code, "unsupported_operation")
        let mac = try harness.send("PATCH", "/devices/iccid:8988216716970004975", token: acme, json: #"{"mac": "A1B2C3D4E5F6"}"#)
        XCTAssertEqual(mac.status, 422)
        XCTAssertEqual(mac.code, "unsupported_field")
        let invalid = try harness.send("PATCH", "/devices/iccid:12", token: acme, json: #"{"sim": {"status": "ACTIVATED"}}"#)
        XCTAssertEqual(invalid.status, 400, invalid.text)
        XCTAssertEqual(invalid.code, "invalid_request")
        let tooMany = try harness.send("PATCH", "/devices", token: try harness.token("hooli"),
                                       json: #"{"devices": [{"id": "imei:356938035643809"}, {"id": "imei:356938035643809"}, {"id": "imei:356938035643809"}, {"id": "imei:356938035643809"}, {"id": "imei:356938035643809"}, {"id": "imei:356938035643809"}]}"#)
        XCTAssertEqual(tooMany.status, 413, tooMany.text)
        XCTAssertEqual(tooMany.code, "payload_too_large")
        XCTAssertTrue(harness.vendor.requests.isEmpty)
        XCTAssertNotNil(upsert.header("ratelimit"), "past the limit, every answer states it")
    }

    func testTranslateRefusesBadValuesAndABadBulkEnvelope() throws {
        let invalid = try harness.send("PATCH", "/devices/iccid:8988216716970004975", token: try harness.token("acme"),
                                       json: #"{"sim": {"status": "SLEEPING"}}"#)
        XCTAssertEqual(invalid.status, 422, invalid.text)
        XCTAssertEqual(invalid.code, "validation_failed")
        XCTAssertEqual(invalid.json?["fields"]?.arrayValue?.first?.objectValue?["pointer"]?.stringValue, "/sim/status")
        let envelope = try harness.send("PATCH", "/devices", token: try harness.token("hooli"), json: #"{"devices": {}}"#)
        XCTAssertEqual(envelope.status, 400, envelope.text)
        XCTAssertEqual(envelope.code, "invalid_request")
        XCTAssertTrue(harness.vendor.requests.isEmpty)
    }

    // MARK: call the vendor

    /// The vendor's own refusal, through the tenant's adapter and the error catalogue, with what
    /// the vendor said under `upstream`.
    func testAVendorsRefusalBecomesTheCataloguedProblem() throws {
        harness.vendor.script { _ in ScriptedVendor.json(404, #"{"errorMessage": "Resource not found - Invalid ICCID.", "errorCode": "20000001"}"#) }
        let answer = try harness.send("PATCH", "/devices/iccid:8988216716970004975", token: try harness.token("acme"),
                                      json: #"{"sim": {"status": "ACTIVATED"}}"#)
        XCTAssertEqual(answer.status, 404, answer.text)
        XCTAssertEqual(answer.code, "device_not_found")
        let upstream = answer.json?["upstream"]?.objectValue
        XCTAssertEqual(upstream?["status"]?.intValue, 404)
        XCTAssertEqual(upstream?["code"]?.stringValue, "20000001")
    }

    /// A token endpoint that refuses the client fails the call before any device request goes out.
    func testARefusedTokenFetchFailsTheCall() throws {
        harness.vendor.script { _ in ScriptedVendor.json(401, #"{"error": "invalid_client", "error_description": "bad secret"}"#) }
        let answer = try harness.send("PATCH", "/devices/android-0001", token: try harness.token("initech"), json: #"{"user": {"id": "bob"}}"#)
        XCTAssertEqual(answer.status, 502, answer.text)
        XCTAssertEqual(answer.code, "upstream_auth_failed")
        XCTAssertEqual(harness.vendor.requests.map(\.requestTarget), ["/mfp/api/az/v1/token"])
    }

    func testTheVendorQuotaIsSpentPerCall() throws {
        harness.vendor.script { _ in ScriptedVendor.json(200, #"{"iccid": "8988216716970004975"}"#) }
        let acme = try harness.token("acme")
        let body = #"{"sim": {"status": "ACTIVATED"}}"#
        XCTAssertEqual(try harness.send("PATCH", "/devices/iccid:8988216716970004975", token: acme, json: body).status, 200)
        let spent = try harness.send("PATCH", "/devices/iccid:8988216716970004975", token: acme, json: body)
        XCTAssertEqual(spent.status, 429)
        XCTAssertEqual(spent.code, "upstream_rate_limited")
        XCTAssertNotNil(spent.header("retry-after"))
        XCTAssertEqual(harness.vendor.requests.count, 1)
    }

    func testEachTransportFailureBecomesItsProblem() throws {
        let failures: [(UpstreamError, Int, String)] = [
            (UpstreamError(.connectFailed(errno: ECONNREFUSED)), 503, "upstream_unavailable"),
            (UpstreamError(.resolutionFailed("vendor.test does not resolve")), 503, "upstream_unavailable"),
            (UpstreamError(.timedOut), 504, "upstream_timeout"),
            (UpstreamError(.malformedResponse(.malformedStatusLine)), 502, "upstream_error"),
        ]
        let globex = try harness.token("globex")
        for (failure, status, code) in failures {
            harness.vendor.script { _ in .failure(failure) }
            let answer = try harness.send("POST", "/devices", token: globex, json: #"{"imei": "123456789012345"}"#)
            XCTAssertEqual(answer.status, status, "\(failure)")
            XCTAssertEqual(answer.code, code, "\(failure)")
        }
    }

    /// The request goes out with the gateway's request id and a trace, and with the vendor's
    /// own authentication.
    func testTheVendorRequestCarriesTheRequestIdAndATrace() throws {
        harness.vendor.script { _ in ScriptedVendor.json(201, #"{"message": "registered"}"#) }
        let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        _ = try harness.send("POST", "/devices", token: try harness.token("globex"), json: #"{"imei": "123456789012345"}"#,
                             headers: [("traceparent", traceparent)])
        let sent = try XCTUnwrap(harness.vendor.requests.first)
        let headers = Dictionary(sent.fields.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        XCTAssertEqual(headers["x-request-id"], "pipeline-test")
        XCTAssertEqual(headers["traceparent"], traceparent)
        XCTAssertEqual(headers["authorization"], "Bearer t")
        XCTAssertEqual(sent.requestTarget, "/api/v1/device_app_user_update/")
    }

    /// mobilefirst-push: one token fetch serves later calls; a token the vendor refuses is
    /// fetched again, once.
    func testTheAccessTokenIsFetchedOnceAndAgainAfterARefusal() throws {
        let fetches = Locked(0)
        let refuseNext = Locked(false)
        harness.vendor.script { request in
            if request.path == "/mfp/api/az/v1/token" {
                fetches.set(fetches.get() + 1)
                return ScriptedVendor.json(200, #"{"access_token": "token-\#(fetches.get())", "expires_in": 3600, "token_type": "Bearer"}"#)
            }
            if refuseNext.get() {
                refuseNext.set(false)
                return ScriptedVendor.json(401, #"{"code": "unauthorized"}"#)
            }
            return ScriptedVendor.json(200, #"{"deviceId": "android-0001", "userId": "bob"}"#)
        }
        let initech = try harness.token("initech")
        let body = #"{"user": {"id": "bob"}}"#
        XCTAssertEqual(try harness.send("PATCH", "/devices/android-0001", token: initech, json: body).status, 200)
        XCTAssertEqual(try harness.send("PATCH", "/devices/android-0001", token: initech, json: body).status, 200)
        XCTAssertEqual(fetches.get(), 1, "the cached token served the second call")
        refuseNext.set(true)
        XCTAssertEqual(try harness.send("PATCH", "/devices/android-0001", token: initech, json: body).status, 200)
        XCTAssertEqual(fetches.get(), 2, "refused once, fetched again")
        let bearers = harness.vendor.requests.filter { $0.requestTarget.hasPrefix("/imfpush") }
            .compactMap { request in request.headers.first { $0.name.lowercased() == "authorization" }?.value }
        XCTAssertEqual(bearers, ["Bearer token-1", "Bearer token-1", "Bearer token-1", "Bearer token-2"])
    }

    // MARK: translate back and respond

    /// iot-security answers a batch with a count only: every item is 202 and the vendor's count
    /// is what succeeded; an item refused before the call keeps its place and its problem.
    func testABulkAnswerKeepsRequestOrderAndTheVendorsCount() throws {
        harness.vendor.script { _ in ScriptedVendor.json(200, #"{"api": "device/bulkUpdate", "ver": "v4.0", "code": 1, "message": "OK", "updatedDeviceNum": 1}"#) }
        let answer = try harness.send("PATCH", "/devices", token: try harness.token("hooli"), json: """
            {"devices": [{"id": "imei:356938035643809", "apn": "a"}, {"id": "mac:zz"}, {"id": "imsi:310150123456780", "apn": "c"}]}
            """)
        XCTAssertEqual(answer.status, 207, answer.text)
        let results = try XCTUnwrap(answer.json?["results"]?.arrayValue)
        XCTAssertEqual(results.map { $0.objectValue?["status"]?.intValue }, [202, 400, 202])
        XCTAssertEqual(results.map { $0.objectValue?["id"]?.stringValue }, ["imei:356938035643809", "mac:zz", "imsi:310150123456780"])
        XCTAssertEqual(answer.json?["succeeded"]?.intValue, 1)
        XCTAssertEqual(answer.json?["failed"]?.intValue, 2)
        XCTAssertEqual(harness.vendor.requests.count, 1, "one batch, one call")
    }

    /// An adapter that answers a batch with fewer results than it was given changes (a bug) leaves
    /// no item without an answer: each it left out is 500 `internal_error`, the others keep theirs.
    func testAnItemTheAdapterGaveNoResultIsAnInternalError() throws {
        let shortAnswering = try PipelineHarness { tenant in ShortAnsweringAdapter(VendorAdapters.adapter(for: tenant)) }
        defer { shortAnswering.stop() }
        shortAnswering.vendor.script { _ in ScriptedVendor.json(200, #"{"api": "device/bulkUpdate", "ver": "v4.0", "code": 1, "message": "OK", "updatedDeviceNum": 3}"#) }
        let answer = try shortAnswering.send("PATCH", "/devices", token: try shortAnswering.token("hooli"), json: """
            {"devices": [{"id": "imei:356938035643809", "apn": "a"}, {"id": "imsi:310150123456780", "apn": "b"},
                         {"id": "imei:356938035643817", "apn": "c"}]}
            """)
        XCTAssertEqual(answer.status, 207, answer.text)
        let results = try XCTUnwrap(answer.json?["results"]?.arrayValue)
        XCTAssertEqual(results.map { $0.objectValue?["status"]?.intValue }, [200, 200, 500])
        XCTAssertEqual(results.map { $0.objectValue?["id"]?.stringValue }, ["imei:356938035643809", "imsi:310150123456780", "imei:356938035643817"])
        let problem = try XCTUnwrap(results.last?.objectValue?["problem"]?.objectValue)
        XCTAssertEqual(problem["code"]?.stringValue, "internal_error")
        XCTAssertEqual(problem["detail"]?.stringValue, "The vendor adapter gave no result for this device.")
        XCTAssertEqual(answer.json?["succeeded"]?.intValue, 2)
        XCTAssertEqual(answer.json?["failed"]?.intValue, 1)
        XCTAssertEqual(shortAnswering.vendor.requests.count, 1, "one batch, one call")
    }

    func testALargeAnswerIsGzippedForAClientThatTakesIt() throws {
        harness.vendor.script { _ in ScriptedVendor.json(200, #"{"api": "device/bulkUpdate", "ver": "v4.0", "code": 1, "message": "OK", "updatedDeviceNum": 5}"#) }
        let devices = (0..<5).map { #"{"id": "imei:35693803564380\#($0)", "apn": "\#(String(repeating: "a", count: 200))"}"# }
        let answer = try harness.send("PATCH", "/devices", token: try harness.token("hooli"),
                                      json: #"{"devices": [\#(devices.joined(separator: ","))]}"#, headers: [("accept-encoding", "gzip")])
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(answer.header("content-encoding"), "gzip")
        XCTAssertEqual(answer.header("vary"), "accept-encoding")
        let inflated = try GzipDecoder().decompress(answer.body, limit: 1 << 20)
        XCTAssertEqual((try JSONParser.parse(inflated)).objectValue?["succeeded"]?.intValue, 5)
    }
}

/// A tenant's own adapter, but one that answers every call with one result fewer than it was given
/// changes: the bug `DeviceCall` must survive.
private struct ShortAnsweringAdapter: VendorAdapter {
    let adapter: any VendorAdapter
    init(_ adapter: any VendorAdapter) { self.adapter = adapter }

    var vendor: Vendor { adapter.vendor }
    var primaryKind: IdentifierKind? { adapter.primaryKind }
    var addressableKinds: CaseSet<IdentifierKind> { adapter.addressableKinds }
    var storableFields: CaseSet<DeviceField> { adapter.storableFields }
    var supportsUpsert: Bool { adapter.supportsUpsert }
    var batchSize: Int { adapter.batchSize }
    var fanOutConcurrency: Int { adapter.fanOutConcurrency }
    func validate(_ change: DeviceChange, now: Double) -> Problem? { adapter.validate(change, now: now) }
    func accessTokenRequest() -> UpstreamRequest? { adapter.accessTokenRequest() }
    func accessToken(from response: UpstreamResponse) -> Result<AccessToken, Problem> { adapter.accessToken(from: response) }
    func request(for changes: [DeviceChange], accessToken: String?, now: Double, body: consuming [UInt8]) -> UpstreamRequest {
        adapter.request(for: changes, accessToken: accessToken, now: now, body: body)
    }
    func interpret(_ response: UpstreamResponse, for changes: [DeviceChange], lists: AnswerLists?) -> VendorAnswer {
        let answer = adapter.interpret(response, for: changes, lists: lists)
        return VendorAnswer(results: (0..<max(0, answer.count - 1)).map { answer[$0] })
    }
    func problem(for failure: UpstreamError) -> Problem { adapter.problem(for: failure) }
}
