@testable import SwitchyardHTTP
import XCTest

final class HTTPRequestTests: XCTestCase {
    private final class Decision {}

    /// The admission is stored without an optional; it reads back as given: none as nil, an object
    /// as that very object, through the initializer and through the setter.
    func testTheAdmissionReadsBackAsGiven() {
        let decision = Decision()
        var request = HTTPRequest(head: HTTPRequestHead(), body: [], requestID: RequestID(high: 1, low: 2), isTLS: true)
        XCTAssertNil(request.admission)
        request.admission = decision
        XCTAssertTrue(request.admission === decision)
        request.admission = nil
        XCTAssertNil(request.admission)

        let admitted = HTTPRequest(head: HTTPRequestHead(), body: [], requestID: RequestID(high: 1, low: 2), isTLS: true,
                                   admission: decision)
        XCTAssertTrue(admitted.admission === decision)
    }
}
