/// UTF-8 text held in the value itself up to `inlineCapacity` bytes, in a `String` beyond.
///
/// For the values a request carries through the pipeline: a device id, a JSON string, a document
/// field. A `String` holds at most 15 bytes in place and allocates past that, and the values a
/// device API carries are mostly a little longer: an ICCID is 19 or 20 digits, a bundle-style
/// device id or an RFC 3339 time some 20 to 30 bytes. Held in place, a request that reads one from
/// its path, sends it to the vendor and reads it back from the answer allocates nothing for it,
/// and copying it retains nothing.
///
/// Equality and hashing are by UTF-8 bytes (RFC 8259 §8.3 compares strings by code units), not by
/// `String`'s Unicode canonical equivalence: an id spelt with a precomposed letter and one with a
/// combining accent are different ids, as they are to a vendor that stores bytes.
public struct CompactString: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The most bytes held in place: four words, the last byte of which is the count.
    public static let inlineCapacity = 31

    @usableFromInline
    enum Storage: Sendable {
        /// The bytes in order, zero past `count`, and the count in the last byte: two values
        /// with the same text have the same words.
        case inline(UInt64, UInt64, UInt64, UInt64)
        /// Only for text longer than `inlineCapacity`, so one text has one representation.
        case heap(String)
    }

    @usableFromInline
    let storage: Storage

    /// No text.
    @inlinable
    public init() {
        storage = .inline(0, 0, 0, 0)
    }

    /// `string`'s text: in place when it fits, `string` itself (retained, not copied) when not.
    public init(_ string: String) {
        guard string.utf8.count <= Self.inlineCapacity else {
            self.init(storage: .heap(string))
            return
        }
        var string = string
        self.init(storage: string.withUTF8 { Self.inline(UnsafeRawBufferPointer($0)) })
    }

    /// The text of `utf8`, repaired as `String(decoding:as:)` repairs invalid UTF-8 (each invalid
    /// sequence becomes U+FFFD). ASCII that fits is copied in place without a `String`.
    @inlinable
    public init(decoding utf8: UnsafeRawBufferPointer) {
        var high: UInt8 = 0
        if utf8.count <= Self.inlineCapacity {
            for byte in utf8 { high |= byte }
        }
        if utf8.count <= Self.inlineCapacity && high < 0x80 {
            self.init(storage: Self.inline(utf8))
        } else {
            self.init(String(decoding: utf8, as: UTF8.self))
        }
    }

    @inlinable
    init(storage: Storage) {
        self.storage = storage
    }

    public init(decoding utf8: UnsafeBufferPointer<UInt8>) {
        self.init(decoding: UnsafeRawBufferPointer(utf8))
    }

    /// The text of `utf8`, which the caller has checked is valid UTF-8 (a parser that validated it
    /// on its way): copied without a second look. Checked again in debug builds.
    @inlinable
    public init(validUTF8 utf8: UnsafeRawBufferPointer) {
        assert(String(validating: utf8, as: UTF8.self) != nil, "CompactString(validUTF8:) given bytes that are not UTF-8")
        self.init(storage: utf8.count <= Self.inlineCapacity ? Self.inline(utf8) : .heap(String(decoding: utf8, as: UTF8.self)))
    }

    public init(stringLiteral literal: StaticString) {
        precondition(literal.hasPointerRepresentation, "a CompactString literal is text, not one scalar")
        self.init(decoding: UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// At most `inlineCapacity` bytes, in place. Copied with `memcpy` (two 16-byte moves for 15 to 31
    /// bytes): copying word by word was tried twice and cost more every time, its larger body leaving
    /// this initializer's callers out of line (Benchmarks/RESULTS.md, the thirty-first and thirty-sixth passes).
    @inlinable
    static func inline(_ utf8: UnsafeRawBufferPointer) -> Storage {
        precondition(utf8.count <= inlineCapacity, "CompactString: \(utf8.count) bytes do not fit in place")
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { target in
            if let base = utf8.baseAddress, !utf8.isEmpty { target.baseAddress!.copyMemory(from: base, byteCount: utf8.count) }
        }
        // The count in the last byte, set in the word rather than stored as a byte: a byte stored into
        // the words had them read back in ten pieces.
        return .inline(words.0, words.1, words.2, words.3 | (UInt64(utf8.count) << 56).littleEndian)
    }

    /// Calls `body` with the text's UTF-8 bytes, where they lie (on the stack for text in place).
    @inlinable
    public func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        switch storage {
        case .inline(let w0, let w1, let w2, let w3):
            var words = (w0, w1, w2, w3)
            return try withUnsafeBytes(of: &words) { raw in
                let count = Int(raw[Self.inlineCapacity])
                return try body(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count))
            }
        case .heap(let string):
            return try string.withContiguousUTF8(body)
        }
    }

    /// How many UTF-8 bytes the text has.
    @inlinable
    public var utf8Count: Int {
        switch storage {
        case .inline(_, _, _, let w3): Int(truncatingIfNeeded: w3.littleEndian >> 56)
        case .heap(let string): string.utf8.count
        }
    }

    @inlinable
    public var isEmpty: Bool { utf8Count == 0 }

    /// Whether the text is held in a `String` (longer than `inlineCapacity`).
    public var isHeld: Bool {
        if case .heap = storage { true } else { false }
    }

    /// The text as a `String`: one allocated for text of 16 to 31 bytes, which only a `String`
    /// that is not small needs. For messages, logs and the code off the request's way.
    public var description: String {
        switch storage {
        case .inline: withUTF8 { String(decoding: $0, as: UTF8.self) }
        case .heap(let string): string
        }
    }

    /// Whether every UTF-8 byte passes `test` (`String.allUTF8`).
    @inlinable
    public func allUTF8(_ test: (UInt8) -> Bool) -> Bool {
        withUTF8 { bytes in
            for byte in bytes where !test(byte) { return false }
            return true
        }
    }

    @inlinable
    public static func == (lhs: CompactString, rhs: CompactString) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case let (.inline(a0, a1, a2, a3), .inline(b0, b1, b2, b3)):
            return a0 == b0 && a1 == b1 && a2 == b2 && a3 == b3
        case (.heap, .heap):
            return lhs.withUTF8 { left in rhs.withUTF8 { UnsafeRawBufferPointer(left).bytesEqual(UnsafeRawBufferPointer($0)) } }
        case (.inline, .heap), (.heap, .inline):
            return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension String {
    /// `text` as a `String` (`CompactString.description`).
    public init(_ text: CompactString) {
        self = text.description
    }
}
