@testable import SwitchyardHTTP
import SwitchyardIO
import XCTest

/// Request ids (API.md §2): a client's when it is sane, else 32 lowercase hex digits of 128
/// random bits, written from their numbers.
final class RequestIDTests: XCTestCase {
    func testAMadeIDIs32LowercaseHexDigitsAndNeverRepeats() {
        let generator = RequestIDGenerator()
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = generator.next()
            let text = id.description
            XCTAssertEqual(text.utf8.count, 32)
            XCTAssertTrue(text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }, text)
            XCTAssertEqual(id.withUTF8 { Array($0) }, Array(text.utf8), "the bytes written are the text")
            seen.insert(text)
        }
        XCTAssertEqual(seen.count, 10_000)
    }

    func testAMadeIDIsItsNumbersInHex() {
        XCTAssertEqual(RequestID(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210).description, "0123456789abcdeffedcba9876543210")
        XCTAssertEqual(RequestID(high: 0, low: 1).description, "00000000000000000000000000000001")
    }

    func testAClientsIDIsKeptOnlyWhenSane() {
        let generator = RequestIDGenerator()
        for sane in ["a", "7f3c2a9e-4b1d-4c55-9a77-0c2f1e8d6b10", String(repeating: "x", count: 128), "~!\"#\\"] {
            XCTAssertEqual(RequestID(given: sane)?.description, sane)
            XCTAssertEqual(generator.id(given: sane).description, sane)
            XCTAssertEqual(RequestID(given: sane)?.withUTF8 { Array($0) }, Array(sane.utf8))
        }
        for insane in ["", String(repeating: "x", count: 129), "a b", "a\r\nx-evil: 1", "a\u{7F}", "é", "tab\there"] {
            XCTAssertNil(RequestID(given: insane), insane)
            XCTAssertEqual(generator.id(given: insane).description.utf8.count, 32, "replaced by a made id")
        }
        XCTAssertEqual(generator.id(given: nil).description.utf8.count, 32)
    }

    func testAnIDIsWrittenIntoABufferAsItsText() {
        let buffer = ByteBuffer(capacity: 64)
        let id = RequestIDGenerator().next()
        buffer.append(id)
        buffer.append(RequestID(given: "given")!)
        XCTAssertEqual(Array(buffer.readableBytes), Array((id.description + "given").utf8))
    }
}
