import FuzzSupport
import SwitchyardJSON

/// Fuzzes `JSONParser.parse` (Sources/Switchyard/JSON/JSONParser.swift) with the input as a
/// request body or vendor answer.
///
/// Invariants for an accepted document:
/// - no object in it has two members of the same name, and looking a member up by name finds it;
/// - it nests no deeper than `maxDepth`;
/// - the input as a whole is valid UTF-8 and holds nothing after the value but whitespace;
/// - `JSONWriter` writes it back as text that parses to the same value, and writing that again
///   gives the same bytes (a fixed point); gathered on the stack (`JSONWriter.writing(into:_:)`), the
///   same bytes as appended as it goes.
/// For a refused one: the error's offset lies within the input.
/// And `JSONParser.forEachMember` reads every input as `parse` does: an object's members in order
/// with the same values, nothing for any other value, the same error for a refused one and no member
/// handed over before it.
/// `JSONParser.withRecordStrings` reads only what `parse` reads to an object of exactly the strings
/// (and nulls) it found, each under a name of those it was given, in their order.
@main
enum JSONFuzzer {
    static func main() { FuzzDriver.run(testOneInput) }
}

let maxDepth = 8
/// Gate's record's names (the corpus holds its answers) and three a mutation reaches easily.
let recordNames: [StaticString] = [
    "number", "generic_id", "imei", "imsi", "iccid", "username", "password", "user_external_id", "user_class", "a", "b", "c",
]

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(fuzzBuffer(data, size))
    var members: [(name: String, value: JSONValue)] = []
    let walked = Result { () throws(JSONParseError) in
        try JSONParser.forEachMember(of: bytes, maxDepth: maxDepth) { name, value in
            switch value {
            case .string(let text):
                members.append((String(decoding: name, as: UTF8.self), .string(String(decoding: text, as: UTF8.self))))
            case .other(let other):
                invariant(other.stringValue == nil, "forEachMember handed a string over as a value")
                members.append((String(decoding: name, as: UTF8.self), other))
            }
        }
    }
    let value: JSONValue
    do {
        value = try JSONParser.parse(bytes, maxDepth: maxDepth)
    } catch {
        invariant(JSONParser.withRecordStrings(of: bytes, named: recordNames) { _ in true } == nil,
                  "withRecordStrings read a text parse refuses")
        invariant(error.offset >= 0 && error.offset <= size, "error offset \(error.offset) outside \(size) bytes")
        invariant(walked == .failure(error), "forEachMember: \(walked), parse: \(error)")
        invariant(members.isEmpty, "forEachMember handed over members of a refused text")
        return 0
    }
    let expected = value.objectValue?.members ?? []
    checkRecordStrings(bytes, parsed: value)
    invariant(walked == .success(value.objectValue != nil), "forEachMember: \(walked) for \(value.typeName)")
    invariant(members.map(\.name) == expected.map(\.name) && members.map(\.value) == expected.map(\.value),
              "forEachMember handed over other members than parse read")
    invariant(String(validating: bytes, as: UTF8.self) != nil, "accepted input that is not UTF-8")
    check(value, depth: 0)

    var writer = JSONWriter()
    writer.value(value)
    let written = writer.bytes
    let reread: JSONValue
    do {
        reread = try JSONParser.parse(written, maxDepth: maxDepth)
    } catch {
        invariant(false, "the writer's text does not parse (\(error)): " + String(decoding: written, as: UTF8.self))
        return 0
    }
    invariant(reread == value, "round trip changed the value: " + String(decoding: written, as: UTF8.self))
    var again = JSONWriter()
    again.value(reread)
    invariant(again.bytes == written, "writing is not a fixed point")
    invariant(JSONWriter.writing(into: []) { $0.value(value) } == written, "gathered and appended as written differ")
    return 0
}

func check(_ value: JSONValue, depth: Int) {
    switch value {
    case .object(let object):
        invariant(depth < maxDepth, "nested \(depth + 1) deep, past maxDepth \(maxDepth)")
        var names = Set<String>()
        for member in object.members {
            invariant(names.insert(member.name).inserted, "duplicate member name \"\(member.name)\" accepted")
            // The name index (past JSONObject.indexThreshold members) and the scan agree.
            invariant(object[member.name] == member.value, "lookup of \"\(member.name)\" finds another value")
            check(member.value, depth: depth + 1)
        }
    case .array(let elements):
        invariant(depth < maxDepth, "nested \(depth + 1) deep, past maxDepth \(maxDepth)")
        for element in elements { check(element, depth: depth + 1) }
    case .number(let text):
        invariant(!text.isEmpty && text.utf8.allSatisfy { "0123456789+-.eE".utf8.contains($0) }, "number text \(text)")
    case .null, .bool, .string:
        break
    }
}

/// What `withRecordStrings` read of an accepted text, if anything, is the object `parse` read: its
/// members, nulls aside, are the strings found, under their names, in `recordNames`' order.
func checkRecordStrings(_ bytes: [UInt8], parsed value: JSONValue) {
    let read = JSONParser.withRecordStrings(of: bytes, named: recordNames) { strings in
        recordNames.indices.compactMap { place in strings[place].map { ("\(recordNames[place])", String(decoding: $0, as: UTF8.self)) } }
    }
    guard let read else { return }
    guard let object = value.objectValue else { return invariant(false, "withRecordStrings read a \(value.typeName)") }
    let strings = object.members.filter { $0.value != .null }
    invariant(strings.map(\.name) == read.map(\.0) && strings.map(\.value.stringValue) == read.map(\.1),
              "withRecordStrings read other strings than parse")
    invariant(object.members.allSatisfy { member in recordNames.contains { "\($0)" == member.name } },
              "withRecordStrings read a member whose name it was not given")
}
