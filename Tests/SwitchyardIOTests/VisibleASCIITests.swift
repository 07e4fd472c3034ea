import SwitchyardIO
import XCTest

final class VisibleASCIITests: XCTestCase {
    /// Every byte value at the start, middle and end of texts of every length from 0 to past three
    /// words, at unaligned starts, among fillers at the edges of the range (`!`, `~`) and in it:
    /// the word test says what a byte-by-byte test says (a borrow or a carry between bytes would show
    /// as a wrong answer beside the edges).
    func testIsVisibleASCIIAgreesWithAByteTestForEveryByteLengthAndPosition() {
        let fillers: [[UInt8]] = [[0x21], [0x7E], [0x21, 0x7E, 0x41, 0x7A]]
        for filler in fillers {
            for count in 0...27 {
                for start in [0, 3] {
                    let text = (0..<(start + count)).map { filler[$0 % filler.count] }
                    check(text, start: start)
                    for position in Set([0, count / 2, count - 1]) where count > 0 {
                        for value in UInt8.min...UInt8.max {
                            var changed = text
                            changed[start + position] = value
                            check(changed, start: start)
                        }
                    }
                }
            }
        }
    }

    private func check(_ text: [UInt8], start: Int, line: UInt = #line) {
        let expected = text[start...].allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
        text.withUnsafeBytes { raw in
            XCTAssertEqual(UnsafeRawBufferPointer(rebasing: raw[start...]).isVisibleASCII, expected,
                           "\(text[start...])", line: line)
        }
    }
}
