@testable import SwitchyardDevices
import SwitchyardHTTP
import XCTest

/// What a problem document may carry from outside: bounded, whatever a client or vendor sends.
final class ProblemTests: XCTestCase {
    func testVendorMessagesAreCutAt1KiBOnACharacterBoundary() {
        XCTAssertEqual(UpstreamDiagnostic(status: 400, message: "short").message, "short")
        let ascii = String(repeating: "a", count: 5000)
        XCTAssertEqual(UpstreamDiagnostic(status: 400, message: ascii).message?.utf8.count, 1024)
        // Two-byte characters: 1024 falls on a boundary. Three-byte ones: it does not, and the
        // character it would split is left out whole.
        XCTAssertEqual(UpstreamDiagnostic(status: 400, message: String(repeating: "é", count: 3000)).message,
                       String(repeating: "é", count: 512))
        XCTAssertEqual(UpstreamDiagnostic(status: 400, message: String(repeating: "€", count: 3000)).message,
                       String(repeating: "€", count: 341))
        XCTAssertEqual(UpstreamDiagnostic(status: 400, code: String(repeating: "9", count: 500)).code?.count, 128)
    }

    func testFieldListsAreCappedAndSaySo() {
        let fields = (0..<250).map { FieldError(pointer: "/m\($0)", reason: "not a field of the device document") }
        let problem = Problem(.unsupportedField, detail: "Some members cannot be stored; nothing was sent.", fields: fields)
        XCTAssertEqual(problem.fields.count, Problem.maxFields)
        XCTAssertEqual(problem.fields.last?.pointer, "/m99")
        XCTAssertEqual(problem.detail, "Some members cannot be stored; nothing was sent. (the first 100 of 250 are listed)")
    }

    func testTimeoutsAndOverloadAreTheirOwnCodes() {
        XCTAssertEqual(Problem(parseError: .bodyTimeout).code, .requestTimeout)
        XCTAssertEqual(Problem(parseError: .headTimeout).code.status, 408)
        let overloaded = Problem(parseError: .overloaded)
        XCTAssertEqual(overloaded.code, .overloaded)
        XCTAssertEqual(overloaded.code.status, 503)
        XCTAssertEqual(overloaded.headers.first { $0.name == "retry-after" }?.value, "1")
    }
}
