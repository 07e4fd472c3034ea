import SwitchyardIO
import XCTest

final class BytesEqualTests: XCTestCase {
    /// At every length from 0 to past `memcmp`'s threshold, at unaligned starts: equal bytes are
    /// equal, and one byte changed anywhere (each bit of it, so a comparison that skips a byte or
    /// masks a bit shows) is not; lengths that differ never are.
    func testBytesEqualAtEveryLengthAndPosition() {
        let text: [UInt8] = (0..<48).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for count in 0...40 {
            for (leftStart, rightStart) in [(0, 0), (1, 3), (5, 2)] {
                var left = [UInt8](repeating: 0xAA, count: leftStart) + text[0..<count] + [0x55, 0x55]
                let right = [UInt8](repeating: 0xCC, count: rightStart) + text[0..<count] + [0x99]
                func equal() -> Bool {
                    left.withUnsafeBytes { l in
                        right.withUnsafeBytes { r in
                            UnsafeRawBufferPointer(rebasing: l[leftStart..<(leftStart + count)])
                                .bytesEqual(UnsafeRawBufferPointer(rebasing: r[rightStart..<(rightStart + count)]))
                        }
                    }
                }
                XCTAssertTrue(equal(), "length \(count)")
                for position in 0..<count {
                    for bit in 0..<8 {
                        left[leftStart + position] ^= 1 << bit
                        XCTAssertFalse(equal(), "length \(count), byte \(position), bit \(bit)")
                        left[leftStart + position] ^= 1 << bit
                    }
                }
                if count > 0 {
                    left.withUnsafeBytes { l in
                        right.withUnsafeBytes { r in
                            XCTAssertFalse(UnsafeRawBufferPointer(rebasing: l[leftStart..<(leftStart + count - 1)])
                                .bytesEqual(UnsafeRawBufferPointer(rebasing: r[rightStart..<(rightStart + count)])))
                        }
                    }
                }
            }
        }
    }

    func testBytesEqualToALiteral() {
        for text in ["iccid", "iccie", "iccid ", "", "user_external_id", "user_external_iD"] {
            let bytes = Array(text.utf8)
            bytes.withUnsafeBytes { buffer in
                XCTAssertEqual(buffer.bytesEqual("iccid"), text == "iccid", text)
                XCTAssertEqual(buffer.bytesEqual("user_external_id"), text == "user_external_id", text)
                XCTAssertEqual(buffer.bytesEqual(""), text.isEmpty, text)
            }
        }
    }
}
