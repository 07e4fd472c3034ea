@testable import SwitchyardJSON
import XCTest

final class MemberNamesTests: XCTestCase {
    /// Where a string's bytes are: the same address for two names is one name kept and handed out twice.
    private func storage(_ name: String) -> UnsafePointer<UInt8>? {
        name.utf8.withContiguousStorageIfAvailable { $0.baseAddress }!
    }

    private func name(_ text: String, from names: MemberNames) -> String {
        Array(text.utf8).withUnsafeBufferPointer { names.name($0) }
    }

    func testALongNameReadAgainIsTheOneReadBefore() {
        let names = MemberNames()
        for length in 16...31 {
            let text = String(repeating: "n", count: length - 1) + "\(length % 10)"
            let first = name(text, from: names)
            let again = name(text, from: names)
            XCTAssertEqual(again, text)
            XCTAssertEqual(storage(first), storage(again), "\(length) bytes")
        }
    }

    /// A short name is a small `String` (nothing to keep) and a name past the capacity is not kept.
    func testOnlyNamesOfSixteenTo31BytesAreKept() {
        let names = MemberNames()
        for text in ["status", String(repeating: "s", count: 15), String(repeating: "l", count: 32), String(repeating: "é", count: 20)] {
            let first = name(text, from: names)
            let again = name(text, from: names)
            XCTAssertEqual(first, text)
            XCTAssertEqual(again, text)
            if text.utf8.count > 15 { XCTAssertNotEqual(storage(first), storage(again), "\(text.utf8.count) bytes") }
        }
    }

    /// Names a client makes up, many more than the slots and colliding as they will, each read back
    /// as itself: a name that takes a slot from another costs the other a new `String`, never its text.
    func testManyDistinctNamesAreEachReadAsThemselves() {
        let names = MemberNames()
        var generator = SystemRandomNumberGenerator()
        let texts = (0..<5_000).map { index in
            String(repeating: "k", count: Int.random(in: 0...12, using: &generator)) + "-member-\(index)"
        }
        for _ in 0..<3 {
            for text in texts.shuffled(using: &generator) { XCTAssertEqual(name(text, from: names), text) }
        }
    }

    /// Through the parser: a vendor answer's long name, read on every call, is the same `String`
    /// each time a loop's pool is given; without a pool, a new one.
    func testTheParserHandsOutALoopsLongNamesAgain() throws {
        let pool = JSONObject.pool()
        let body = Array(#"{"user_external_id":"ext_user_456","username":"john_doe"}"#.utf8)
        func longName(_ objects: JSONObject.Pool?) throws -> String {
            let document = try JSONParser.parse(body, objects: objects)
            defer { if let objects { document.giveObjects(to: objects) } }
            return document.objectValue!.members[0].name
        }
        let first = try longName(pool)
        XCTAssertEqual(first, "user_external_id")
        XCTAssertEqual(storage(try longName(pool)), storage(first))
        let (unpooled, unpooledAgain) = (try longName(nil), try longName(nil))
        XCTAssertNotEqual(storage(unpooled), storage(unpooledAgain))
    }
}
