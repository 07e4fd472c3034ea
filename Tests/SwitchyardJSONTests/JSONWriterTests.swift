import SwitchyardIO
import SwitchyardJSON
import XCTest

final class JSONWriterTests: XCTestCase {
    /// What `write` writes, appended as it goes and gathered (`writing(into:_:)`), which must agree
    /// byte for byte: every test here checks both, documents past the gathering's 512 bytes included.
    private func written(_ write: (inout JSONWriter) -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
        var json = JSONWriter()
        write(&json)
        let gathered = JSONWriter.writing(into: [], write)
        XCTAssertEqual(String(decoding: gathered, as: UTF8.self), String(decoding: json.bytes, as: UTF8.self),
                       "gathered and appended as written differ", file: file, line: line)
        return String(decoding: json.bytes, as: UTF8.self)
    }

    /// The shortest spelling that reads back as the same `Double`, whole numbers without `.0`:
    /// `JSONSerialization`'s, which the simulators' answers were written with before.
    func testWritesDoublesInTheirShortestForm() throws {
        let expected: [(Double, String)] = [
            (0, "0"), (2, "2"), (600, "600"), (0.5, "0.5"), (0.001, "0.001"), (0.1, "0.1"), (123456.789, "123456.789"),
            (0.00001, "1e-05"), (1e16, "1e+16"), (1e15, "1000000000000000"), (-0.0, "-0"), (-2.5, "-2.5"),
        ]
        for (value, text) in expected {
            XCTAssertEqual(written { $0.number(value) }, text)
            XCTAssertEqual(try JSONParser.parse(Array(text.utf8)).doubleValue, value, text)
        }
        XCTAssertEqual(written { json in
            json.beginObject()
            json.member("time", 0.25)
            json.member("count", 2)
            json.endObject()
        }, #"{"time":0.25,"count":2}"#)
    }

    /// The chunk-at-a-time scan (`switchyard_json_needs_escape`: overlapping words, sixteen-byte
    /// chunks) agrees with the byte rule for every byte value at every position of every length up
    /// to three chunks, and for strings that need nothing escaped.
    func testTheEscapeScanAgreesWithTheByteRule() {
        for length in 1...48 {
            for position in 0..<length {
                for byte in UInt8.min...UInt8.max {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = byte
                    let scanned = bytes.withUnsafeBufferPointer { JSONWriter.needsEscape($0) }
                    XCTAssertEqual(scanned, JSONWriter.needsEscape(byte), "byte \(byte) at \(position) of \(length)")
                }
            }
        }
        let text = Array("https://vendor.example.com:8443/devices/éü漢字?x=1".utf8)
        XCTAssertFalse(text.withUnsafeBufferPointer { JSONWriter.needsEscape($0) })
        XCTAssertFalse(JSONWriter.needsEscape(UnsafeBufferPointer<UInt8>(start: nil, count: 0)))
    }

    /// A document written as a string member in place is the same bytes as the document written on
    /// its own and then quoted, for values with quotes, backslashes, control characters and UTF-8,
    /// through every call a document is written with (each writes its quotes and escapes where it
    /// lands: `isStringified`), and it reads back as that document.
    func testADocumentStringifiedInPlaceIsTheDocumentQuoted() throws {
        let values = ["", "plain", #"say "hi""#, #"C:\dir\"#, "line\nbreak\ttab\u{7F}\u{1}", "Zürich ✓", #"\""#]
        for value in values {
            let document: (inout JSONWriter) -> Void = { json in
                json.beginObject()
                json.member("email", value)
                json.member(value, CompactString(value))
                json.key(0, of: JSONWriter.EncodedKeys([value]))
                json.beginArray()
                json.string(value)
                json.bool(true)
                json.null()
                json.number(0.5)
                json.beginObject()
                json.member(0, of: JSONWriter.EncodedKeys(openingStrings: [(key: "id", text: value + ":")]), finishedBy: CompactString(value))
                json.endObject()
                json.endArray()
                var bytes = Array(value.utf8)
                bytes.withUnsafeMutableBufferPointer { json.member("raw", utf8: UnsafeBufferPointer($0)) }
                json.member("list", [value, "x"])
                json.member("n", 1)
                json.endObject()
            }
            let inner = written(document)
            let expected = written { json in
                json.beginObject()
                json.member("id", "u1")
                json.member("data", inner)
                json.endObject()
            }
            let inPlace = written { json in
                json.beginObject()
                json.member("id", "u1")
                json.member("data", stringifying: document)
                json.endObject()
            }
            XCTAssertEqual(inPlace, expected, value)
            let data = try JSONParser.parse(Array(inPlace.utf8)).objectValue?["data"]?.stringValue
            XCTAssertEqual(data, inner, value)
        }
    }

    /// A member from bytes where they lie (a request id on the stack) is escaped like a `String`'s.
    func testAMemberFromUTF8BytesIsEscapedLikeAString() {
        for text in ["plain", #"quo"te\back"#, "line\nbreak", "ünï"] {
            var bytes = Array(text.utf8)
            let fromBytes = bytes.withUnsafeMutableBufferPointer { buffer in
                written { json in
                    json.beginObject()
                    json.member("id", utf8: UnsafeBufferPointer(buffer))
                    json.member("n", 1)
                    json.endObject()
                }
            }
            let fromString = written { json in
                json.beginObject()
                json.member("id", text)
                json.member("n", 1)
                json.endObject()
            }
            XCTAssertEqual(fromBytes, fromString)
        }
    }

    /// A member whose key and opening text were encoded together (a device id's `"id":"kind:`), finished
    /// by the rest, is the joined string's member, however either part must be escaped, before or after
    /// another member.
    func testAMemberFromAnEncodedOpeningIsTheJoinedStringsMember() {
        let texts = ["", "plain", #"quo"te\back"#, "line\nbreak", "ünï", String(repeating: "8", count: 40)]
        let openings = JSONWriter.EncodedKeys(openingStrings: texts.map { (key: "id", text: $0 + ":") })
        for (index, first) in texts.enumerated() {
            for second in texts {
                let fromParts = written { json in
                    json.beginObject()
                    json.member("n", 1)
                    json.member(index, of: openings, finishedBy: CompactString(second))
                    json.member(index, of: openings, finishedBy: CompactString(second))
                    json.endObject()
                }
                let joined = written { json in
                    json.beginObject()
                    json.member("n", 1)
                    json.member("id", first + ":" + second)
                    json.member("id", first + ":" + second)
                    json.endObject()
                }
                XCTAssertEqual(fromParts, joined, "\(first) \(second)")
            }
        }
    }

    func testWritesArraysOfStrings() {
        XCTAssertEqual(written { json in
            json.beginObject()
            json.member("data", ["This field is required.", "a \"quote\""])
            json.member("none", [])
            json.endObject()
        }, #"{"data":["This field is required.","a \"quote\""],"none":[]}"#)
    }

    /// Keys and strings of lengths around the escape scan's word (8 bytes) and longer, with and
    /// without a byte to escape, in every position a comma or a colon is due: the same bytes as
    /// quoting each by hand, and the same values read back.
    func testStringsAndKeysOfAnyLengthAreWrittenAlike() throws {
        for length in [0, 1, 7, 8, 9, 127, 128, 129, 130, 300] {
            for escaped in [false, true] {
                var text = String(repeating: "é", count: length / 2) + String(repeating: "a", count: length % 2)
                if escaped, !text.isEmpty { text.removeLast(); text += "\"" }
                let quoted = "\"" + (escaped && length > 0 ? text.dropLast() + #"\""# : Substring(text)) + "\""
                let document = written { json in
                    json.beginObject()
                    json.member(text, text)
                    json.key("k" + text)
                    json.beginArray()
                    json.string(text)
                    json.string(text)
                    json.endArray()
                    json.endObject()
                }
                let keyed = "\"k" + quoted.dropFirst()
                XCTAssertEqual(document, "{\(quoted):\(quoted),\(keyed):[\(quoted),\(quoted)]}", "length \(length), escaped \(escaped)")
                let parsed = try XCTUnwrap(JSONParser.parse(Array(document.utf8)).objectValue)
                XCTAssertEqual(parsed[text], .string(text))
                XCTAssertEqual(parsed["k" + text], .array([.string(text), .string(text)]))
            }
        }
    }
    /// A key or a string is written at once when it fits the writer's stage and needs no escaping,
    /// and piece by piece otherwise: for every length around the stage's size (128 bytes, with the
    /// comma, quotes and colon), with no byte or one byte to escape at each position, plain and
    /// stringified, through each call that stages, the bytes are the same as quoting by hand.
    func testStagedAndPieceByPieceWritingAgree() throws {
        let specials: [UInt8] = [UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x0A, 0x01, 0x7F, 0x1F]
        for length in 0...140 {
            for position in -1..<length {
                var bytes = (0..<length).map { UInt8(ascii: "a") + UInt8($0 % 26) }
                if position >= 0 { bytes[position] = specials[position % specials.count] }
                let text = String(decoding: bytes, as: UTF8.self)
                let quoted = Self.quotedByHand(bytes)
                let keys = JSONWriter.EncodedKeys(["other", text, "x"])
                let openings = JSONWriter.EncodedKeys(openingStrings: [(key: text, text: text + ":")])
                let document: (inout JSONWriter) -> Void = { json in
                    json.beginObject()
                    json.member(text, text)
                    json.member(text, CompactString(text))
                    json.member(1, of: keys, CompactString(text))
                    bytes.withUnsafeBufferPointer { json.member(text, utf8: $0) }
                    json.member(0, of: openings, finishedBy: CompactString(text))
                    json.key(text)
                    json.beginArray()
                    json.string(text)
                    json.string(CompactString(text))
                    json.endArray()
                    json.key(1, of: keys)
                    json.string(text)
                    json.endObject()
                }
                let member = "\(quoted):\(quoted)"
                let joined = "\(quoted):\(Self.quotedByHand(bytes + [UInt8(ascii: ":")] + bytes))"
                let expected = "{\(member),\(member),\(member),\(member),\(joined),\(quoted):[\(quoted),\(quoted)],\(member)}"
                XCTAssertEqual(written(document), expected, "length \(length), escape at \(position)")
                let stringified = written { json in
                    json.beginObject()
                    json.member("data", stringifying: document)
                    json.endObject()
                }
                XCTAssertEqual(stringified, "{\"data\":\(Self.quotedByHand(Array(expected.utf8)))}",
                               "stringified, length \(length), escape at \(position)")
            }
        }
    }

    /// RFC 8259's quoting, one byte at a time.
    private static func quotedByHand(_ bytes: [UInt8]) -> String {
        var text = "\""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): text += "\\\""
            case UInt8(ascii: "\\"): text += "\\\\"
            case 0x0A: text += "\\n"
            case 0x0D: text += "\\r"
            case 0x09: text += "\\t"
            case 0x00..<0x20, 0x7F: text += "\\u00" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
            default: text += String(decoding: [byte], as: UTF8.self)
            }
        }
        return text + "\""
    }
}
