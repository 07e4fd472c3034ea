import CByteScan
import SwitchyardIO

/// Writes JSON straight into bytes: objects, strings with RFC 8259 escaping, numbers.
///
/// Problem documents and device documents are small and built on every error or request, so
/// they are written by hand into a byte array instead of through `JSONEncoder` (about 10 µs a
/// document here, several times this writer's cost: docs/ARCHITECTURE.md). The writer tracks only
/// whether a comma is due.
public struct JSONWriter {
    /// The document written. Read once it is written: inside `writing(into:_:)`'s closure, what is
    /// gathered is not in it yet.
    public var bytes: [UInt8] {
        precondition(gathered == nil, "a gathered document is read once it is written")
        return written
    }
    private var written: [UInt8] = []
    private var needsComma = false
    /// Set inside `member(_:stringifying:)`: the document is written as the inside of a JSON string
    /// where it lands, each quote of its own as `\"` and each escape in its strings escaped once
    /// more, so that it is never written first and escaped after.
    private var isStringified = false
    /// Where `writing(into:_:)` gathers the document on its stack, and how much of it is gathered
    /// and not yet in `written`; nil for a writer appending to `written` as it goes.
    private var gathered: UnsafeMutableBufferPointer<UInt8>?
    private var gatheredCount = 0

    public init(capacity: Int = 256) {
        written.reserveCapacity(capacity)
    }

    /// Writes into `bytes`, an empty array with room (`writing(into:_:)`). Taken as it is: emptying
    /// it here would copy it, since the caller's reference is not yet gone.
    private init(into bytes: consuming [UInt8]) {
        precondition(bytes.isEmpty, "JSONWriter(into:) writes into an empty array")
        written = bytes
    }

