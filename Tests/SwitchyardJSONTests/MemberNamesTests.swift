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

    private func withNames(_ body: (MemberNames) throws -> Void) rethrows {
        let names = MemberNames.allocate()
        defer { names.deallocate() }
        try body(names)
    }

    func testALongNameReadAgainIsTheOneReadBefore() {
        withNames { names in
            for length in 16...31 {
                let text = String(repeating: "n", count: length - 1) + "\(length % 10)"
                let first = name(text, from: names)
                let again = name(text, from: names)
                XCTAssertEqual(again, text)
                XCTAssertEqual(storage(first), storage(again), "\(length) bytes")
            }
        }
    }

    /// Every name reads back as itself, kept or not; a name past the capacity is never kept.
    func testNamesOfEveryLengthReadBackAsThemselves() {
        withNames { names in
            let texts = (0...40).map { String(repeating: "s", count: $0) } + ["é", "éé", String(repeating: "é", count: 15), String(repeating: "é", count: 16)]
            for text in texts {
                let first = name(text, from: names)
                let again = name(text, from: names)
                XCTAssertEqual(first, text)
                XCTAssertEqual(again, text)
                if text.utf8.count > 31 { XCTAssertNotEqual(storage(first), storage(again), "\(text.utf8.count) bytes") }
            }
        }
    }

    /// The table hands a kept name out for a key equal to its own, so two different byte strings
    /// must never make equal keys: for every length, changing any one byte, or the length, changes
    /// the key (a byte left out of the key's words would let one name be read as another).
    func testEveryByteAndTheLengthAreInTheKey() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...31 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let key = bytes.withUnsafeBytes { NameKey($0) }
            for position in 0..<length {
                var changed = bytes
                changed[position] ^= 0x01
                XCTAssertNotEqual(changed.withUnsafeBytes { NameKey($0) }, key, "\(length) bytes, byte \(position)")
            }
            let longer = bytes + [0]
            if longer.count <= 31 { XCTAssertNotEqual(longer.withUnsafeBytes { NameKey($0) }, key, "\(length) bytes and a zero") }
            XCTAssertNotEqual(NameKey(), key, "no bytes at all against \(length)")
        }
    }

    /// Names a client makes up, many more than the table holds and colliding as they will, each read
    /// back as itself: a name that takes a place from another costs the other a new `String`, never
    /// its text.
    func testManyDistinctNamesAreEachReadAsThemselves() {
        withNames { names in
            var generator = SystemRandomNumberGenerator()
            let short = (0..<3_000).map { String($0, radix: 36) }
            let long = (0..<5_000).map { index in
                String(repeating: "k", count: Int.random(in: 0...12, using: &generator)) + "-member-\(index)"
            }
            let texts = short + long
            for _ in 0..<3 {
                for text in texts.shuffled(using: &generator) { XCTAssertEqual(name(text, from: names), text) }
            }
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
