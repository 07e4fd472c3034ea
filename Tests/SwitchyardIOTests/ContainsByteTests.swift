import SwitchyardIO
import XCTest

final class ContainsByteTests: XCTestCase {
    /// For every byte value, at every length from 0 to past three words and at unaligned starts:
    /// found at the start, in the middle and at the end (alone, at length one), the first of two
    /// found where it is, and never found among bytes that differ from it by one bit or one unit
    /// (where a word test's borrow would show a false match, or a match too early).
    func testContainsByteAndFirstOffsetAgreeWithABytewalkForEveryByteLengthAndPosition() {
        for target in 0...255 {
            let byte = UInt8(target)
            let others = Set([byte &+ 1, byte &- 1, byte ^ 0x80, byte ^ 0x01, byte ^ 0xFF, 0x00, 0x80, 0xFF])
                .subtracting([byte]).sorted()
            for count in 0...27 {
                for start in [0, 3] {
                    let filler = (0..<(start + count)).map { others[$0 % others.count] }
                    check(filler, start: start, byte: byte)
                    for position in [0, count / 2, count - 1] where count > 0 {
                        var text = filler
                        text[start + position] = byte
                        check(text, start: start, byte: byte)
                        // A second one after it, in the same word or the next.
                        for later in [position + 1, position + 8] where later < count {
                            var twice = text
                            twice[start + later] = byte
                            check(twice, start: start, byte: byte)
                        }
                    }
                }
            }
        }
    }

    private func check(_ text: [UInt8], start: Int, byte: UInt8, line: UInt = #line) {
        let expected = text[start...].firstIndex(of: byte).map { $0 - start }
        text.withUnsafeBytes { raw in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[start...])
            XCTAssertEqual(bytes.containsByte(byte), expected != nil, "\(byte) in \(text[start...])", line: line)
            XCTAssertEqual(bytes.firstOffset(of: byte), expected, "\(byte) in \(text[start...])", line: line)
        }
    }
}
