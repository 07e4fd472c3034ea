import Foundation
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardJSON
import XCTest
@testable import SwitchyardVendors

final class MobileFirstPushAdapterTests: XCTestCase {
    /// The application the fixtures' paths name.
    let adapter = MobileFirstPushAdapter(applicationId: "myapp", clientId: "gateway-client", clientSecret: "s3cret")

    func testGoldenFixtures() throws {
        try GoldenFixture.runAll("mobilefirst-push", adapter: adapter)
    }

    func testCapabilities() {
        XCTAssertEqual(adapter.vendor, .mobileFirstPush)
        XCTAssertEqual(adapter.primaryKind, .deviceId)
        XCTAssertEqual(adapter.addressableKinds, [.deviceId])
        XCTAssertEqual(adapter.storableFields, [.deviceId, .msisdn, .userId, .pushToken])
        XCTAssertFalse(adapter.supportsUpsert)
        XCTAssertEqual(adapter.batchSize, 1)
        XCTAssertEqual(adapter.fanOutConcurrency, 4)
    }

    func testErrorRows() {
        XCTAssertEqual(MobileFirstPushAdapter.errorRows.map { "\($0.status!) \($0.problem.rawValue) \($0.documented)" }, [
            "400 validation_failed true", "401 upstream_auth_failed true", "404 device_not_found true",
            "405 upstream_error true", "406 upstream_error true", "500 upstream_error true",
        ])
        XCTAssertEqual(MobileFirstPushAdapter.tokenErrorRows.map { "\($0.status!) \($0.problem.rawValue) \($0.documented)" }, [
            "400 upstream_auth_failed false", "401 upstream_auth_failed false", "404 upstream_error false",
        ])
        XCTAssertTrue((MobileFirstPushAdapter.errorRows + MobileFirstPushAdapter.tokenErrorRows).allSatisfy {
            $0.vendor == .mobileFirstPush && $0.vendorCode == nil
        })
    }

    // MARK: The token

    func testTokenRequest() throws {
        let request = try XCTUnwrap(adapter.accessTokenRequest())
        XCTAssertEqual(request.method, .post)
        XCTAssertEqual(request.path, "/mfp/api/az/v1/token")
        XCTAssertEqual(request.fields.map { "\($0.name): \($0.value)" }, [
            "authorization: Basic " + Data("gateway-client:s3cret".utf8).base64EncodedString(),
            "content-type: application/x-www-form-urlencoded",
            "accept: application/json",
        ])
        XCTAssertEqual(String(decoding: request.body, as: UTF8.self),
                       "grant_type=client_credentials&scope=devices.write+push.application.myapp")
    }

    /// An application id is configuration, but still one form value and one path segment.
    func testApplicationIdIsEncodedInTheScopeAndThePath() throws {
        let adapter = MobileFirstPushAdapter(applicationId: "my app&x/y", clientId: "c", clientSecret: "s")
        let token = try XCTUnwrap(adapter.accessTokenRequest())
        XCTAssertEqual(String(decoding: token.body, as: UTF8.self),
                       "grant_type=client_credentials&scope=devices.write+push.application.my+app%26x%2Fy")
        let change = DeviceChange(operation: .update, id: DeviceIdentifier(kind: .deviceId, value: "d1"), document: DeviceDocument())
        XCTAssertEqual(adapter.request(for: [change], accessToken: "t", now: 0).requestTarget, "/imfpush/v1/apps/my%20app%26x%2Fy/devices/d1")
    }

    func testGoodTokenAnswer() throws {
        let answer = try response(200, #"{"access_token": "mfp-abc.DEF_123", "token_type": "Bearer", "expires_in": 3599, "scope": "devices.write push.application.myapp"}"#)
        XCTAssertEqual(try adapter.accessToken(from: answer).get(), AccessToken(value: "mfp-abc.DEF_123", expiresInSeconds: 3599))
    }

    func testTokenRefusedClientCredentials() throws {
        let problem = try tokenProblem(401, #"{"error": "invalid_client", "error_description": "Client authentication failed."}"#)
        XCTAssertEqual(problem.code, .upstreamAuthFailed)
        XCTAssertEqual(problem.upstream, UpstreamDiagnostic(status: 401, code: "invalid_client", message: "Client authentication failed."))
    }

    func testTokenRefusedScope() throws {
        let problem = try tokenProblem(400, #"{"error": "invalid_scope", "error_description": "The client may not be granted the scope push.application.myapp."}"#)
        XCTAssertEqual(problem.code, .upstreamAuthFailed)
        XCTAssertEqual(problem.upstream, UpstreamDiagnostic(status: 400, code: "invalid_scope",
                                                            message: "The client may not be granted the scope push.application.myapp."))
    }

    /// A token endpoint that is not there is a wrong upstream, not a missing device.
    func testTokenEndpointNotFound() throws {
        let problem = try tokenProblem(404, #"{"message": "Not Found"}"#)
        XCTAssertEqual(problem.code, .upstreamError)
        XCTAssertEqual(problem.upstream, UpstreamDiagnostic(status: 404))
    }

    func testTokenServerError() throws {
        XCTAssertEqual(try tokenProblem(500, #"{"error": "server_error"}"#).code, .upstreamError)
    }

    func testUnreadableTokenAnswers() throws {
        for body in [
            "not json at all",
            #"["access_token"]"#,
            #"{"token_type": "Bearer", "expires_in": 3599}"#,
            #"{"access_token": "", "expires_in": 3599}"#,
            #"{"access_token": "two words", "expires_in": 3599}"#,
            #"{"access_token": "line\r\nbreak", "expires_in": 3599}"#,
            #"{"access_token": "t\#u{E9}ken", "expires_in": 3599}"#,
            #"{"access_token": 42, "expires_in": 3599}"#,
            #"{"access_token": "abc"}"#,
            #"{"access_token": "abc", "expires_in": "3599"}"#,
            #"{"access_token": "abc", "expires_in": 0}"#,
            #"{"access_token": "abc", "expires_in": -5}"#,
            // A number too large for a Double is infinite: a token that would never expire (found by fuzzing).
            #"{"access_token": "abc", "expires_in": 1e999}"#,
        ] {
            let problem = try tokenProblem(200, body)
            XCTAssertEqual(problem.code, .upstreamError, body)
            XCTAssertEqual(problem.upstream, UpstreamDiagnostic(status: 200), body)
            XCTAssertTrue(problem.detail.hasPrefix("The vendor's answer could not be read: "), body)
        }
    }

    // MARK: Helpers

    /// The problem the token answer makes; an answer taken as a token fails the test.
    private func tokenProblem(_ status: Int, _ body: String) throws -> Problem {
        guard case .failure(let problem) = adapter.accessToken(from: try response(status, body)) else {
            throw GoldenFixture.FixtureError("a \(status) answer \(body) was taken as a token")
        }
        return problem
    }

    private func response(_ status: Int, _ text: String) throws -> UpstreamResponse {
        try GoldenFixture.response(JSONObject([
            ("status", .number(String(status))),
            ("headers", .object(JSONObject([("content-type", .string("application/json"))]))),
            ("text", .string(text)),
        ]))
    }
}
