@testable import SwitchyardHTTP
import SwitchyardIO
import XCTest

final class PercentEncodingTests: XCTestCase {
    /// Every byte value at every position of texts up to past two sixteen-byte steps, read from an
    /// unaligned start, among the unreserved characters the fast run reads (letters, digits, `-`)
    /// and those it leaves to the byte test (`.`, `_`, `~`): the run-and-byte check says what a
    /// byte-by-byte check says, whichever step (sixteen, eight or one) meets the byte.
    func testIsUnreservedAgreesWithAByteTestForEveryByteAtEveryPosition() {
        let fillers: [[UInt8]] = [Array("8988216716970004975".utf8), Array("aZ-09".utf8), Array("a._~Z".utf8)]
        let start = 3
        for filler in fillers {
            for count in 0...40 {
                var text = (0..<(start + count)).map { filler[$0 % filler.count] }
                check(text, start: start)
                for position in start..<(start + count) {
                    let kept = text[position]
                    for value in UInt8.min...UInt8.max {
                        text[position] = value
                        check(text, start: start)
                    }
                    text[position] = kept
                }
            }
        }
    }

    /// What needs no escape comes back as it was; everything else is escaped byte by byte, a space
    /// as `+` only in a form.
    func testEncodeEscapesAllButUnreservedCharacters() {
        XCTAssertEqual(PercentEncoding.encode("8988216716970004975", spaceAsPlus: false), "8988216716970004975")
        XCTAssertEqual(PercentEncoding.encode("Az09-._~", spaceAsPlus: false), "Az09-._~")
        XCTAssertEqual(PercentEncoding.encode("a/b?c#d%e f", spaceAsPlus: false), "a%2Fb%3Fc%23d%25e%20f")
        XCTAssertEqual(PercentEncoding.encode("a b", spaceAsPlus: true), "a+b")
        XCTAssertEqual(PercentEncoding.encode("caf\u{E9}", spaceAsPlus: false), "caf%C3%A9")
        XCTAssertEqual(PercentEncoding.encode(CompactString("89882167169700049751"), spaceAsPlus: false),
                       CompactString("89882167169700049751"))
        XCTAssertEqual(PercentEncoding.encode(CompactString("iccid:1/2"), spaceAsPlus: false), CompactString("iccid%3A1%2F2"))
    }

    private func check(_ text: [UInt8], start: Int, line: UInt = #line) {
        let expected = text[start...].allSatisfy(PercentEncoding.isUnreserved)
        text.withUnsafeBytes { raw in
            XCTAssertEqual(PercentEncoding.isUnreserved(UnsafeRawBufferPointer(rebasing: raw[start...])), expected,
                           "\(text[start...])", line: line)
        }
    }
}
