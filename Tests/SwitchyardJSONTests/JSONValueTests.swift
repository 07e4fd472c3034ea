import SwitchyardJSON
import XCTest

final class JSONValueTests: XCTestCase {
    /// A number's value whatever its spelling; nothing for other values or past `Double`'s range.
    func testDoubleValueReadsNumbersByValue() throws {
        let values: [(String, Double?)] = [
            ("2", 2), ("2.0", 2), ("2e0", 2), ("2.50", 2.5), ("1E+2", 100), ("-0", -0.0), ("0.1", 0.1), ("1e-400", 0),
            ("12345678901234567890", 12345678901234567168), ("1e400", nil), ("-1e400", nil),
            ("\"2\"", nil), ("true", nil), ("null", nil), ("[2]", nil),
        ]
        for (text, expected) in values {
            XCTAssertEqual(try JSONParser.parse(Array(text.utf8)).doubleValue, expected, text)
        }
    }
}
