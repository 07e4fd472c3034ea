import CByteScan
import SwitchyardIO

/// Byte classes and comparisons of the HTTP grammar (RFC 9110 §5.6, RFC 9112), shared by the
/// request and response parsers, the chunked decoder's trailer section and the heads' accessors. Plain byte
/// arithmetic: no tables to initialise, no `String`, nothing allocated.
public enum HTTPSyntax {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon = UInt8(ascii: ":")

    /// Where the run of letters, digits and `-` that starts at `start` ends, before `end` (the field
    /// line's end): what nearly every field name is made of, so a name is read sixteen bytes a step
    /// to its first other byte (the colon, or one of `tchar`'s rarer characters, which the caller
    /// reads on one by one). `start..<end` must lie within `buffer`.
    @inline(__always)
    static func nameRunEnd(_ buffer: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int {
        guard start < end, let base = buffer.baseAddress else { return end }
        return start &+ switchyard_name_run_end(base.assumingMemoryBound(to: UInt8.self) + start, end &- start)
    }

    /// `tchar` as a 128-bit set: ``!#$%&'*+-.^_`|~``, digits and letters. The test
    /// `testTokenCharacterSetMatchesRFC9110` rebuilds these words from the RFC's list.
    private static let tokenLow: UInt64 = 0x03FF_6CFA_0000_0000
    private static let tokenHigh: UInt64 = 0x57FF_FFFF_C7FF_FFFE

    @inline(__always)
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        if byte < 64 { return (tokenLow >> byte) & 1 == 1 }
        if byte < 128 { return (tokenHigh >> (byte - 64)) & 1 == 1 }
        return false
    }

    /// VCHAR: what a request-target may contain.
    @inline(__always)
    static func isVisible(_ byte: UInt8) -> Bool { byte >= 0x21 && byte <= 0x7E }

    /// field-vchar, SP or HTAB: VCHAR and obs-text (0x80–0xFF) but no NUL, other controls or DEL.
    @inline(__always)
    static func isFieldValueByte(_ byte: UInt8) -> Bool { (byte >= 0x20 && byte != 0x7F) || byte == htab }

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == sp || byte == htab }

    /// Where the first control byte (below 0x20, or DEL) of `buffer[start..<end]` lies, or `end`:
    /// sixteen bytes a step (`switchyard_first_control`). `start..<end` must lie within `buffer`.
    @inline(__always)
    static func firstControl(_ buffer: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int {
        guard start < end, let base = buffer.baseAddress else { return end }
        return start &+ switchyard_first_control(base.assumingMemoryBound(to: UInt8.self) + start, end &- start)
    }

    /// Whether every byte may stand in a field value (`isFieldValueByte`): from one control byte to
    /// the next, as `HeadScanner` scans a head, each of them allowed only if it is HTAB.
    static func isFieldValue(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        while index < bytes.count {
            index = firstControl(bytes, from: index, to: bytes.count)
            guard index < bytes.count else { return true }
            guard bytes[index] == htab else { return false }
            index += 1
        }
        return true
    }

    /// `ALPHA / DIGIT / "+" / "-" / "."` (RFC 3986 §3.1).
    static func isSchemeCharacter(_ byte: UInt8) -> Bool {
        ASCII.isAlpha(byte) || ASCII.isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }

    /// Whether `buffer[range]` equals `literal`, ignoring ASCII case on either side.
    /// Eight bytes a step (`ASCII.lowercased(word:)`), the last step overlapping the one before when
    /// the length is not a multiple of eight; byte by byte below eight.
    static func equalsIgnoringCase(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>, _ literal: StaticString) -> Bool {
        let count = range.count
        guard count == literal.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawPointer(literal.utf8Start)
        guard count >= 8 else {
            for offset in 0..<count where ASCII.lowercased(buffer[range.lowerBound + offset]) != ASCII.lowercased(expected.load(fromByteOffset: offset, as: UInt8.self)) {
                return false
            }
            return true
        }
        var offset = 0
        while true {
            let word = buffer.loadUnaligned(fromByteOffset: range.lowerBound + offset, as: UInt64.self)
            let literalWord = expected.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            guard ASCII.lowercased(word: word) == ASCII.lowercased(word: literalWord) else { return false }
            if offset + 8 == count { return true }
            offset = min(offset + 8, count - 8)
        }
    }

    /// Whether the field name `buffer[range]`, already read as `tchar` (`HeadScanner.parseFieldLine`),
    /// is `lowercaseName` (lowercase letters, digits and `-`) in any case. For those two, setting
    /// each name byte's 0x20 bit is the whole case folding: the only `tchar` bytes it takes onto a
    /// lowercase letter are that letter's two cases, and onto a digit or `-` only the byte itself
    /// (besides controls, which are not `tchar`), so the literal needs no folding and a word is
    /// compared in three instructions. Eight bytes a step, the last overlapping; byte by byte below eight.
    static func equalsFieldName(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercaseName: StaticString) -> Bool {
        let count = range.count
        guard count == lowercaseName.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawPointer(lowercaseName.utf8Start)
        guard count >= 8 else {
            for offset in 0..<count where buffer[range.lowerBound + offset] | 0x20 != expected.load(fromByteOffset: offset, as: UInt8.self) {
                return false
            }
            return true
        }
        let fold: UInt64 = 0x2020_2020_2020_2020
        var offset = 0
        while true {
            let word = buffer.loadUnaligned(fromByteOffset: range.lowerBound + offset, as: UInt64.self) | fold
            guard word == expected.loadUnaligned(fromByteOffset: offset, as: UInt64.self) else { return false }
            if offset + 8 == count { return true }
            offset = min(offset + 8, count - 8)
        }
    }

    static func hasPrefix(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count >= literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for offset in 0..<literal.utf8CodeUnitCount where buffer[range.lowerBound + offset] != expected[offset] {
            return false
        }
        return true
    }

    enum VersionParse: Equatable {
        case supported(HTTPVersion)
        /// `HTTP/d.d`, but not a version we speak.
        case unsupported
        case malformed
    }

    /// `HTTP-version` (RFC 9112 §2.3), shared by request and status lines: exactly `HTTP/1.1` or
    /// `HTTP/1.0` is supported; any other `HTTP/d.d` is recognised but unsupported; anything else
    /// (lower case, extra bytes, missing digits) is malformed.
    static func parseVersion(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> VersionParse {
        guard range.count == 8, hasPrefix(buffer, range, "HTTP/") else { return .malformed }
        let major = buffer[range.lowerBound + 5], dot = buffer[range.lowerBound + 6], minor = buffer[range.lowerBound + 7]
        guard ASCII.isDigit(major), dot == UInt8(ascii: "."), ASCII.isDigit(minor) else { return .malformed }
        switch (major, minor) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .supported(.http1_1)
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .supported(.http1_0)
        default: return .unsupported
        }
    }

    /// Calls `body` with each element of the comma-separated list in `buffer[range]`, OWS trimmed,
    /// empty elements skipped (RFC 9110 §5.6.1 lets senders write `a, , b`).
    @inline(__always)
    static func forEachListElement(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>, _ body: (Range<Int>) -> Void) {
        var start = range.lowerBound
        for index in range.lowerBound...range.upperBound where index == range.upperBound || buffer[index] == UInt8(ascii: ",") {
            var lower = start, upper = index
            while lower < upper, isWhitespace(buffer[lower]) { lower += 1 }
            while upper > lower, isWhitespace(buffer[upper - 1]) { upper -= 1 }
            if lower < upper { body(lower..<upper) }
            start = index + 1
        }
    }
}
