import SwitchyardIO
import XCTest

final class ASCIITests: XCTestCase {
    /// The word-at-a-time lower-casing agrees with the byte-at-a-time one for every byte value in
    /// every position, among neighbours at each edge of the letters and of the high bit: a carry or
    /// borrow between bytes would show as a wrong neighbour.
    func testLowercasedWordMatchesLowercased() {
        forEachWord(among: [0x00, 0x40, 0x41, 0x5A, 0x5B, 0x60, 0x61, 0x7A, 0x7F, 0x80, 0xC1, 0xDA, 0xFF]) { word, bytes, context in
            let expected = bytes.map(ASCII.lowercased).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            XCTAssertEqual(ASCII.lowercased(word: word), expected, context)
        }
    }

    /// Calls `body` with every word of eight `neighbours` but one byte, for every byte value at
    /// every position: the words a byte-wise trick must get right without carries between bytes.
    private func forEachWord(among neighbours: [UInt8], _ body: (UInt64, [UInt8], String) -> Void) {
        for neighbour in neighbours {
            for position in 0..<8 {
                for byte in UInt8.min...UInt8.max {
                    var bytes = [UInt8](repeating: neighbour, count: 8)
                    bytes[position] = byte
                    body(bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }, bytes, "byte \(byte) at \(position) among \(neighbour)")
                }
            }
        }
    }

    /// Decimal digits as `String(value)` spells them, at every length and sign, the extremes
    /// included; nothing written past the count returned.
    func testWriteDecimalMatchesString() {
        var values = [0, 1, 9, 10, 99, 100, -1, -9, -10, Int.max, Int.min, Int.max - 1, Int.min + 1]
        var power = 1
        for _ in 1...18 {
            power *= 10
            values += [power - 1, power, power + 1, -(power - 1), -power]
        }
        var generator = SystemRandomNumberGenerator()
        values += (0..<1000).map { _ in Int.random(in: .min ... .max, using: &generator) }
        for value in values {
            var bytes = [UInt8](repeating: 0xEE, count: ASCII.maxDecimalBytes + 4)
            let count = bytes.withUnsafeMutableBytes { ASCII.writeDecimal(value, to: $0.baseAddress!) }
            XCTAssertEqual(String(decoding: bytes[..<count], as: UTF8.self), String(value))
            XCTAssertTrue(bytes[count...].allSatisfy { $0 == 0xEE }, "\(value): a byte past the count")
        }
    }

    /// The word-at-a-time digit test agrees with `isDigit` for every byte value in every position,
    /// among digits and among the bytes at the edges of the digits' range (where a carry from a
    /// neighbour would turn a colon into a digit or the reverse).
    func testAllDigitsWordMatchesIsDigit() {
        forEachWord(among: [0x30, 0x39, 0x2F, 0x3A, 0x3F, 0x40, 0x00, 0xFF, 0xF9]) { word, bytes, context in
            XCTAssertEqual(ASCII.allDigits(word: word), bytes.allSatisfy(ASCII.isDigit), context)
        }
    }

    /// Texts of every length from none to 40 bytes: all digits, and one non-digit at each
    /// position (so the short padded word, the whole words and the overlapping last one each
    /// catch it), with the buffer's next byte not a digit to show nothing past the end is read.
    func testAllDigitsAtEveryLengthAndPosition() {
        for count in 0...40 {
            var bytes = (0..<count).map { UInt8(ascii: "0") + UInt8($0 % 10) } + [UInt8(ascii: "x")]
            XCTAssertTrue(bytes.withUnsafeBytes { ASCII.allDigits(UnsafeRawBufferPointer(rebasing: $0[..<count])) }, "\(count) digits")
            for position in 0..<count {
                for intruder in [UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "a"), 0x00, 0xB0] {
                    let digit = bytes[position]
                    bytes[position] = intruder
                    XCTAssertFalse(bytes.withUnsafeBytes { ASCII.allDigits(UnsafeRawBufferPointer(rebasing: $0[..<count])) },
                                   "\(intruder) at \(position) of \(count)")
                    bytes[position] = digit
                }
            }
        }
        XCTAssertTrue(ASCII.allDigits(UnsafeRawBufferPointer(start: nil, count: 0)))
    }
}
