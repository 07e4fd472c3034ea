import SwitchyardIO

/// The protocol version of a request. Only HTTP/1.0 and HTTP/1.1 are accepted on the wire; the
/// parser rejects anything else with `.unsupportedVersion`.
public enum HTTPVersion: Sendable, Equatable {
    case http1_0, http1_1
}

/// How the body of a request is delimited (RFC 9112 §6.3), decided once by the parser so that no
/// later layer re-reads `Content-Length` or `Transfer-Encoding` and disagrees with it.
///
/// `.none` means the request has no body at all; `Content-Length: 0` is `.contentLength(0)`, so a
/// proxy can forward the framing it received.
public enum BodyFraming: Sendable, Equatable {
    case none, contentLength(Int), chunked
}

/// One field line of the head, as offsets into `HTTPRequestHead.bytes`.
///
/// Offsets rather than `String`s keep parsing allocation-free; `Int32` halves the size of the
/// field array (heads are bounded far below 2 GiB). `value` has its optional whitespace trimmed
/// and may be empty.
public struct HTTPField: Sendable, Equatable {
    public var name: Range<Int32>
    public var value: Range<Int32>

    public init(name: Range<Int32>, value: Range<Int32>) {
        self.name = name
        self.value = value
    }
}

/// A parsed request head: a private copy of its bytes plus offsets and the framing decisions.
///
/// A connection parses every request into a head's storage it keeps (`RequestParser.parseHead` resets
/// it when a new request starts): its own, or one its responder handed back in exchange for the head
/// it was lent (`HTTPResponder.respond`), so in steady state parsing allocates nothing: `bytes` and
/// `fields` keep their capacity. Strings are made only on demand by the accessors, for routing and logs.
/// Field names are matched ASCII-case-insensitively (RFC 9110 §5.1).
public struct HTTPRequestHead: Sendable, HTTPFieldSection {
    /// The head section from the first byte of the request line through the final CRLF CRLF.
    /// Empty lines the client sent before the request line are not included, so `bytes.count` can
    /// be smaller than the `headLength` the parser reported.
    public internal(set) var bytes: [UInt8]
    public internal(set) var method: HTTPMethod
    /// The request-target's bytes (origin-form, absolute-form, authority-form or `*`).
    public internal(set) var target: Range<Int32>
    public internal(set) var version: HTTPVersion
    public internal(set) var fields: [HTTPField]
    public internal(set) var framing: BodyFraming
    /// Whether the connection may carry another request after this one: for HTTP/1.1 unless
    /// `Connection` lists `close`, for HTTP/1.0 only if it lists `keep-alive` (and not `close`).
    public internal(set) var keepAlive: Bool
    /// `Expect: 100-continue` on an HTTP/1.1 request; ignored on HTTP/1.0 as RFC 9110 §10.1.1 requires.
    public internal(set) var expectsContinue: Bool
    /// Where each `KnownField`'s first line is among `fields`, by the field's raw value: its index
    /// plus one, 0 when the head has none. Noted by the parser, which recognises those names anyway,
    /// so the lookups every request makes go straight to their line.
    private var firstKnown = SIMD16<UInt16>()
    /// The `KnownField`s given on more than one line, by raw value: their lookups take every line.
    private var repeatedKnown: UInt16 = 0

    /// The most field lines a head may have: one more would not fit `firstKnown`'s positions.
    static let maxFieldCount = Int(UInt16.max) - 1

    public init() {
        bytes = []
        method = .other
        target = 0..<0
        version = .http1_1
        fields = []
        framing = .none
        keepAlive = false
        expectsContinue = false
    }

