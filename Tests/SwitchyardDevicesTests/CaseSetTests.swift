import SwitchyardDevices
import XCTest

final class CaseSetTests: XCTestCase {
    /// A case's bit is its place in `allCases`: what lets the set hand its members back.
    func testEveryCaseBitIsItsPlaceInAllCases() {
        for (place, field) in DeviceField.allCases.enumerated() { XCTAssertEqual(field.caseBit, place, "\(field)") }
        for (place, kind) in IdentifierKind.allCases.enumerated() { XCTAssertEqual(kind.caseBit, place, "\(kind)") }
        XCTAssertLessThanOrEqual(DeviceField.allCases.count, 64)
        // Handed back from its bit as the case itself, for every case.
        XCTAssertEqual(Array(CaseSet(DeviceField.allCases)), DeviceField.allCases)
        XCTAssertEqual(Array(CaseSet(IdentifierKind.allCases)), IdentifierKind.allCases)
    }

    /// Membership, iteration in `allCases` order and equality agree with a `Set` for every case.
    func testASetOfCasesAgreesWithSet() {
        let chosen = DeviceField.allCases.enumerated().filter { $0.offset % 3 != 1 }.map(\.element)
        let cases = CaseSet(chosen.reversed())
        let reference = Set(chosen)
        for field in DeviceField.allCases {
            XCTAssertEqual(cases.contains(field), reference.contains(field), "\(field)")
        }
        XCTAssertEqual(Array(cases), chosen)
        XCTAssertEqual(cases, CaseSet(chosen))
        XCTAssertNotEqual(cases, CaseSet(chosen.dropLast()))
        XCTAssertTrue(CaseSet<IdentifierKind>().isEmpty)
        let kinds: CaseSet<IdentifierKind> = [.ipv4, .iccid]
        XCTAssertEqual(Array(kinds), [.iccid, .ipv4])
        XCTAssertEqual(kinds.description, "\(Array(kinds))", "a failed comparison names the members")
    }
}
