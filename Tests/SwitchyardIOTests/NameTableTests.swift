import SwitchyardIO
import XCTest

final class NameTableTests: XCTestCase {
    /// Every name finds its position, by `String` and by bytes; a name of the same length that differs
    /// in one byte (first, middle or last), a prefix, a longer name and another case find none.
    func testEveryNameAndOnlyThoseAreFound() {
        // Below eight bytes, eight to sixteen and longer: each compared its own way (`bytesEqual`).
        let names = ["sim", "app", "user", "push", "state", "custom", "session", "platform", "", "ab", "ba",
                     "ratePlan", "accountCustom10", "overageLimitOverride", "communicationPlan", "customerCustom5"]
        let table = NameTable(names)
        for (index, name) in names.enumerated() {
            XCTAssertEqual(table.position(of: name), index, name)
            XCTAssertEqual(Array(name.utf8).withUnsafeBytes { table.position(of: $0) }, index, name)
        }
        for absent in ["sip", "tim", "sin", "si", "sims", "SIM", "Sim", "abc", "aa", "platforms", "sessioN", "x", String(repeating: "a", count: 100),
                       "ratePlam", "RatePlan", "accountCustom1O", "accountCustom11", "overageLimitOverridE",
                       "oVerageLimitOverride", "overageLimitOverrides", "communicationPlaM", "customerCustom4"] {
            XCTAssertNil(table.position(of: absent), absent)
        }
    }

    /// A name made of other strings (a bridged or sliced one has no contiguous UTF-8 of its own on
    /// some platforms) is looked up by its bytes all the same.
    func testANameBuiltFromPartsIsFound() {
        let table = NameTable(["imei", "iccid"])
        let text = "device iccid:123"
        let part = String(text.split(separator: " ")[1].split(separator: ":")[0])
        XCTAssertEqual(table.position(of: part), 1)
        XCTAssertNil(table.position(of: String(text.dropFirst(7).prefix(4))))
    }
}