    /// Writes a document with `write` into `bytes` (an empty array with room, from a loop's
    /// `ArrayPool`), gathered on the stack and appended to the array once (again each time
    /// `gatherCapacity` bytes are gathered): every append to an array is a call and a check that it
    /// is unique, which cost more than the few bytes a member copies, and a member was an append.
    /// The writer is `write`'s for the call only: what it gathers lives on this call's stack.
    public static func writing(into bytes: consuming [UInt8], _ write: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter(into: bytes)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: gatherCapacity) { stack in
            assert(stack.count >= Stage.capacity, "a member is staged where it is gathered")
            writer.gathered = stack
            write(&writer)
            writer.flush()
            writer.gathered = nil
        }
        return writer.written
    }

    /// A vendor request's or a device answer's body fits, a bulk answer's few items each.
    private static var gatherCapacity: Int { 512 }

    /// Appends what is gathered to `written`.
    private mutating func flush() {
        guard gatheredCount > 0, let gathered else { return }
        written.append(contentsOf: UnsafeBufferPointer(rebasing: gathered[..<gatheredCount]))
        gatheredCount = 0
    }

    /// `written` for a write that isn't gathered, with what is gathered appended first, so that the
    /// document's bytes stay in order.
    private var output: [UInt8] {
        get { written }
        _modify {
            flush()
            yield &written
        }
    }

    /// One byte: gathered while there is room, else appended.
    private mutating func append(byte: UInt8) {
        if let gathered, gatheredCount < gathered.count {
            gathered[gatheredCount] = byte
            gatheredCount &+= 1
        } else {
            output.append(byte)
        }
    }

    public mutating func beginObject() {
        separate()
        append(byte: UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        append(byte: UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        append(byte: UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        append(byte: UInt8(ascii: "]"))
        needsComma = true
    }

    /// A member name; the value follows with one of the value calls.
    public mutating func key(_ name: String) {
        name.withContiguousUTF8 { name in
            let staged = staging { $0.quoted(name) && $0.byte(UInt8(ascii: ":")) }
            if !staged {
                separate()
                appendQuoted(name)
                output.append(UInt8(ascii: ":"))
            }
        }
        needsComma = false
    }

    /// Member names written ahead as keys (`"status":`, quotes and colon included), for the names a
    /// writer uses on every request (a device document's): each copied as it is, without the scan
    /// for escapes. All of them lie in one array, so that a key is a range of it: an array of its
    /// own per key was copied out of the table, a retain and a release, for every member written.
    /// An entry may also carry the opening of its string value (`"id":"iccid:`,
    /// `init(openingStrings:)`), for a member whose value always starts the same way.
    public struct EncodedKeys: Sendable {
        private let bytes: [UInt8]
        private let ranges: [Range<Int>]

        /// The keys of `names`, in their order: key `i` is `names[i]`'s.
        public init(_ names: [String]) {
            self.init(count: names.count) { writer, index in writer.key(names[index]) }
        }

        /// Each member's key followed by its string value's opening quote and first text
        /// (`"id":"iccid:`), for `member(_:of:finishedBy:)`: entry `i` is `members[i]`'s.
        public init(openingStrings members: [(key: String, text: String)]) {
            self.init(count: members.count) { writer, index in
                writer.key(members[index].key)
                writer.appendQuote()
                members[index].text.withContiguousUTF8 { writer.appendContent($0) }
            }
        }

        private init(count: Int, _ write: (inout JSONWriter, Int) -> Void) {
            var writer = JSONWriter()
            var ranges: [Range<Int>] = []
            for index in 0..<count {
                let start = writer.bytes.count
                write(&writer, index)
                ranges.append(start..<writer.bytes.count)
            }
            bytes = writer.bytes
            self.ranges = ranges
        }

        /// Key `index`'s bytes, where they lie.
        @inline(__always)
        func withKey<Result>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
            bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[ranges[index]])) }
        }
    }

    /// Key `index` of `keys`; the value follows with one of the value calls.
    public mutating func key(_ index: Int, of keys: EncodedKeys) {
        keys.withKey(index) { encoded in
            if isStringified || !staging({ $0.raw(encoded) }) { appendKey(encoded: encoded) }
        }
        needsComma = false
    }

    /// A member named by key `index` of `keys`, with a string value: one append where it fits, as a
    /// device document writes most of its members.
    public mutating func member(_ index: Int, of keys: EncodedKeys, _ value: CompactString) {
        stringMember(index, of: keys, value, opened: false)
    }

    /// A string member whose key and opening text were encoded as one (`"id":"iccid:`, an
    /// `EncodedKeys(openingStrings:)` entry), finished by `rest`: a device id's `kind:value` with a
    /// single copy for its constant part, where a key, a quote and three pieces were written apart.
    public mutating func member(_ index: Int, of openings: EncodedKeys, finishedBy rest: CompactString) {
        stringMember(index, of: openings, rest, opened: true)
    }

    /// Entry `index` of `keys`, then `value` as a string's content (after its opening quote unless the
    /// entry has `opened` it) and the closing quote. Inlined into each caller, whose `opened` is fixed.
    @inline(__always)
    private mutating func stringMember(_ index: Int, of keys: EncodedKeys, _ value: CompactString, opened: Bool) {
        keys.withKey(index) { key in
            value.withUTF8 { value in
                let staged = !isStringified && staging { $0.raw(key) && (opened || $0.quote()) && $0.finishString(value) }
                if !staged {
                    appendKey(encoded: key)
                    if !opened { appendQuote() }
                    appendContent(value)
                    appendQuote()
                }
            }
        }
        needsComma = true
    }

    /// An encoded key, separated: stringified, the written key is itself string content, its quotes
    /// (and any escape in the name) escaped once more.
    private mutating func appendKey(encoded: UnsafeBufferPointer<UInt8>) {
        separate()
        if isStringified { Self.appendEscaped(encoded, to: &output) } else { output.append(contentsOf: encoded) }
    }

    public mutating func string(_ value: String) {
        value.withContiguousUTF8 { string(utf8: $0) }
    }

    public mutating func string(_ value: CompactString) {
        value.withUTF8 { string(utf8: $0) }
    }

    private mutating func string(utf8 value: UnsafeBufferPointer<UInt8>) {
        if !staging({ $0.quoted(value) }) {
            separate()
            appendQuoted(value)
        }
        needsComma = true
    }

    public mutating func number(_ value: Int) {
        separate()
        ASCII.appendDecimal(value, to: &output)
        needsComma = true
    }

    /// A finite number in the shortest form that reads back as the same `Double`, without a
    /// fraction when it is whole: `2`, `0.5`, `1e-05`. That is how Foundation's `JSONSerialization`
    /// spells a `Double`, so a document moved from it onto this writer keeps its bytes.
    public mutating func number(_ value: Double) {
        precondition(value.isFinite, "JSON has no number \(value)")
        separate()
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        output.append(contentsOf: text.utf8)
        needsComma = true
    }

    /// A number already in JSON's syntax (a parsed number's literal text).
    mutating func rawNumber(_ text: String) {
        separate()
        output.append(contentsOf: text.utf8)
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        output.append(contentsOf: (value ? "true" : "false").utf8)
        needsComma = true
    }

    public mutating func null() {
        separate()
        output.append(contentsOf: "null".utf8)
        needsComma = true
    }

    public mutating func member(_ name: String, _ value: String) {
        value.withContiguousUTF8 { member(name, utf8: $0) }
    }

    public mutating func member(_ name: String, _ value: CompactString) {
        value.withUTF8 { member(name, utf8: $0) }
    }

    /// A string member from UTF-8 bytes where they lie (a request id written on the stack).
    public mutating func member(_ name: String, utf8 value: UnsafeBufferPointer<UInt8>) {
        name.withContiguousUTF8 { member(named: $0, utf8: value) }
    }

    /// A string member with a constant name (gate's `data` members), read where it lies.
    public mutating func member(_ name: StaticString, _ value: CompactString) {
        value.withUTF8 { value in name.withUTF8Buffer { member(named: $0, utf8: value) } }
    }

    private mutating func member(named name: UnsafeBufferPointer<UInt8>, utf8 value: UnsafeBufferPointer<UInt8>) {
        let staged = staging {
            $0.quoted(name) && $0.byte(UInt8(ascii: ":")) && $0.quoted(value)
        }
        if !staged {
            separate()
            appendQuoted(name)
            output.append(UInt8(ascii: ":"))
            appendQuoted(value)
        }
        needsComma = true
    }

    public mutating func member(_ name: String, _ value: Int) {
        key(name)
        number(value)
    }

    public mutating func member(_ name: String, _ value: Double) {
        key(name)
        number(value)
    }

    /// An array of strings, as a list of messages or names.
    public mutating func member(_ name: String, _ values: [String]) {
        key(name)
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    /// A member whose value is a JSON document as a string (gate's `data`): `write` builds the
    /// document where it lands, already escaped as a string's inside (`isStringified`), so it costs
    /// no array or `String` of its own and no second pass over its bytes.
    public mutating func member(_ name: String, stringifying write: (inout JSONWriter) -> Void) {
        precondition(!isStringified, "a stringified document holds no stringified member of its own")
        key(name)
        append(byte: UInt8(ascii: "\""))
        // The document goes on where this one stands: its bytes and what is gathered of them. Made
        // on the empty array, not with `capacity: 0`, whose reserving made a new buffer all the same.
        var document = JSONWriter(into: [])
        document.isStringified = true
        swap(&document.written, &written)
        (document.gathered, document.gatheredCount) = (gathered, gatheredCount)
        write(&document)
        swap(&document.written, &written)
        gatheredCount = document.gatheredCount
        append(byte: UInt8(ascii: "\""))
        needsComma = true
    }

    /// Whether `byte` can't stand in a JSON string as it is: a quote, a backslash or a control
    /// character.
    @inlinable public static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x7F
    }

    /// Whether any byte of `utf8` needs escaping, tested sixteen bytes at a time where it can
    /// (`switchyard_json_needs_escape`, SSE2): nearly every string written needs none, so this scan
    /// is most of what writing one costs.
    public static func needsEscape(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        switchyard_json_needs_escape(utf8.baseAddress, utf8.count)
    }

    private mutating func separate() {
        if needsComma { append(byte: UInt8(ascii: ",")) }
    }

    /// Writes what `write` puts on the stage, after the comma when one is due, and appends it at
    /// once; false, with nothing appended, when it does not fit or has a byte to escape (the caller
    /// then writes it piece by piece). Every append to `written` is a call and a check that the array
    /// is unique, which cost more than copying the few bytes of a key or a short string: a member
    /// written in pieces was five appends (comma, quote, name, quote, colon) before its value's three.
    /// A gathered document (`writing(into:_:)`) is its own stage: the piece is gathered with the rest.
    @inline(__always)
    private mutating func staging(_ write: (inout Stage) -> Bool) -> Bool {
        if let gathered {
            if gathered.count &- gatheredCount < Stage.capacity { flush() }
            var stage = Stage(base: gathered.baseAddress! + gatheredCount, isStringified: isStringified, needsComma: needsComma)
            guard write(&stage) else { return false }
            gatheredCount &+= stage.count
            return true
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Stage.capacity) { buffer in
            var stage = Stage(base: buffer.baseAddress!, isStringified: isStringified, needsComma: needsComma)
            guard write(&stage) else { return false }
            written.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress!, count: stage.count))
            return true
        }
    }

    /// Short pieces of the writer's output gathered on the stack (`staging`). Each write says
    /// whether it fit; `quoted` also whether the text needed no escaping, which it checks a word at
    /// a time as it copies.
    private struct Stage {
        /// A member of a device document is some 40 bytes: its name, a 20-digit ICCID, quotes.
        static var capacity: Int { 128 }

        let base: UnsafeMutablePointer<UInt8>
        let isStringified: Bool
        private(set) var count = 0

        /// Begins with the comma when one is due.
        init(base: UnsafeMutablePointer<UInt8>, isStringified: Bool, needsComma: Bool) {
            self.base = base
            self.isStringified = isStringified
            if needsComma {
                base[0] = UInt8(ascii: ",")
                count = 1
            }
        }

        @inline(__always)
        mutating func byte(_ byte: UInt8) -> Bool {
            guard count < Self.capacity else { return false }
            base[count] = byte
            count &+= 1
            return true
        }

        /// Bytes copied as they are (an encoded key).
        @inline(__always)
        mutating func raw(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
            copy(utf8, checkingEscapes: false)
        }

        /// A string with its quotes (`\"` stringified), when none of its bytes needs escaping.
        @inline(__always)
        mutating func quoted(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
            quote() && finishString(utf8)
        }

        /// The rest of a string whose opening quote is staged already, and its closing quote, when
        /// none of its bytes needs escaping.
        @inline(__always)
        mutating func finishString(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
            copy(utf8, checkingEscapes: true) && quote()
        }

        /// A string's quote: `\"` stringified.
        @inline(__always)
        mutating func quote() -> Bool {
            (!isStringified || byte(UInt8(ascii: "\\"))) && byte(UInt8(ascii: "\""))
        }

        /// Copies `utf8` a word at a time: whole words, then the last eight bytes again (overlapping),
        /// or for a short text its halves or its bytes; false if it does not fit, or if
        /// `checkingEscapes` and a byte needs escaping (tested first, a chunk at a time:
        /// `needsEscape`). Every store is inside the text's own place, so what is past it is never
        /// written.
        @inline(__always)
        private mutating func copy(_ utf8: UnsafeBufferPointer<UInt8>, checkingEscapes: Bool) -> Bool {
            let length = utf8.count
            guard length <= Self.capacity &- count else { return false }
            guard let source = UnsafeRawPointer(utf8.baseAddress) else { return true }
            if checkingEscapes, JSONWriter.needsEscape(utf8) { return false }
            let target = UnsafeMutableRawPointer(base + count)
            if length >= 8 {
                var offset = 0
                while true {
                    let start = Swift.min(offset, length &- 8)
                    target.storeBytes(of: source.loadUnaligned(fromByteOffset: start, as: UInt64.self), toByteOffset: start, as: UInt64.self)
                    offset &+= 8
                    if offset >= length { break }
                }
            } else if length >= 4 {
                target.storeBytes(of: source.loadUnaligned(as: UInt32.self), as: UInt32.self)
                target.storeBytes(of: source.loadUnaligned(fromByteOffset: length &- 4, as: UInt32.self), toByteOffset: length &- 4, as: UInt32.self)
            } else if length > 0 {
                target.storeBytes(of: source.load(as: UInt8.self), as: UInt8.self)
                target.storeBytes(of: source.load(fromByteOffset: length &>> 1, as: UInt8.self), toByteOffset: length &>> 1, as: UInt8.self)
                target.storeBytes(of: source.load(fromByteOffset: length &- 1, as: UInt8.self), toByteOffset: length &- 1, as: UInt8.self)
            }
            count &+= length
            return true
        }
    }

    /// A string's opening or closing quote: `\"` inside a stringified document.
    private mutating func appendQuote() {
        if isStringified { output.append(UInt8(ascii: "\\")) }
        output.append(UInt8(ascii: "\""))
    }

    /// The inside of a string: escaped once, or twice inside a stringified document (where a
    /// string that needs no escaping, nearly every one, is copied as it is all the same).
    private mutating func appendContent(_ utf8: UnsafeBufferPointer<UInt8>) {
        guard isStringified else { return Self.appendEscaped(utf8, to: &output) }
        guard Self.needsEscape(utf8) else { return output.append(contentsOf: utf8) }
        var once: [UInt8] = []
        for byte in utf8 {
            once.removeAll(keepingCapacity: true)
            Self.appendEscaped(byte, to: &once)
            for escaped in once { Self.appendEscaped(escaped, to: &output) }
        }
    }

    private mutating func appendQuoted(_ utf8: UnsafeBufferPointer<UInt8>) {
        appendQuote()
        appendContent(utf8)
        appendQuote()
    }

    /// `value` as a JSON string onto `bytes`, for an encoder that writes a fixed shape by hand
    /// (OTLP's spans): quotes, `"` and `\` escaped, control characters as `\n`, `\t`… or `\u00XX`.
    /// Everything else, UTF-8 included, is copied as is (a Swift `String` is valid UTF-8).
    public static func appendQuoted(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        value.withContiguousUTF8 { appendEscaped($0, to: &bytes) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// The inside of a JSON string, without its quotes: for text written in parts.
    public static func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        // Most strings need no escaping: one scan of the contiguous bytes, one copy.
        if !needsEscape(utf8) {
            bytes.append(contentsOf: utf8)
        } else {
            for byte in utf8 { appendEscaped(byte, to: &bytes) }
        }
    }

    private static func appendEscaped(_ byte: UInt8, to bytes: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
        case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        case 0x00..<0x20, 0x7F:
            let hex: StaticString = "0123456789abcdef"
            bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                      hex.utf8Start[Int(byte >> 4)], hex.utf8Start[Int(byte & 0xF)]])
        default:
            bytes.append(byte)
        }
    }
}
