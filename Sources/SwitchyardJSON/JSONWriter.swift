import SwitchyardIO

/// Writes JSON straight into bytes: objects, strings with RFC 8259 escaping, numbers.
///
/// Problem documents and device documents are small and built on every error or request, so
/// they are written by hand into a byte array instead of through `JSONEncoder` (about 10 µs a
/// document here, several times this writer's cost: docs/ARCHITECTURE.md). The writer tracks only
/// whether a comma is due.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false
    /// Set inside `member(_:stringifying:)`: the document is written as the inside of a JSON string
    /// where it lands, each quote of its own as `\"` and each escape in its strings escaped once
    /// more, so that it is never written first and escaped after.
    private var isStringified = false

    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// Writes into `bytes`, an empty array with room (from a loop's `ArrayPool`). Taken as it
    /// is: emptying it here would copy it, since the caller's reference is not yet gone.
    public init(into bytes: consuming [UInt8]) {
        precondition(bytes.isEmpty, "JSONWriter(into:) writes into an empty array")
        self.bytes = bytes
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A member name; the value follows with one of the value calls.
    public mutating func key(_ name: String) {
        separate()
        name.withContiguousUTF8 { appendQuoted($0) }
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// A member name written ahead by `encodedKey(_:)`, for the names a writer uses on every
    /// request (a device document's): copied as it is, without the scan for escapes.
    public mutating func key(encoded: [UInt8]) {
        separate()
        // From its buffer: appending the array itself retains and releases it, on every key.
        encoded.withUnsafeBufferPointer { encoded in
            // Stringified, the written key is itself string content: its quotes (and any escape in
            // the name) escaped once more.
            if isStringified { Self.appendEscaped(encoded, to: &bytes) } else { bytes.append(contentsOf: encoded) }
        }
        needsComma = false
    }

    /// `name` as `key(_:)` writes it, quotes and colon included (`"status":`).
    public static func encodedKey(_ name: String) -> [UInt8] {
        var writer = JSONWriter(capacity: name.utf8.count + 3)
        writer.key(name)
        return writer.bytes
    }

    public mutating func string(_ value: String) {
        separate()
        value.withContiguousUTF8 { appendQuoted($0) }
        needsComma = true
    }

    public mutating func string(_ value: CompactString) {
        separate()
        value.withUTF8 { appendQuoted($0) }
        needsComma = true
    }

    public mutating func number(_ value: Int) {
        separate()
        ASCII.appendDecimal(value, to: &bytes)
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
        bytes.append(contentsOf: text.utf8)
        needsComma = true
    }

    /// A number already in JSON's syntax (a parsed number's literal text).
    mutating func rawNumber(_ text: String) {
        separate()
        bytes.append(contentsOf: text.utf8)
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        needsComma = true
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
        needsComma = true
    }

    public mutating func member(_ name: String, _ value: String) {
        key(name)
        string(value)
    }

    public mutating func member(_ name: String, _ value: CompactString) {
        key(name)
        string(value)
    }

    /// A string member written from two strings and the separator between them (a device id's
    /// `kind:value`), so the joined text needs no `String` of its own.
    public mutating func member(_ name: String, _ first: String, _ separator: StaticString, _ second: CompactString) {
        key(name)
        appendQuote()
        first.withContiguousUTF8 { appendContent($0) }
        separator.withUTF8Buffer { appendContent($0) }
        second.withUTF8 { appendContent($0) }
        appendQuote()
        needsComma = true
    }

    /// A string member from UTF-8 bytes where they lie (a request id written on the stack).
    public mutating func member(_ name: String, utf8 value: UnsafeBufferPointer<UInt8>) {
        key(name)
        appendQuoted(value)
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
        bytes.append(UInt8(ascii: "\""))
        var document = JSONWriter(capacity: 0)
        document.isStringified = true
        swap(&document.bytes, &bytes)
        write(&document)
        swap(&document.bytes, &bytes)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// Whether `byte` can't stand in a JSON string as it is: a quote, a backslash or a control
    /// character.
    @inlinable public static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x7F
    }

    /// Whether any byte of `utf8` needs escaping, tested eight bytes at a time (`JSONStringWord`,
    /// `allWords`, padded with letters): nearly every string written needs none, so this scan is
    /// most of what writing one costs.
    public static func needsEscape(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        !UnsafeRawBufferPointer(utf8).allWords(paddedWith: 0x6161_6161_6161_6161) { !wordNeedsEscape($0) }
    }

    /// A quote, a backslash, a control character or DEL among the word's bytes (exact: a byte is
    /// flagged wrongly only above one that matched).
    private static func wordNeedsEscape(_ word: UInt64) -> Bool {
        JSONStringWord.specials(word) | JSONStringWord.matching(0x7F, in: word) != 0
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// A string's opening or closing quote: `\"` inside a stringified document.
    private mutating func appendQuote() {
        if isStringified { bytes.append(UInt8(ascii: "\\")) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// The inside of a string: escaped once, or twice inside a stringified document (where a
    /// string that needs no escaping, nearly every one, is copied as it is all the same).
    private mutating func appendContent(_ utf8: UnsafeBufferPointer<UInt8>) {
        guard isStringified else { return Self.appendEscaped(utf8, to: &bytes) }
        guard Self.needsEscape(utf8) else { return bytes.append(contentsOf: utf8) }
        var once: [UInt8] = []
        for byte in utf8 {
            once.removeAll(keepingCapacity: true)
            Self.appendEscaped(byte, to: &once)
            for escaped in once { Self.appendEscaped(escaped, to: &bytes) }
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
