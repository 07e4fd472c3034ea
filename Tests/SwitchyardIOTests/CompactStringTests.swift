import SwitchyardIO
import XCTest

final class CompactStringTests: XCTestCase {
    /// Texts of every length around the capacity, ASCII and not, with what each is made from.
    private let texts: [String] = (0...70).flatMap { (length: Int) -> [String] in
        let digits = String(repeating: "8", count: length)
        let printable = String((0..<length).map { (offset: Int) -> Character in Character(UnicodeScalar(UInt8(0x21 + offset % 90))) })
        let accented = String(repeating: "é", count: length / 2) + (length % 2 == 1 ? "x" : "")
        return [digits, printable, accented]
    }

    func testTextIsKeptByteForByteInPlaceUpToTheCapacityAndInAStringBeyond() {
        for text in texts {
            for made in [CompactString(text), Array(text.utf8).withUnsafeBytes { CompactString(decoding: $0) },
                         Array(text.utf8).withUnsafeBytes { CompactString(validUTF8: $0) }] {
                XCTAssertEqual(made.description, text)
                XCTAssertEqual(String(made), text)
                XCTAssertEqual(made.utf8Count, text.utf8.count, text)
                XCTAssertEqual(made.isEmpty, text.isEmpty)
                XCTAssertEqual(made.isHeld, text.utf8.count > CompactString.inlineCapacity, text)
                XCTAssertEqual(made.withUTF8 { Array($0) }, Array(text.utf8), text)
                XCTAssertEqual(made, CompactString(text), text)
                XCTAssertEqual(made.hashValue, CompactString(text).hashValue, text)
            }
        }
    }

    /// Text held in place is copied from its bytes alone, zero past them: taken from the middle of
    /// bytes that are all ones on either side, at every alignment, it is the same value (words,
    /// count, hash) as the text made on its own.
    func testTextInPlaceIsReadFromItsOwnBytesAtEveryLengthAndAlignment() {
        for length in 0...CompactString.inlineCapacity {
            let text = Array((0..<length).map { UInt8(0x41 + $0) })
            let alone = CompactString(String(decoding: text, as: UTF8.self))
            for start in 0..<8 {
                let surrounded = Array(repeating: 0xFF, count: start) + text + Array(repeating: 0xFF, count: 8)
                surrounded.withUnsafeBytes { raw in
                    let bytes = UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)])
                    for made in [CompactString(validUTF8: bytes), CompactString(decoding: bytes)] {
                        XCTAssertEqual(made.withUTF8 { Array($0) }, text, "\(length) at \(start)")
                        XCTAssertEqual(made, alone, "\(length) at \(start)")
                        XCTAssertEqual(made.hashValue, alone.hashValue, "\(length) at \(start)")
                    }
                }
            }
        }
    }

    func testALiteralIsTheSameTextAsOneMadeFromAString() {
        let literal: CompactString = "8988216716970004975"
        XCTAssertEqual(literal, CompactString("8988216716970004975"))
        XCTAssertFalse(literal.isHeld)
        let long: CompactString = "a literal longer than thirty-one bytes"
        XCTAssertEqual(long, CompactString("a literal longer than thirty-one bytes"))
        XCTAssertTrue(long.isHeld)
    }

    /// Text that is not UTF-8 is repaired as `String(decoding:as:)` repairs it, whichever side of
    /// the capacity it falls (a repair can make it longer or shorter than the capacity).
    func testInvalidUTF8IsRepairedAsAStringRepairsIt() {
        let broken: [[UInt8]] = [[0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80]]
        for bad in broken {
            for prefix in [0, 10, 26, 28, 29, 30, 31, 40] {
                let bytes = Array(repeating: UInt8(ascii: "7"), count: prefix) + bad
                let made = bytes.withUnsafeBytes { CompactString(decoding: $0) }
                let repaired = String(decoding: bytes, as: UTF8.self)
                XCTAssertEqual(made.description, repaired, "\(bytes)")
                XCTAssertEqual(made, CompactString(repaired), "\(bytes)")
            }
        }
    }

    /// Equal exactly when the bytes are: every pair of the texts, and two spellings of one
    /// character (RFC 8259 compares code units; `String` would call these equal).
    func testEqualityAndHashingAreByBytes() {
        let made = texts.map(CompactString.init)
        for (i, left) in made.enumerated() {
            for (j, right) in made.enumerated() where abs(i - j) < 12 {
                XCTAssertEqual(left == right, texts[i].utf8.elementsEqual(texts[j].utf8), "\(texts[i]) vs \(texts[j])")
            }
        }
        let precomposed = CompactString("caf\u{E9}")
        let combining = CompactString("cafe\u{301}")
        XCTAssertEqual("caf\u{E9}", "cafe\u{301}" as String)
        XCTAssertNotEqual(precomposed, combining)
        XCTAssertEqual(Set(made).count, Set(texts.map { Array($0.utf8) }).count)
    }

    func testAllUTF8TestsEveryByte() {
        for text in texts where !text.isEmpty {
            XCTAssertEqual(CompactString(text).allUTF8 { $0 == UInt8(ascii: "8") }, text.allSatisfy { $0 == "8" }, text)
        }
        XCTAssertTrue(CompactString("").allUTF8 { _ in false })
    }
}
