import SwitchyardIO
@testable import SwitchyardJSON
import XCTest

final class JSONParserTests: XCTestCase {
    /// Objects built in a loop's reused member lists read the same as fresh ones, and a document
    /// kept after its lists were handed back is not written over by the documents parsed next.
    func testObjectsInReusedListsLeaveKeptDocumentsAlone() throws {
        let pool = JSONObject.pool()
        let texts = [#"{"a": {"b": [{"c": 1}], "d": "x"}, "e": true}"#, #"{"z": {"y": null}, "w": "v"}"#, #"[{}, {"k": "v"}]"#]
        var kept: [JSONValue] = []
        for round in 0..<50 {
            for text in texts {
                let pooled = try JSONParser.parse(Array(text.utf8), objects: pool)
                XCTAssertEqual(pooled, try JSONParser.parse(Array(text.utf8)))
                if round % 7 == 0 { kept.append(pooled) }
                pooled.giveObjects(to: pool)
            }
        }
        XCTAssertEqual(kept.count, 24)
        XCTAssertEqual(pool.count, 3, "the most objects one document had, each list reused")
        // A large document is built in lists of its own and none is kept: a pooled list keeps its
        // members until taken again.
        let large = #"{"a": {"b": "\#(String(repeating: "x", count: JSONObject.pooledDocumentBytes))"}}"#
        try JSONParser.parse(Array(large.utf8), objects: pool).giveObjects(to: pool)
        XCTAssertEqual(pool.count, 3)
        for (index, value) in kept.enumerated() {
            XCTAssertEqual(value, try JSONParser.parse(Array(texts[index % texts.count].utf8)), "kept document \(index)")
        }
    }

    private func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    private func assertRefused(_ text: String, _ reason: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(text), text, file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(reason), "\(text): \(error)", file: file, line: line)
        }
    }

    func testReadsEveryKindOfValueInOrder() throws {
        let value = try parse(#" {"b": [1, -0.5e+3, true, false, null], "a": {"s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}} "#)
        XCTAssertEqual(value, .object(JSONObject([
            ("b", .array([.number("1"), .number("-0.5e+3"), .bool(true), .bool(false), .null])),
            ("a", .object(JSONObject([("s", .string("x\"\\/\u{8}\u{c}\n\r\té😀"))]))),
        ])))
        XCTAssertEqual(value.objectValue?.members.map(\.name), ["b", "a"])
    }

    /// API.md §2: linear in the input. An object of 200,000 members (quadratic duplicate checks
    /// made 85,000 take 24.7 s) is read with every member findable by name, and a duplicate at its
    /// very end is still refused.
    func testLargeObjectsAreIndexedAndDuplicatesFoundAnywhere() throws {
        let names = (0..<200_000).map { "m\($0)" }
        let text = "{" + names.map { "\"\($0)\":1" }.joined(separator: ",") + "}"
        let object = try XCTUnwrap(try parse(text).objectValue)
        XCTAssertEqual(object.count, names.count)
        XCTAssertEqual(object["m0"], .number("1"))
        XCTAssertEqual(object["m199999"], .number("1"))
        XCTAssertNil(object["m200000"])
        assertRefused(String(text.dropLast()) + #","m123456":2}"#, "duplicate member name \"m123456\"")
    }

    /// Below the index threshold a scan finds members; across it the index takes over; both agree.
    func testLookupsAgreeAcrossTheIndexThreshold() {
        var object = JSONObject()
        for index in 0..<(JSONObject.indexThreshold * 2) {
            object.append("k\(index)", .number("\(index)"))
            for earlier in 0...index { XCTAssertEqual(object["k\(earlier)"], .number("\(earlier)")) }
            XCTAssertNil(object["k\(index + 1)"])
        }
    }

    /// The duplicate check compares a name with the earlier ones only when their signatures may
    /// match (`JSONParser.signature`): every way two names can be one string is still refused,
    /// wherever it comes in an object, and names that differ only where the signature does not
    /// look are told apart.
    func testDuplicatesAreFoundWhateverTheirSignatures() throws {
        let names = ["a", "b", "ab", "ba", "imei", "imsi", "generic_id", "user_class", "user_external_id", "", "a-b", "a+b"]
        for (position, name) in names.enumerated() {
            var members = names.map { #""\#($0)":1"# }
            let object = try XCTUnwrap(try parse("{" + members.joined(separator: ",") + "}").objectValue)
            XCTAssertEqual(object.members.map(\.name), names)
            members.insert(#""\#(name)":2"#, at: (position * 5) % (members.count + 1))
            assertRefused("{" + members.joined(separator: ",") + "}", "duplicate member name \"\(name)\"")
        }
        // The same name escaped and not: the signature is of the decoded bytes.
        assertRefused(#"{"imei":1,"\u0069mei":2}"#, "duplicate member name")
        // A name with other than ASCII has no signature, before or after its equal: the Kelvin
        // sign is a K to `String`'s `==`, and so is é written as one scalar or as two.
        assertRefused(#"{"K":1,"\u212A":2}"#, "duplicate member name")
        assertRefused(#"{"\u212A":1,"x":0,"K":2}"#, "duplicate member name")
        assertRefused(#"{"caf\u00e9":1,"cafe\u0301":2}"#, "duplicate member name")
        assertRefused(#"{"\u00e9t\u00e9":1,"a":0,"b":0,"e\u0301te\u0301":2}"#, "duplicate member name")
    }

    /// A name has a signature only when every byte of it is ASCII, as the string's scan finds on its
    /// way: a name with a byte past ASCII at any position of any length is looked up among the earlier
    /// ones, so the Kelvin sign (three bytes) is found to repeat a `K` wherever it stands in the
    /// name, before it or after it, in a tree and on `forEachMember`'s level.
    func testOnlyAnASCIINameHasASignature() {
        for length in 0...20 {
            for position in 0...length {
                let prefix = String(repeating: "n", count: position), suffix = String(repeating: "n", count: length - position)
                let ascii = prefix + "K" + suffix, kelvin = prefix + "\u{212A}" + suffix
                for text in [#"{"\#(ascii)":1,"\#(kelvin)":2}"#, #"{"\#(kelvin)":1,"\#(ascii)":2}"#] {
                    assertRefused(text, "duplicate member name")
                    XCTAssertThrowsError(try JSONParser.forEachMember(of: Array(text.utf8)) { _, _ in }, text)
                }
            }
        }
    }

    func testRoundTripsThroughTheWriter() throws {
        let text = #"{"data":"{\"number\":\"+1\\\"\"}","n":[1.5,null,{}],"e":"é\u0001"}"#
        var writer = JSONWriter()
        writer.value(try parse(text))
        XCTAssertEqual(String(decoding: writer.bytes, as: UTF8.self), text)
    }

    func testRefusesWhatLenientParsersAccept() {
        assertRefused(#"{"a": 1, "a": 2}"#, "duplicate member name")
        assertRefused("[1, 2,]", "unexpected character")
        assertRefused(#"{"a": 1,}"#, "expected a member name")
        assertRefused("01", "leading zeros")
        assertRefused("1.", "after \".\"")
        assertRefused("1e", "exponent")
        assertRefused("+1", "unexpected character")
        assertRefused("NaN", "unexpected character")
        assertRefused("[1] x", "after the JSON value")
        assertRefused("/* c */ 1", "unexpected character")
        assertRefused("\"a\tb\"", "control character")
        assertRefused(#""\ud800""#, "lone surrogate")
        assertRefused(#""\udc00x""#, "lone surrogate")
        assertRefused(#""\x""#, "unknown escape")
        assertRefused(#""\u12g4""#, "four hex digits")
        assertRefused("tru", "end of input")
        assertRefused("", "end of input")
        assertRefused(#"{"a" 1}"#, "expected \":\"")
    }

    /// RFC 8259 §2: whitespace is space, tab, line feed and carriage return, anywhere between
    /// tokens, in both of the parser's readings (a tree, and member by member); every other byte
    /// up to the space, and the ones a mask off by one would take, is a character out of place.
    func testOnlyTheFourWhitespaceBytesSeparateTokens() throws {
        for space in [" ", "\t", "\n", "\r", " \t\r\n "] {
            let text = space + "{" + space + #""a""# + space + ":" + space + "[" + space + "1" + space + "," + space + "true"
                + space + "]" + space + "," + space + #""b""# + space + ":" + space + "{" + space + "}" + space + "}" + space
            XCTAssertEqual(try parse(text), try parse(#"{"a":[1,true],"b":{}}"#), "\(Array(space.utf8))")
            var names: [String] = []
            XCTAssertNoThrow(try JSONParser.forEachMember(of: Array(text.utf8)) { name, _ in names.append(String(decoding: name, as: UTF8.self)) })
            XCTAssertEqual(names, ["a", "b"])
        }
        for byte in Array(UInt8(0x00)...0x1F).filter({ ![0x09, 0x0A, 0x0D].contains($0) }) + [0x21, 0x29, 0x2A, 0x40, 0x60, 0x7F, 0xA0] {
            let text: [UInt8] = Array(#"{"a":"#.utf8) + [byte] + Array("1}".utf8)
            XCTAssertThrowsError(try JSONParser.parse(text), "byte \(byte)")
            XCTAssertThrowsError(try JSONParser.parse([byte] + Array("1".utf8)), "byte \(byte) first")
        }
    }

    func testRefusesInvalidUTF8() {
        XCTAssertThrowsError(try JSONParser.parse([UInt8(ascii: "\""), 0xC3, 0x28, UInt8(ascii: "\"")]))
        XCTAssertThrowsError(try JSONParser.parse([UInt8(ascii: "\""), 0xED, 0xA0, 0x80, UInt8(ascii: "\"")]))
        XCTAssertEqual(try JSONParser.parse([UInt8(ascii: "\""), 0xC3, 0xA9, UInt8(ascii: "\"")]), .string("é"))
    }

    /// The string scan goes eight bytes a step: a quote, an escape, a control character, a
    /// multi-byte UTF-8 sequence (valid or not) at every position of strings up to three words long,
    /// in the first word, across a word's edge and in the bytes left after the last whole word, is
    /// found where it is, at any offset of the string in the document. The lengths reach past
    /// `CompactString`'s capacity: a value is held in place up to it and in a `String` past it.
    func testEveryByteThatEndsAPlainRunIsFoundAtEveryPosition() throws {
        for length in 0...40 {
            for position in 0..<max(length, 1) {
                for lead in Self.stringPlaces {
                    func document(_ middle: [UInt8]) -> [UInt8] {
                        var text = Array(String(repeating: "a", count: position).utf8)
                        text += middle
                        text += Array(String(repeating: "b", count: max(0, length - position - 1)).utf8)
                        return Self.document(quoting: text, after: lead)
                    }
                    func compact(_ bytes: [UInt8]) throws -> CompactString? { Self.string(in: try JSONParser.parse(bytes)) }
                    func string(_ bytes: [UInt8]) throws -> String? { try compact(bytes)?.description }
                    let plain = String(repeating: "a", count: position) + "x" + String(repeating: "b", count: max(0, length - position - 1))
                    XCTAssertEqual(try string(document([UInt8(ascii: "x")])), plain)
                    XCTAssertEqual(try compact(document([UInt8(ascii: "x")]))?.isHeld, plain.utf8.count > CompactString.inlineCapacity)
                    XCTAssertEqual(try string(document(Array(#"\""#.utf8))), plain.replacingOccurrences(of: "x", with: "\""))
                    XCTAssertEqual(try string(document(Array(#"\n"#.utf8))), plain.replacingOccurrences(of: "x", with: "\n"))
                    XCTAssertEqual(try string(document([0xC3, 0xA9])), plain.replacingOccurrences(of: "x", with: "é"))
                    XCTAssertEqual(try string(document([0x7F])), plain.replacingOccurrences(of: "x", with: "\u{7F}"), "DEL may stand as it is")
                    XCTAssertThrowsError(try JSONParser.parse(document([0x09])), "a tab at \(position) of \(length)") {
                        XCTAssertTrue("\($0)".contains("control character"), "\($0)")
                    }
                    XCTAssertThrowsError(try JSONParser.parse(document([0xC3, 0x28])), "a broken sequence at \(position) of \(length)") {
                        XCTAssertTrue("\($0)".contains("not valid UTF-8"), "\($0)")
                    }
                    var unterminated = document([UInt8(ascii: "x")])
                    unterminated.removeLast(Self.closing(lead).utf8.count + 1)
                    XCTAssertThrowsError(try JSONParser.parse(unterminated)) {
                        XCTAssertTrue("\($0)".contains("unterminated string"), "\($0)")
                    }
                }
            }
        }
    }

    /// Every byte value at the start, middle and end of strings up to five words long, at three
    /// offsets in the document: the scan stops at exactly the bytes a byte-by-byte reading
    /// stops at. A string keeps every byte from 0x20 to 0x7F but the quote and the backslash as it
    /// is; any other byte alone (a control character, a quote or backslash out of place, a byte of
    /// a sequence left unfinished) makes the document unreadable.
    func testEveryByteValueIsJudgedAtEveryLengthAndOffset() {
        for length in 1...40 {
            for position in Set([0, length / 2, length - 1]) {
                for lead in Self.stringPlaces {
                    for value in UInt8.min...UInt8.max {
                        var text = Array(repeating: UInt8(ascii: "a"), count: position) + [value]
                        text += Array(repeating: UInt8(ascii: "c"), count: length - position - 1)
                        let keeps = (0x20...0x7F).contains(value) && value != UInt8(ascii: "\"") && value != UInt8(ascii: "\\")
                        let string = (try? JSONParser.parse(Self.document(quoting: text, after: lead))).flatMap(Self.string(in:))
                        XCTAssertEqual(string?.withUTF8 { Array($0) }, keeps ? text : nil, "\(value) at \(position) of \(length) after \(lead)")
                    }
                }
            }
        }
    }

    /// Where the string tests put a string: alone, as an array's element, as an object's member `k`.
    private static let stringPlaces = ["", "[", "{\"k\":"]

    private static func closing(_ lead: String) -> String { lead.isEmpty ? "" : lead == "[" ? "]" : "}" }

    /// `text`, quoted as it is, in the place `lead` opens.
    private static func document(quoting text: [UInt8], after lead: String) -> [UInt8] {
        Array(lead.utf8) + [UInt8(ascii: "\"")] + text + [UInt8(ascii: "\"")] + Array(closing(lead).utf8)
    }

    /// The string read from where `document(quoting:after:)` put it.
    private static func string(in value: JSONValue) -> CompactString? {
        value.compactString ?? value.arrayValue?.first?.compactString ?? value.objectValue?["k"]?.compactString
    }

    func testBoundsNesting() throws {
        XCTAssertNoThrow(try JSONParser.parse(Array((String(repeating: "[", count: 32) + String(repeating: "]", count: 32)).utf8)))
        XCTAssertThrowsError(try JSONParser.parse(Array((String(repeating: "[", count: 33) + String(repeating: "]", count: 33)).utf8))) {
            XCTAssertTrue("\($0)".contains("nested deeper than 32"))
        }
        // Far past any stack: refused, not a crash.
        XCTAssertThrowsError(try JSONParser.parse(Array(String(repeating: "{\"a\":", count: 100_000).utf8)))
    }

    /// What `forEachMember` hands over, or its error: the members with their names as text.
    private func members(of bytes: [UInt8], objects: JSONObject.Pool? = nil) -> (isObject: Bool, members: [(String, JSONValue)])? {
        var members: [(String, JSONValue)] = []
        do {
            let isObject = try JSONParser.forEachMember(of: bytes, objects: objects) { name, value in
                members.append((String(decoding: name, as: UTF8.self), Self.jsonValue(value)))
            }
            return (isObject, members)
        } catch {
            XCTAssertTrue(members.isEmpty, "a refused text's members were handed over: \(String(decoding: bytes, as: UTF8.self))")
            XCTAssertThrowsError(try JSONParser.parse(bytes)) { XCTAssertEqual($0 as? JSONParseError, error) }
            return nil
        }
    }

    /// A handed-over value as `parse` reads it; a string only ever as its text.
    private static func jsonValue(_ value: JSONParser.MemberValue) -> JSONValue {
        switch value {
        case .string(let text): return .string(CompactString(validUTF8: UnsafeRawBufferPointer(text)))
        case .other(let other):
            if case .string = other { XCTFail("a string handed over as a value: \(other)") }
            return other
        }
    }

    /// `forEachMember` reads what `parse` reads: an object's members in order with the same values
    /// (names with escapes, names past ASCII and objects past the stack's room read as a tree), no
    /// member of any other value, and the same error for every text `parse` refuses, with no
    /// member handed over before it.
    private func assertMembersAgree(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        let text = String(decoding: bytes, as: UTF8.self)
        let walked = members(of: bytes)
        guard let parsed = try? JSONParser.parse(bytes) else {
            XCTAssertNil(walked, "accepted what parse refuses: \(text)", file: file, line: line)
            return
        }
        guard let walked else { return XCTFail("refused what parse accepts: \(text)", file: file, line: line) }
        XCTAssertEqual(walked.isObject, parsed.objectValue != nil, text, file: file, line: line)
        let expected = parsed.objectValue?.members ?? []
        XCTAssertEqual(walked.members.map(\.0), expected.map(\.name), text, file: file, line: line)
        XCTAssertEqual(walked.members.map(\.1), expected.map(\.value), text, file: file, line: line)
    }

    func testForEachMemberReadsWhatParseReads() {
        let many = "{" + (0...JSONObject.indexThreshold).map { #""m\#($0)":\#($0)"# }.joined(separator: ",") + "}"
        let texts = [
            #" {"number": "+1234567890", "generic_id": "com.example.app.user123", "imei": "123456789012345", "password": "p", "user_class": null} "#,
            #"{"a": {"b": [{"c": 1}], "d": "x"}, "e": true, "f": -0.5e+3, "g": []}"#,
            "{}", " { } ", "[]", "1", "\"x\"", "null", "[{\"a\": 1}]",
            #"{"\u0069mei": "1", "x": 2}"#, #"{"caf\u00e9": 1, "b": 2}"#, #"{"café": 1}"#, #"{"": 1, "a": ""}"#,
            many, String(many.dropLast()) + #","m3":0}"#,
            #"{"a": 1, "a": 2}"#, #"{"imei":1,"\u0069mei":2}"#, #"{"K":1,"\u212A":2}"#, #"{"ab":1,"ba":2,"ab":3}"#,
            #"{"a": 1,}"#, #"{"a" 1}"#, #"{"a": 1} x"#, #"{"a": 01}"#, #"{"a": "\ud800"}"#, #"{"a": 1"#, "{", "",
            #"{"a": "b\#u{01}"}"#, #"{"a": [1, 2,]}"#,
            // An escaped name's repeat is the error, not a later one (the stack gives up at the first).
            #"{"a\u0062": 1, "ab": 2, "c": "\x"}"#, String(many.dropLast()) + #","m3":0,"x":"\x"}"#,
        ]
        for text in texts { assertMembersAgree(Array(text.utf8)) }
        // Names that collide in the signature and differ in their bytes are told apart; the same
        // bytes are refused wherever the repeat comes.
        let names = ["a", "b", "ab", "ba", "imei", "imsi", "generic_id", "user_class", "user_external_id", "", "a-b", "a+b"]
        for (position, name) in names.enumerated() {
            var members = names.map { #""\#($0)":1"# }
            assertMembersAgree(Array(("{" + members.joined(separator: ",") + "}").utf8))
            members.insert(#""\#(name)":2"#, at: (position * 5) % (members.count + 1))
            assertMembersAgree(Array(("{" + members.joined(separator: ",") + "}").utf8))
        }
    }

    /// The nested objects of a record read member by member go back to the loop's pool, as a tree's do.
    func testForEachMemberHandsNestedObjectsBack() throws {
        let pool = JSONObject.pool()
        let text = Array(#"{"a": {"b": {"c": 1}}, "d": [{"e": 2}], "f": "g"}"#.utf8)
        for _ in 0..<20 {
            let read = try XCTUnwrap(members(of: text, objects: pool))
            XCTAssertEqual(read.members.map(\.0), ["a", "d", "f"])
            XCTAssertEqual(read.members[0].1, try JSONParser.parse(Array(#"{"b": {"c": 1}}"#.utf8)))
        }
        XCTAssertEqual(pool.count, 3, "the three nested objects' lists, reused")
    }

    /// The names `withRecordStrings` is given in the tests below: gate's record's, in gate's order.
    private static let recordNames: [StaticString] = ["number", "generic_id", "imei", "imsi", "iccid", "username", "password"]

    /// What `withRecordStrings` read: each name's string (nil when absent), or nil for a text it
    /// leaves to `forEachMember`. Whatever it reads, `parse` reads too, to an object of exactly
    /// those string members (and any `null`s).
    private func recordStrings(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [String?]? {
        let bytes = Array(text.utf8)
        let read = JSONParser.withRecordStrings(of: bytes, named: Self.recordNames) { strings in
            Self.recordNames.indices.map { strings[$0].map { String(decoding: $0, as: UTF8.self) } }
        }
        guard let read else { return nil }
        guard let object = (try? JSONParser.parse(bytes))?.objectValue else {
            XCTFail("read a record parse does not read as an object: \(text)", file: file, line: line)
            return read
        }
        let strings = object.members.filter { $0.value != .null }
        XCTAssertEqual(strings.map(\.name), Self.recordNames.indices.filter { read[$0] != nil }.map { "\(Self.recordNames[$0])" },
                       text, file: file, line: line)
        XCTAssertEqual(strings.map(\.value.stringValue), read.compactMap { $0 }, text, file: file, line: line)
        return read
    }

    /// A record in its vendor's shape is read where it lies: names in the order given (any left
    /// out), string or null values, whitespace anywhere JSON allows it.
    func testRecordStringsReadARecordInItsVendorsShape() throws {
        XCTAssertEqual(recordStrings(#"{"number":"+1234567890","generic_id":"com.example.app.user123","imei":"123456789012345","imsi":"310120123456789","iccid":"12345678901234567890","username":"john_doe","password":"p"}"#),
                       ["+1234567890", "com.example.app.user123", "123456789012345", "310120123456789", "12345678901234567890", "john_doe", "p"])
        XCTAssertEqual(recordStrings(" \n{ \"imei\" :\t\"1\" ,\r\n\"iccid\": null, \"password\":\"\" } \n"), [nil, nil, "1", nil, nil, nil, ""])
        XCTAssertEqual(recordStrings("{}"), [nil, nil, nil, nil, nil, nil, nil])
        XCTAssertEqual(recordStrings(#"{"username":"a \#u{7F}~ b"}"#), [nil, nil, nil, nil, nil, "a \u{7F}~ b", nil])
    }

    /// Every other text is left to `forEachMember`, valid JSON in another shape and invalid JSON alike.
    func testRecordStringsLeaveEveryOtherTextToForEachMember() {
        let others = [
            // Valid JSON in another shape: members out of order, repeated, unknown, escaped or past
            // ASCII; values of other types; not an object.
            #"{"imei":"1","number":"2"}"#, #"{"imei":"1","imei":"1"}"#, #"{"imei":"1","id":"2"}"#,
            #"{"\u0069mei":"1"}"#, #"{"imei":"1\n"}"#, #"{"imei":"\u0031"}"#, #"{"username":"josé"}"#,
            #"{"imei":1}"#, #"{"imei":true}"#, #"{"imei":["1"]}"#, #"{"imei":{}}"#, #"{"imei":nul}"#, #"[]"#, #""x""#, "null",
            // Not JSON at all.
            "", "{", #"{"imei":"1""#, #"{"imei":"1",}"#, #"{"imei" "1"}"#, #"{"imei":"1"} x"#, #"{"imei":"1"}}"#,
            #"{,"imei":"1"}"#, #"{"imei":"1" "iccid":"2"}"#, #"{"imei":"#, #"{"imei":"1"#, "{\"imei\":\"a\u{01}\"}",
            #"{"imei":nullx}"#, #"{"imei":null"#, "{\"imei\":\"1\"}\u{0B}",
        ]
        for text in others {
            XCTAssertNil(recordStrings(text), text)
            assertMembersAgree(Array(text.utf8))
        }
    }

    /// Random mutations of a valid document: the parser returns or throws, and whatever it
    /// accepts the writer writes back to something it accepts again, unchanged; `forEachMember`
    /// reads each as `parse` does.
    func testMutatedInputsNeverCrashAndRoundTrip() throws {
        let seed = Array(#"{"devices":[{"id":"iccid:8988216716970004975","sim":{"status":"ACTIVATED"},"n":-1.5e3,"ok":true,"x":null,"s":"\u00e9\n"}]}"#.utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var bytes = seed
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes.remove(at: index)
                default: bytes.insert(bytes[Int.random(in: 0..<bytes.count, using: &generator)], at: index)
                }
            }
            assertMembersAgree(bytes)
            guard let value = try? JSONParser.parse(bytes) else { continue }
            var writer = JSONWriter()
            writer.value(value)
            XCTAssertEqual(try JSONParser.parse(writer.bytes), value)
        }
    }
}