    /// Forgets the request but keeps the storage, so the next request on the connection reuses it.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
        method = .other
        target = 0..<0
        version = .http1_1
        framing = .none
        keepAlive = false
        expectsContinue = false
        firstKnown = SIMD16()
        repeatedKnown = 0
    }

    /// The parser found `field` on line `index` of `fields`.
    mutating func note(_ field: KnownField, at index: Int) {
        let lane = field.rawValue
        precondition(index < Self.maxFieldCount, "the parser bounds the field lines")
        if firstKnown[lane] == 0 {
            firstKnown[lane] = UInt16(index + 1)
        } else {
            repeatedKnown |= 1 << lane
        }
    }

    /// `withFirstValue(_:_:)` for a field the parser noted: no name is compared unless the field
    /// came on more than one line (then `count` must count them).
    public func withFirstValue<Result>(
        _ field: KnownField, _ body: (_ value: UnsafeRawBufferPointer?, _ count: Int) throws -> Result
    ) rethrows -> Result {
        let position = Int(firstKnown[field.rawValue])
        guard position > 0 else { return try body(nil, 0) }
        guard repeatedKnown & (1 << field.rawValue) == 0 else { return try withFirstValue(field.lowercaseName, body) }
        let value = fields[position - 1].value
        return try bytes.withUnsafeBytes { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[Int(value.lowerBound)..<Int(value.upperBound)]), 1)
        }
    }

    /// `firstValue(_:)` for a field the parser noted.
    public func firstValue(_ field: KnownField) -> String? {
        let position = Int(firstKnown[field.rawValue])
        guard position > 0 else { return nil }
        return value(of: fields[position - 1])
    }

    /// `values(_:)` for a field the parser noted: no list is made for one that is absent.
    public func values(_ field: KnownField) -> [String] {
        let position = Int(firstKnown[field.rawValue])
        guard position > 0 else { return [] }
        guard repeatedKnown & (1 << field.rawValue) == 0 else { return values(field.lowercaseName) }
        return [value(of: fields[position - 1])]
    }

    /// The method exactly as sent, for logs. The request line starts at `bytes[0]`, and the method
    /// ends at the single space before the target.
    public var methodName: String {
        guard target.lowerBound > 0 else { return "" }
        return string(0..<(target.lowerBound - 1))
    }

    public var targetString: String { string(target) }

    /// The path the gateway routes on: the target up to its first `?`. For an absolute-form target
    /// (`http://host/p?q`, which RFC 9112 §3.2.2 obliges a server to accept) the scheme and
    /// authority are dropped and an empty path becomes `/`; authority-form and `*` come back whole.
    /// A `String` rather than a `Substring`, because routing keys and logs outlive the head.
    public var path: String {
        withPath { String(decoding: $0, as: UTF8.self) }
    }

    /// `body` with the bytes of `path`, where they lie in the head: routing compares them in place
    /// rather than making a `String` of every request's path.
    public func withPath<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        bytes.withUnsafeBytes { raw in
            let (start, end) = pathBounds(raw)
            if start == end, absoluteFormAuthorityEnd(raw) != nil {
                let root: StaticString = "/"
                return body(UnsafeRawBufferPointer(start: root.utf8Start, count: root.utf8CodeUnitCount))
            }
            return body(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
        }
    }

    /// The query after the first `?` (without it), or `nil` when the target has none.
    public var query: String? {
        bytes.withUnsafeBytes { raw in
            let (_, end) = pathBounds(raw)
            guard end < Int(target.upperBound) else { return nil }
            return Self.decode(raw, (end + 1)..<Int(target.upperBound))
        }
    }

    // MARK: - Helpers

    /// Bytes that are not UTF-8 (field values may carry obs-text) become U+FFFD; the raw bytes stay
    /// available in `bytes` for anyone who needs them exactly.
    private func string(_ range: Range<Int32>) -> String {
        bytes.withUnsafeBytes { raw in Self.decode(raw, Int(range.lowerBound)..<Int(range.upperBound)) }
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self)
    }

    /// Where the routing path lies in `raw`: after the authority for absolute-form, else from the
    /// target's start; up to the first `?` or the end of the target.
    private func pathBounds(_ raw: UnsafeRawBufferPointer) -> (start: Int, end: Int) {
        let start = absoluteFormAuthorityEnd(raw) ?? Int(target.lowerBound)
        let rest = UnsafeRawBufferPointer(rebasing: raw[start..<Int(target.upperBound)])
        return (start, start + (rest.firstOffset(of: UInt8(ascii: "?")) ?? rest.count))
    }

    /// For an absolute-form target (`scheme "://" authority ...`), the index just past the
    /// authority; `nil` for every other form. `host:port` (authority-form) has no `//` and is not
    /// mistaken for a scheme.
    private func absoluteFormAuthorityEnd(_ raw: UnsafeRawBufferPointer) -> Int? {
        let start = Int(target.lowerBound), end = Int(target.upperBound)
        guard start < end, ASCII.isAlpha(raw[start]) else { return nil }
        var index = start + 1
        while index < end, HTTPSyntax.isSchemeCharacter(raw[index]) { index += 1 }
        guard index + 2 < end,
              raw[index] == UInt8(ascii: ":"),
              raw[index + 1] == UInt8(ascii: "/"),
              raw[index + 2] == UInt8(ascii: "/")
        else { return nil }
        index += 3
        while index < end, raw[index] != UInt8(ascii: "/"), raw[index] != UInt8(ascii: "?") { index += 1 }
        return index
    }
}
