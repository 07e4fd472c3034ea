@testable import SwitchyardIO
import XCTest

final class SlotTableTests: XCTestCase {
    private final class Thing {
        let number: Int
        init(_ number: Int) { self.number = number }
    }

    /// Slots keep their values and numbers as the table doubles past its first capacity, writes go
    /// to the slot named, and the table's end releases every value it held.
    func testSlotsKeepTheirValuesAsTheTableGrowsAndAreReleasedWithIt() {
        var watched: [Int: () -> Thing?] = [:]
        do {
            var table = SlotTable<Thing?>(capacity: 1)
            for number in 0..<300 {
                let thing = Thing(number)
                watched[number] = { [weak thing] in thing }
                table.append(thing)
                XCTAssertEqual(table.count, number + 1)
            }
            for index in stride(from: 0, to: 300, by: 3) { table[index] = nil }
            XCTAssertNil(watched[0]!(), "a value replaced in its slot is released at once")
            for index in 0..<300 {
                XCTAssertEqual(table[index]?.number, index % 3 == 0 ? nil : index)
            }
            XCTAssertTrue(table.contains(299))
            XCTAssertFalse(table.contains(300))
            XCTAssertFalse(table.contains(-1))
        }
        XCTAssertTrue(watched.values.allSatisfy { $0() == nil }, "every value released with the table")
    }
}
