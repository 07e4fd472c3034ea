import SwitchyardIO

/// A strict RFC 8259 reader for request bodies and vendor answers.
///
/// Byte-level and single-pass, because JSON is on the hot path twice per request
/// (docs/ARCHITECTURE.md: Foundation's `JSONSerialization` takes about twice this reader's time
/// for a device document, and accepts duplicate members). Strict where lenient parsers disagree,
/// since a body that two parsers read differently can carry a value past a check: invalid UTF-8, lone surrogates,
/// duplicate member names, leading zeros, trailing commas, comments and anything after the
/// value are all refused. Nesting is bounded by `maxDepth`, so a hostile body cannot exhaust
/// the stack.
public struct JSONParser {
    public static let defaultMaxDepth = 32

    /// Parses `bytes` as one JSON text. A small document's objects (`JSONObject.pooledDocumentBytes`)
    /// are built in member lists from `objects` when given (a loop's, refilled by
    /// `JSONValue.giveObjects(to:)` once a document is done with), and the member names it read before
    /// are handed out again (`MemberNames`), so a steady stream of device documents builds them
    /// without allocating or making a `String` of a name each time.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth,
                             objects: JSONObject.Pool? = nil) throws(JSONParseError) -> JSONValue {
        let lists = bytes.count <= JSONObject.pooledDocumentBytes ? objects?.lists : nil
        return try bytes.withUnsafeBufferPointer { buffer throws(JSONParseError) in
            var parser = JSONParser(buffer, maxDepth: maxDepth, lists: lists, names: objects?.names)
            parser.skipWhitespace()
            let value = try parser.parseValue(depth: 0)
            parser.skipWhitespace()
            guard parser.offset == buffer.count else { throw parser.error("unexpected data after the JSON value") }
            return value
        }
    }

    /// Reads `bytes` as `parse` does and, when the text is an object, hands `member` each of its
    /// members in order (the name's UTF-8 and the value) and returns true; false, with no member
    /// handed over, for any other value. For reading a vendor's record straight into a device
    /// document: the tree `parse` builds (a list from the pool, a `String` per name, each member
    /// appended, all of it emptied again when the list is next taken) would be walked once and dropped.
    /// A string value is handed over as its text where it lies (`MemberValue.string`), not made into a
    /// `JSONValue` first: the record's reader keeps it as it needs it, and a vendor's record is strings.
    ///
    /// The top object's members are read onto the stack and handed over only once the whole text is
    /// read, so a text `parse` refuses is refused, with `parse`'s error, before `member` sees any of
    /// it. At a member the stack cannot hold (past `levelCapacity`, or a name with an escape or
    /// beyond ASCII, which a range of the text cannot stand for) the reading stops, and the text is
    /// read again as a tree and handed over from it.
    public static func forEachMember(of bytes: [UInt8], maxDepth: Int = defaultMaxDepth, objects: JSONObject.Pool? = nil,
                                     _ member: (UnsafeBufferPointer<UInt8>, MemberValue) -> Void) throws(JSONParseError) -> Bool {
        let lists = bytes.count <= JSONObject.pooledDocumentBytes ? objects?.lists : nil
        let handedOver = try bytes.withUnsafeBufferPointer { buffer throws(JSONParseError) -> Bool in
            var parser = JSONParser(buffer, maxDepth: maxDepth, lists: lists, names: objects?.names)
            parser.skipWhitespace()
            guard parser.current == UInt8(ascii: "{") else { return false }
            return try withUnsafeTemporaryAllocation(of: LevelMembers.Entry.self, capacity: levelCapacity) {
                entries throws(JSONParseError) -> Bool in
                var level = LevelMembers(entries: entries)
                // Members are moved out as they are handed over, each destroyed as the type it is;
                // only what a refused text leaves is deinitialized through the generic witnesses.
                var handed = 0
                defer {
                    if handed < level.count { (entries.baseAddress! + handed).deinitialize(count: level.count - handed) }
                }
                try parser.parseObject(depth: 1, into: &level)
                guard !level.isAbandoned else { return false }
                parser.skipWhitespace()
                guard parser.offset == buffer.count else { throw parser.error("unexpected data after the JSON value") }
                while handed < level.count {
                    let (name, value) = (entries.baseAddress! + handed).move()
                    handed += 1
                    let nameBytes = UnsafeBufferPointer(rebasing: buffer[name])
                    switch value {
                    case .text(let text): member(nameBytes, .string(UnsafeBufferPointer(rebasing: buffer[text])))
                    case .value(let value):
                        handOver(nameBytes, value, to: member)
                        if let objects, value.holdsValues { value.giveObjects(to: objects) }
                    }
                }
                return true
            }
        }
        if handedOver { return true }
        // Not an object, or one the stack level could not hold: read as a tree.
        let value = try parse(bytes, maxDepth: maxDepth, objects: objects)
        guard case .object(let object) = value else { return false }
        for index in object.members.indices {
            object.members[index].name.withContiguousUTF8 { handOver($0, object.members[index].value, to: member) }
        }
        if let objects { value.giveObjects(to: objects) }
        return true
    }

    /// A member's value as `forEachMember` hands it over.
    public enum MemberValue {
        /// A string's text (valid UTF-8, escapes decoded), where it lies: in the text read when it had no
        /// escape. Valid only for the call it is handed to.
        case string(UnsafeBufferPointer<UInt8>)
        /// Any value but a string.
        case other(JSONValue)
    }

    /// `value` handed to `member` as `forEachMember` hands a member over: a string as its text.
    private static func handOver(_ name: UnsafeBufferPointer<UInt8>, _ value: JSONValue,
                                 to member: (UnsafeBufferPointer<UInt8>, MemberValue) -> Void) {
        if case .string(let text) = value {
            text.withUTF8 { member(name, .string($0)) }
        } else {
            member(name, .other(value))
        }
    }

    /// The most members `forEachMember` holds on the stack: a vendor's record has a dozen at most.
    static var levelCapacity: Int { JSONObject.indexThreshold }

    /// Reads `bytes` when it is a vendor's record in the one shape its vendor writes it — an object
    /// whose members are named by `names`, in `names`' order (any of them left out), each name and
    /// each string plain ASCII (no escape, no character JSON must escape), each value a string or `null` — and
    /// hands `body` where each string lies (`RecordStrings`). Any other text, valid JSON in another
    /// shape (members in another order, an unknown or repeated name, an escape, a character beyond
    /// ASCII, a value of another type) and invalid JSON alike, is nil, `body` not called: the caller
    /// reads it with `forEachMember`, which tells the two apart and says why.
    ///
    /// A text read here is one `parse` reads to an object of the same members and values (the fuzzer
    /// checks this on every input): names rising through `names` cannot repeat, and plain ASCII is
    /// valid UTF-8 as it is. What it saves over `forEachMember` is everything that serves the texts
    /// it refuses: no name looked for among the earlier ones, no value held as a `JSONValue`, no member
    /// handed to a closure, and the caller reading the values in the order it wants them.
    public static func withRecordStrings<Result>(of bytes: [UInt8], named names: [StaticString],
                                                 _ body: (RecordStrings) -> Result) -> Result? {
        bytes.withUnsafeBufferPointer { buffer in
            withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: names.count) { ranges in
                ranges.initialize(repeating: RecordStrings.absent)
                var parser = JSONParser(buffer, maxDepth: 1, lists: nil, names: nil)
                guard parser.readRecord(named: names, into: ranges) else { return nil }
                return body(RecordStrings(text: buffer, ranges: UnsafeBufferPointer(ranges)))
            }
        }
    }

    /// `withRecordStrings`' reading: true when the whole text is a record of that shape, each string's
    /// range of the text in `ranges` at its name's place.
    private mutating func readRecord(named names: [StaticString], into ranges: UnsafeMutableBufferPointer<Range<Int>>) -> Bool {
        skipWhitespace()
        guard current == UInt8(ascii: "{") else { return false }
        offset += 1
        skipWhitespace()
        var next = 0
        if current != UInt8(ascii: "}") {
            while true {
                guard current == UInt8(ascii: "\""), let name = plainString() else { return false }
                // Found from the name after the last one found: one comparison each, in the vendor's order.
                let text = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[name])
                guard let place = names[next...].firstIndex(where: { text.bytesEqual($0) }) else { return false }
                next = place + 1
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { return false }
                offset += 1
                skipWhitespace()
                if current == UInt8(ascii: "\"") {
                    guard let value = plainString() else { return false }
                    ranges[place] = value
                } else if current == UInt8(ascii: "n"), (try? expectLiteral("null")) != nil {
                    // Past the null: a member left out, as far as its reader can tell.
                } else {
                    return false
                }
                skipWhitespace()
                guard current == UInt8(ascii: ",") else { break }
                offset += 1
                skipWhitespace()
            }
        }
        guard current == UInt8(ascii: "}") else { return false }
        offset += 1
        skipWhitespace()
        return offset == bytes.count
    }

    /// The text of the string whose opening quote is at `offset`, when it is plain ASCII (no escape,
    /// no character JSON must escape), with `offset` moved past its closing quote; nil for any other.
    /// Inlined: called for every name and value, its call and the scan's constants set up again each
    /// time cost as much as scanning a short string.
    @inline(__always)
    private mutating func plainString() -> Range<Int>? {
        let start = offset + 1
        let end = plainRunEnd(from: start)
        guard end < bytes.count, bytes[end] == UInt8(ascii: "\"") else { return nil }
        offset = end + 1
        return start..<end
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private let lists: ArrayPool<(name: String, value: JSONValue)>?
    private let names: MemberNames?
    private var offset = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, lists: ArrayPool<(name: String, value: JSONValue)>?,
                 names: MemberNames?) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.lists = lists
        self.names = names
    }

    private func error(_ reason: String) -> JSONParseError {
        JSONParseError(offset: offset, reason: reason)
    }

    private var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { offset += 1 }
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard let byte = current else { throw error("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): return .object(try parseObject(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try parseArray(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try parseStringValue())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - offset >= count else { throw error("unexpected end of input") }
        for index in 0..<count where bytes[offset + index] != literal.utf8Start[index] {
            throw error("invalid literal")
        }
        offset += count
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONObject {
        var tree = TreeMembers(object: lists.map { JSONObject(reusing: $0.take(capacity: JSONObject.initialCapacity)) } ?? JSONObject())
        try parseObject(depth: depth, into: &tree)
        return tree.object
    }

    /// The object whose `{` is at `offset`, its members read into `members`.
    private mutating func parseObject<Members: ObjectMembers>(depth: Int, into members: inout Members) throws(JSONParseError) {
        guard depth <= maxDepth else { throw error("nested deeper than \(maxDepth) levels") }
        offset += 1
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            offset += 1
            return
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let name = try members.readName(&self)
            guard !members.isAbandoned else { return }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected \":\"") }
            offset += 1
            skipWhitespace()
            try members.readValue(named: name, &self, depth: depth)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"): offset += 1; return
            case nil: throw error("unexpected end of input")
            default: throw error("expected \",\" or \"}\"")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> [JSONValue] {
        guard depth <= maxDepth else { throw error("nested deeper than \(maxDepth) levels") }
        offset += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            offset += 1
            return elements
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "]"): offset += 1; return elements
            case nil: throw error("unexpected end of input")
            default: throw error("expected \",\" or \"]\"")
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, kept as text.
    private mutating func parseNumber() throws(JSONParseError) -> String {
        let start = offset
        if current == UInt8(ascii: "-") { offset += 1 }
        guard let first = current, isDigit(first) else { throw error("expected a digit") }
        offset += 1
        if first == UInt8(ascii: "0"), let next = current, isDigit(next) { throw error("leading zeros are not allowed") }
        skipDigits()
        if current == UInt8(ascii: ".") {
            offset += 1
            guard let next = current, isDigit(next) else { throw error("expected a digit after \".\"") }
            skipDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            offset += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
            guard let next = current, isDigit(next) else { throw error("expected a digit in the exponent") }
            skipDigits()
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while let byte = current, isDigit(byte) { offset += 1 }
    }

    /// A member name: a `String`, as a `JSONObject` keeps its names; the one read before on the
    /// loop when there is one (`MemberNames`).
    private mutating func parseName() throws(JSONParseError) -> (text: String, signature: UInt64?) {
        try parseString { utf8, isASCII, names in
            let text = if let names { names.name(utf8) } else { String(decoding: utf8, as: UTF8.self) }
            return (text, Self.signature(utf8, isASCII: isASCII))
        }
    }

    /// A member name as where it lies in the text, for `forEachMember`'s level: nil when it had an
    /// escape (its text is then not a range of the input); its signature as `parseName`'s.
    private mutating func parseRawName() throws(JSONParseError) -> (range: Range<Int>?, signature: UInt64?) {
        let text = bytes.baseAddress! + offset + 1
        let start = offset + 1
        return try parseString { utf8, isASCII, _ in
            // A string without escapes is handed over where it lies; one with them, from a scratch array.
            (utf8.baseAddress == text ? start..<(start + utf8.count) : nil, Self.signature(utf8, isASCII: isASCII))
        }
    }

    /// For an ASCII name, one bit chosen by its length and its first and last bytes; nil for any
    /// other. Two ASCII names are the same `String` only when their bytes are, so names with
    /// different bits differ; a name with other characters can equal one of different bytes (the
    /// Kelvin sign is a `K` to `==`), so it has no bit to tell it apart. `isASCII`: whether the
    /// name is ASCII, which `parseString` has found on its way.
    private static func signature(_ utf8: UnsafeBufferPointer<UInt8>, isASCII: Bool) -> UInt64? {
        guard let first = utf8.first, let last = utf8.last else { return 1 }
        guard isASCII else { return nil }
        return 1 << ((utf8.count &* 7 &+ Int(first) &+ Int(last) &* 3) & 63)
    }

    /// A string value of `forEachMember`'s level: its range of the text when it has no escape, else
    /// its decoded text as a value.
    private mutating func parseLevelString() throws(JSONParseError) -> LevelMembers.Value {
        let text = bytes.baseAddress! + offset + 1
        let start = offset + 1
        return try parseString { utf8, _, _ in
            utf8.baseAddress == text ? .text(start..<(start + utf8.count))
                : .value(.string(CompactString(validUTF8: UnsafeRawBufferPointer(utf8))))
        }
    }

    /// A string value: in place when it fits (`CompactString`), so a short one allocates nothing.
    private mutating func parseStringValue() throws(JSONParseError) -> CompactString {
        try parseString { utf8, _, _ in CompactString(validUTF8: UnsafeRawBufferPointer(utf8)) }
    }

    /// The string whose opening quote is at `offset`, made by `make` from its text's bytes once they
    /// are known to be valid UTF-8, whether they are all ASCII, and the loop's names (handed over
    /// rather than captured, which would retain them for every string). A string without escapes is
    /// handed over where it lies; one with escapes is decoded into a scratch array first.
    private mutating func parseString<Text>(_ make: (UnsafeBufferPointer<UInt8>, Bool, MemberNames?) -> Text) throws(JSONParseError) -> Text {
        offset += 1
        let start = offset
        // To the first quote or backslash, eight bytes a step, noting whether a byte of a multi-byte
        // UTF-8 sequence came on the way: an ASCII run needs no validating.
        var ascii = true
        while true {
            offset = plainRunEnd(from: offset)
            guard let byte = current else { throw error("unterminated string") }
            if byte >= 0x80 {
                ascii = false
                offset += 1
            } else if byte < 0x20 {
                throw error("a control character in a string must be escaped")
            } else {
                break
            }
        }
        if bytes[offset] == UInt8(ascii: "\"") {
            let utf8 = UnsafeBufferPointer(rebasing: bytes[start..<offset])
            if !ascii { try validate(utf8, at: start) }
            offset += 1
            return make(utf8, ascii, names)
        }
        var scratch = Array(UnsafeBufferPointer(rebasing: bytes[start..<offset]))
        while true {
            guard let byte = current else { throw error("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                return try scratch.withUnsafeBufferPointer { buffer throws(JSONParseError) in
                    let isASCII = try validate(buffer, at: start)
                    return make(buffer, isASCII, names)
                }
            case UInt8(ascii: "\\"):
                offset += 1
                try appendEscape(to: &scratch)
            case 0..<0x20:
                throw error("a control character in a string must be escaped")
            default:
                scratch.append(byte)
                offset += 1
            }
        }
    }

    /// Where the first byte at or after `start` that ends a plain run of a string lies (a quote, a
    /// backslash, a control character or a byte of a multi-byte UTF-8 sequence), or the end of the
    /// input: eight bytes a step while eight remain (`JSONStringWord`), then one by one. Sixteen a step
    /// with SSE2, as the writer's escape check goes, gained nothing: a device API's strings mostly end
    /// within their first word or two (Benchmarks/RESULTS.md, the thirty-sixth pass).
    private func plainRunEnd(from start: Int) -> Int {
        var index = start
        let raw = UnsafeRawBufferPointer(bytes)
        while index &+ 8 <= bytes.count {
            // In bounds by the check above; an unaligned load is sound for any UInt64.
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let stops = JSONStringWord.specials(word) | (word & JSONStringWord.highs)
            if stops != 0 { return index &+ stops.trailingZeroBitCount &>> 3 }
            index &+= 8
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x20 || byte >= 0x80 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return index }
            index += 1
        }
        return index
    }

    /// Throws unless `utf8` is valid UTF-8; whether it is all ASCII.
    @discardableResult
    private func validate(_ utf8: UnsafeBufferPointer<UInt8>, at start: Int) throws(JSONParseError) -> Bool {
        // ASCII, nearly every string a device API carries, is UTF-8 as it is; the generic
        // validating initialiser cost about a thousand instructions a string.
        var high: UInt8 = 0
        for byte in utf8 { high |= byte }
        guard high >= 0x80 else { return true }
        guard String(validating: utf8, as: UTF8.self) != nil else {
            throw JSONParseError(offset: start, reason: "a string is not valid UTF-8")
        }
        return false
    }

    private mutating func appendEscape(to scratch: inout [UInt8]) throws(JSONParseError) {
        guard let byte = current else { throw error("unterminated string") }
        offset += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(byte)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hexQuad()
            if (0xD800...0xDBFF).contains(scalar) {
                guard current == UInt8(ascii: "\\"), offset + 1 < bytes.count, bytes[offset + 1] == UInt8(ascii: "u") else {
                    throw error("a lone surrogate in \\u escapes")
                }
                offset += 2
                let low = try hexQuad()
                guard (0xDC00...0xDFFF).contains(low) else { throw error("a lone surrogate in \\u escapes") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw error("a lone surrogate in \\u escapes")
            }
            scratch.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
        default:
            throw error("an unknown escape")
        }
    }

    private mutating func hexQuad() throws(JSONParseError) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw error("a \\u escape needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = ASCII.hexValue(bytes[offset]) else { throw error("a \\u escape needs four hex digits") }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }
}

extension JSONParser {
    /// Where `parseObject` puts an object's members as it reads them: a `JSONObject` (`TreeMembers`),
    /// or `forEachMember`'s top object on the stack (`LevelMembers`). Each reads a name its own way
    /// and refuses one an earlier member has, as RFC 8259 leaves open and this parser does not.
    private protocol ObjectMembers {
        associatedtype Name
        /// Reads the name whose opening quote is at `parser`'s offset.
        mutating func readName(_ parser: inout JSONParser) throws(JSONParseError) -> Name
        /// Set by `readName` for a member this cannot hold: the object's reading stops there.
        var isAbandoned: Bool { get }
        /// Reads the value, at `parser`'s offset, of the member `name` names.
        mutating func readValue(named name: consuming Name, _ parser: inout JSONParser, depth: Int) throws(JSONParseError)
    }

    private struct TreeMembers: ObjectMembers {
        var object: JSONObject
        /// The signatures of the names read (`signature(_:)`), and whether every name had one.
        private var seen: UInt64 = 0
        private var allSigned = true

        init(object: consuming JSONObject) {
            self.object = object
        }

        mutating func readName(_ parser: inout JSONParser) throws(JSONParseError) -> String {
            let nameOffset = parser.offset
            let (name, signature) = try parser.parseName()
            // A name is looked up among the earlier ones only when it may be one of them: most
            // names of an object are told apart by their signatures alone.
            let mayRepeat: Bool
            if let signature, allSigned {
                mayRepeat = seen & signature != 0
                seen |= signature
            } else {
                allSigned = false
                mayRepeat = true
            }
            if mayRepeat, object[name] != nil {
                throw JSONParseError(offset: nameOffset, reason: "duplicate member name \"\(name)\"")
            }
            return name
        }

        var isAbandoned: Bool { false }

        mutating func readValue(named name: consuming String, _ parser: inout JSONParser, depth: Int) throws(JSONParseError) {
            object.append(name, try parser.parseValue(depth: depth))
        }
    }

    /// `forEachMember`'s top object: each member's name as a range of the text and its value, in
    /// `entries` (initialized up to `count`). A name that is no range of the text, or a member past
    /// `entries`' room, abandons it.
    private struct LevelMembers: ObjectMembers {
        /// A string without escapes as its range of the text, to be handed over where it lies; any
        /// other value read.
        enum Value {
            case text(Range<Int>)
            case value(JSONValue)
        }

        typealias Entry = (name: Range<Int>, value: Value)

        let entries: UnsafeMutableBufferPointer<Entry>
        private(set) var count = 0
        private(set) var isAbandoned = false
        /// The signatures of the names held (`signature(_:)`).
        private var seen: UInt64 = 0

        init(entries: UnsafeMutableBufferPointer<Entry>) {
            self.entries = entries
        }

        mutating func readName(_ parser: inout JSONParser) throws(JSONParseError) -> Range<Int> {
            let nameOffset = parser.offset
            let (range, signature) = try parser.parseRawName()
            guard let range, let signature, count < entries.count else {
                isAbandoned = true
                return 0..<0
            }
            // ASCII names without escapes are the same `String` exactly when their bytes are.
            if seen & signature != 0 {
                let text = UnsafeRawBufferPointer(parser.bytes)
                let name = UnsafeRawBufferPointer(rebasing: text[range])
                for index in 0..<count where UnsafeRawBufferPointer(rebasing: text[entries[index].name]).bytesEqual(name) {
                    throw JSONParseError(offset: nameOffset, reason: "duplicate member name \"\(String(decoding: name, as: UTF8.self))\"")
                }
            }
            seen |= signature
            return range
        }

        mutating func readValue(named name: consuming Range<Int>, _ parser: inout JSONParser, depth: Int) throws(JSONParseError) {
            let value: Value = if parser.current == UInt8(ascii: "\"") {
                try parser.parseLevelString()
            } else {
                .value(try parser.parseValue(depth: depth))
            }
            (entries.baseAddress! + count).initialize(to: (name, value))
            count += 1
        }
    }
}

/// Why a body is not JSON: the byte offset and what was wrong there (never the body's bytes,
/// which may hold a password).
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var reason: String

    public var description: String { "\(reason) at byte \(offset)" }
}
