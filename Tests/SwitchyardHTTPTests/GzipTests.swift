import SwitchyardHTTP
import XCTest

final class GzipTests: XCTestCase {
    func testRoundTripAndReuse() throws {
        let encoder = GzipEncoder()
        let decoder = GzipDecoder()
        for size in [0, 1, 1000, 200_000] {
            let input = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 7 % 251) }
            let compressed = encoder.compress(input)
            XCTAssertEqual(Array(compressed.prefix(2)), [0x1F, 0x8B], "a gzip member")
            XCTAssertEqual(try decoder.decompress(compressed, limit: size), input)
        }
    }

    func testLimitStopsABomb() {
        let bomb = GzipEncoder().compress([UInt8](repeating: 0, count: 10_000_000))
        XCTAssertLessThan(bomb.count, 20_000)
        XCTAssertThrowsError(try GzipDecoder().decompress(bomb, limit: 1_000_000)) { error in
            XCTAssertEqual(error as? GzipError, .tooLarge)
        }
    }

    func testMalformedAndTruncated() {
        let decoder = GzipDecoder()
        XCTAssertThrowsError(try decoder.decompress(Array("not gzip at all".utf8), limit: 100)) {
            XCTAssertEqual($0 as? GzipError, .malformed)
        }
        let whole = GzipEncoder().compress(Array(repeating: 65, count: 5000))
        XCTAssertThrowsError(try decoder.decompress(Array(whole.dropLast(6)), limit: 10_000)) {
            XCTAssertEqual($0 as? GzipError, .truncated)
        }
    }

    /// API.md §2: one member and nothing after it; junk or a second member are refused, and the
    /// decoder is fine for the next body afterwards.
    func testBytesAfterTheMemberAreRefused() throws {
        let decoder = GzipDecoder()
        let member = GzipEncoder().compress(Array("{}".utf8))
        for trailing in [Array("junk".utf8), [0], GzipEncoder().compress(Array("{}".utf8))] {
            XCTAssertThrowsError(try decoder.decompress(member + trailing, limit: 100)) {
                XCTAssertEqual($0 as? GzipError, .trailingData)
            }
        }
        XCTAssertEqual(try decoder.decompress(member, limit: 100), Array("{}".utf8))
    }
}
