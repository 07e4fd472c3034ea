import XCTest
import Switchyard
import SwitchyardHTTP
@testable import SwitchyardVendors

final class ErrorCatalogueTests: XCTestCase {
    func testRetryAfterPassesOnlySaneDelaySeconds() {
        XCTAssertEqual(ErrorCatalogue.retryAfter("30"), "30")
        XCTAssertEqual(ErrorCatalogue.retryAfter(nil), "1")
        XCTAssertEqual(ErrorCatalogue.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), "1")
        XCTAssertEqual(ErrorCatalogue.retryAfter("0"), "1")
        XCTAssertEqual(ErrorCatalogue.retryAfter("86400"), "1")
    }
}
