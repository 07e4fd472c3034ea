@testable import Switchyard
import SwitchyardDevices
import XCTest

final class PathDeviceIDTests: XCTestCase {
    private func id(_ path: String) -> PathDeviceID {
        var path = path
        return path.withUTF8 { PathDeviceID(UnsafeRawBufferPointer($0)) }
    }

    /// A path's id is decoded first and split at its kind after: an escaped colon types it as a
    /// written one does; a kind not spelt exactly, or none, leaves the whole id for the vendor's
    /// primary kind (a MAC has colons of its own).
    func testSplitsAtTheKindAfterDecoding() {
        XCTAssertEqual(id("iccid:8988216716970004975"), id("iccid%3A8988216716970004975"))
        XCTAssertEqual(id("iccid:8988216716970004975").kind, .iccid)
        XCTAssertEqual(id("iccid:8988216716970004975").text, "8988216716970004975")
        XCTAssertEqual(id("%69ccid:1").kind, .iccid)
        for bare in ["8988216716970004975", "A1:B2:C3:D4:E5:F6", "ICCID:1", "iccidx:1", "sim%20card"] {
            XCTAssertNil(id(bare).kind, bare)
            XCTAssertEqual(id(bare).text?.description, bare.replacingOccurrences(of: "%20", with: " "), bare)
        }
        XCTAssertEqual(id("mac:a1:b2:c3:d4:e5:f6").text, "a1:b2:c3:d4:e5:f6")
    }

    /// A bad escape or bytes that decode to no UTF-8 leave no text: `translate` refuses the request.
    func testABadEscapeOrInvalidUTF8LeavesNoText() {
        for bad in ["iccid:%", "iccid:8988%2", "iccid:89%ZZ", "%FF", "iccid:%C3%28"] {
            XCTAssertNil(id(bad).text, bad)
            XCTAssertNil(id(bad).kind, bad)
        }
        XCTAssertEqual(id("iccid:%C3%A9").text, "é")
    }
}
