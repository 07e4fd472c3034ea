import Foundation
import XCTest
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardTestSupport
@testable import SwitchyardVendors

final class ErrorCatalogueTests: XCTestCase {
    private func response(_ status: Int, headers: String = "") throws -> UpstreamResponse {
        var parser = ResponseParser(limits: HTTPLimits())
        var head = HTTPResponseHead()
        let text = "HTTP/1.1 \(status) X\r\n\(headers)content-length: 0\r\n\r\n"
        _ = Array(text.utf8).withUnsafeBytes { parser.parseHead($0, requestMethod: .put, into: &head) }
        return UpstreamResponse(head: head, body: [])
    }

    /// Each adapter's table, with the table its lookups use.
    private let tables: [(Vendor, [ErrorCatalogue.Row])] = [
        (.gate, GateAdapter.errorRows), (.mobileFirstPush, MobileFirstPushAdapter.errorRows),
        (.mobileFirstPush, MobileFirstPushAdapter.tokenErrorRows), (.controlCenter, ControlCenterAdapter.errorRows),
        (.vodlix, VodlixAdapter.errorRows), (.iotSecurity, IoTSecurityAdapter.errorRows),
    ]

    func testEveryVendorRowMapsToItsProblemWithTheVendorsWordsAsDiagnostic() throws {
        var count = 0
        for (vendor, rows) in tables {
            for row in rows {
                XCTAssertEqual(row.vendor, vendor)
                let status = try XCTUnwrap(row.status)
                let problem = ErrorCatalogue.problem(for: try response(status), vendor: vendor, rows: rows,
                                                     code: row.vendorCode, message: "as the vendor said")
                XCTAssertEqual(problem.code, row.problem, "\(vendor) \(status) \(row.vendorCode ?? "-")")
                XCTAssertEqual(problem.upstream, UpstreamDiagnostic(status: status, code: row.vendorCode, message: "as the vendor said"))
                XCTAssertNotEqual(problem.code, .internalError, "a vendor answer is never a gateway 500")
                count += 1
            }
            let keys = rows.map { "\($0.status ?? 0) \($0.vendorCode ?? "")" }
            XCTAssertEqual(Set(keys).count, keys.count, "\(vendor): a row is unreachable behind a duplicate")
        }
        XCTAssertGreaterThan(count, 40)
    }

    func testUndocumentedAnswersFallBackByStatusAndAreCounted() throws {
        let cases: [(Int, ProblemCode)] = [
            (400, .validationFailed), (401, .upstreamAuthFailed), (403, .upstreamAuthFailed), (404, .deviceNotFound),
            (409, .conflict), (422, .validationFailed), (429, .upstreamRateLimited), (418, .upstreamError),
            (500, .upstreamError), (503, .upstreamError), (302, .upstreamError), (204, .upstreamError),
        ]
        for (status, code) in cases {
            let before = ErrorCatalogue.undocumentedAnswers
            let problem = ErrorCatalogue.problem(for: try response(status), vendor: .gate, rows: [], code: "X1", message: nil)
            XCTAssertEqual(problem.code, code, "\(status)")
            XCTAssertEqual(ErrorCatalogue.undocumentedAnswers, before + 1, "\(status) is counted")
        }
        let documented = ErrorCatalogue.undocumentedAnswers
        _ = ErrorCatalogue.problem(for: try response(404), vendor: .controlCenter, rows: ControlCenterAdapter.errorRows, code: "20000001", message: nil)
        XCTAssertEqual(ErrorCatalogue.undocumentedAnswers, documented, "a documented answer is not counted")
    }

    func testTransportFailuresMapToTheirProblems() {
        XCTAssertEqual(ErrorCatalogue.problem(for: UpstreamError(.connectFailed(errno: 111))).code, .upstreamUnavailable)
        XCTAssertEqual(ErrorCatalogue.problem(for: UpstreamError(.connectFailed(errno: 111))).headers.first?.value, "1")
        XCTAssertEqual(ErrorCatalogue.problem(for: UpstreamError(.timedOut)).code, .upstreamTimeout)
        XCTAssertEqual(ErrorCatalogue.problem(for: UpstreamError(.connectTimedOut)).code, .upstreamTimeout)
        XCTAssertEqual(ErrorCatalogue.problem(for: UpstreamError(.truncatedResponse)).code, .upstreamError)
        XCTAssertEqual(ErrorCatalogue.problem(for: UpstreamError(.invalidRequest("x"))).code, .internalError)
    }

    func testRetryAfterIsPassedOnOnlyWhenSane() throws {
        for (value, expected) in [("30", "30"), ("Wed, 21 Oct 2015 07:28:00 GMT", "1"), ("0", "1"), ("86400", "1")] {
            let problem = ErrorCatalogue.problem(for: try response(429, headers: "retry-after: \(value)\r\n"), vendor: .gate, rows: [], code: nil, message: nil)
            XCTAssertEqual(problem.headers.first { $0.name == "retry-after" }?.value, expected, value)
        }
    }

    /// docs/ERRORS.md is the operator's table; it must be what the code does.
    func testTheOperatorsTableIsCurrent() throws {
        let path = TestEnvironment.repositoryRoot.appendingPathComponent("docs/ERRORS.md").path
        let onDisk = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(onDisk, ErrorCatalogue.markdown(VendorAdapters.catalogue),
                       "docs/ERRORS.md is stale: regenerate it with `swift run switchyard errors > docs/ERRORS.md`")
    }
}
