import SwitchyardIO

/// A parsed head's field lines as offsets into its own copy of the head's bytes, looked up by name
/// without building a `String` until a value is asked for.
///
/// `HTTPResponseHead` gets its lookups from here; `HTTPRequestHead` has its own copies of the same
/// lookups and can drop them by conforming. Names match ASCII-case-insensitively (RFC 9110 §5.1).
public protocol HTTPFieldSection {
    /// The head's bytes; every `HTTPField` offset points into them.
    var bytes: [UInt8] { get }
    var fields: [HTTPField] { get }
}

extension HTTPFieldSection {
    /// The value of the first field named `lowercaseName` (matched case-insensitively either way),
    /// or `nil`. Allocates only the returned string.
    public func firstValue(_ lowercaseName: StaticString) -> String? {
        bytes.withUnsafeBytes { raw in
            for field in fields where HTTPSyntax.nameEquals(raw, field.name, lowercaseName) {
                return HTTPSyntax.decode(raw, field.value)
            }
            return nil
        }
    }

    /// The first field named `lowercaseName`'s value as bytes (nil when there is none) and how many
    /// field lines have that name, for a decision that needs no `String`: the steady path's
    /// comparisons with the values nearly every client sends. The bytes are valid only inside `body`.
    public func withFirstValue<Result>(
        _ lowercaseName: StaticString, _ body: (_ value: UnsafeRawBufferPointer?, _ count: Int) throws -> Result
    ) rethrows -> Result {
        try bytes.withUnsafeBytes { raw in
            var first: Range<Int32>?
            var count = 0
            for field in fields where HTTPSyntax.nameEquals(raw, field.name, lowercaseName) {
                if first == nil { first = field.value }
                count += 1
            }
            return try body(first.map { UnsafeRawBufferPointer(rebasing: raw[Int($0.lowerBound)..<Int($0.upperBound)]) }, count)
        }
    }

    /// The values of every field named `lowercaseName`, one element per field line, in order.
    /// Comma-separated lists inside one line are not split: that depends on the field's grammar.
    public func values(_ lowercaseName: StaticString) -> [String] {
        bytes.withUnsafeBytes { raw in
            var result: [String] = []
            for field in fields where HTTPSyntax.nameEquals(raw, field.name, lowercaseName) {
                result.append(HTTPSyntax.decode(raw, field.value))
            }
            return result
        }
    }

    public func contains(_ lowercaseName: StaticString) -> Bool {
        bytes.withUnsafeBytes { raw in
            fields.contains { HTTPSyntax.nameEquals(raw, $0.name, lowercaseName) }
        }
    }

    /// The name of `field` as sent, e.g. for forwarding or logs.
    public func name(of field: HTTPField) -> String {
        bytes.withUnsafeBytes { HTTPSyntax.decode($0, field.name) }
    }

    /// The value of `field`, whitespace trimmed.
    public func value(of field: HTTPField) -> String {
        bytes.withUnsafeBytes { HTTPSyntax.decode($0, field.value) }
    }
}

extension HTTPSyntax {
    /// Bytes that are not UTF-8 (field values may carry obs-text) become U+FFFD; the raw bytes stay
    /// available in the head's `bytes` for anyone who needs them exactly.
    static func decode(_ raw: UnsafeRawBufferPointer, _ range: Range<Int32>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: raw[Int(range.lowerBound)..<Int(range.upperBound)]), as: UTF8.self)
    }

    /// The length decides most comparisons; the name's last byte, where field names sharing a
    /// prefix (`content-…`, `accept-…`) differ, most of the rest.
    @inline(__always)
    static func nameEquals(_ raw: UnsafeRawBufferPointer, _ range: Range<Int32>, _ name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        guard count == range.count, count > 0 else { return count == range.count }
        let end = Int(range.upperBound)
        guard ASCII.lowercased(raw[end - 1]) == ASCII.lowercased(name.utf8Start[count - 1]) else { return false }
        return equalsIgnoringCase(raw, Int(range.lowerBound)..<end, name)
    }
}
