import SwitchyardIO
import XCTest

final class ASCIITests: XCTestCase {
    /// The word-at-a-time lower-casing agrees with the byte-at-a-time one for every byte value in
    /// every position, among neighbours at each edge of the letters and of the high bit: a carry or
    /// borrow between bytes would show as a wrong neighbour.
    func testLowercasedWordMatchesLowercased() {
        let neighbours: [UInt8] = [0x00, 0x40, 0x41, 0x5A, 0x5B, 0x60, 0x61, 0x7A, 0x7F, 0x80, 0xC1, 0xDA, 0xFF]
        for neighbour in neighbours {
            for position in 0..<8 {
                for byte in UInt8.min...UInt8.max {
                    var bytes = [UInt8](repeating: neighbour, count: 8)
                    bytes[position] = byte
                    let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                    let expected = bytes.map(ASCII.lowercased).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                    XCTAssertEqual(ASCII.lowercased(word: word), expected, "byte \(byte) at \(position) among \(neighbour)")
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
}
