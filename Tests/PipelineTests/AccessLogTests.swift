@testable import Switchyard
import XCTest

/// What an access-log line may show of a request (API.md §6).
final class AccessLogTests: XCTestCase {
    /// An MSISDN or an IMSI names a subscriber: only its last 4 digits are logged.
    func testSubscriberIdsAreMaskedToTheirLastFourDigits() {
        XCTAssertEqual(AccessLog.masked("msisdn:+15550004567"), "msisdn:********4567")
        XCTAssertEqual(AccessLog.masked("imsi:310150123456780"), "imsi:***********6780")
        XCTAssertEqual(AccessLog.masked("msisdn:123"), "msisdn:123", "nothing to hide past the last 4")
        XCTAssertEqual(AccessLog.masked("iccid:8988216716970004975"), "iccid:8988216716970004975")
        XCTAssertEqual(AccessLog.masked("mac:A1B2C3D4E5F6"), "mac:A1B2C3D4E5F6")
    }

    func testDurationsAreMillisecondsToTheMicrosecond() {
        XCTAssertEqual(AccessLog.millis(1_234_567), 1.234)
        XCTAssertEqual(AccessLog.millis(999), 0)
    }
}
