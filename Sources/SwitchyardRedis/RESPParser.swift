/// Reads RESP replies from the front of a byte range, bounded in every dimension.
///
/// Incremental by retry: `parse` either returns one complete value and how many bytes it took, or
/// nil (consuming nothing) when the value is not complete yet; call again when more bytes arrived.
/// A partial bulk string remembers how many bytes it needs, so a large value arriving in small
/// pieces is not rescanned on every piece. Anything malformed or over a limit throws: the stream
/// can't be resynchronised, so the caller must drop the connection.
public struct RESPParser {
    public struct Limits: Sendable, Equatable {
        /// Longest bulk string payload.
        public var maxBulkLength: Int
        /// Most elements in one array.
        public var maxArrayLength: Int
        /// Deepest nesting of arrays (1 = a flat array).
        public var maxDepth: Int
        /// Longest simple string, error or integer line (without CRLF).
        public var maxLineLength: Int

        public init(maxBulkLength: Int = 16 * 1024, maxArrayLength: Int = 1024, maxDepth: Int = 4, maxLineLength: Int = 4096) {
            self.maxBulkLength = maxBulkLength
            self.maxArrayLength = maxArrayLength
            self.maxDepth = maxDepth
            self.maxLineLength = maxLineLength
        }
    }

    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case malformed(String)
        case limitExceeded(String)

        public var description: String {
            switch self {
            case .malformed(let reason): "malformed reply: \(reason)"
            case .limitExceeded(let reason): "reply over a limit: \(reason)"
            }
        }
    }

    public let limits: Limits
    /// Bytes known to be needed before a retry can succeed (0: unknown).
    private var needed = 0

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Forgets partial progress (after the caller dropped the bytes).
    public mutating func reset() {
        needed = 0
    }

    private struct Incomplete: Error, CustomStringConvertible {
        var needed: Int
        var description: String { "incomplete: \(needed) bytes needed" }
    }

    public mutating func parse(_ bytes: UnsafeRawBufferPointer) throws(ParseError) -> (value: RESPValue, consumed: Int)? {
        if bytes.count < max(needed, 1) { return nil }
        var index = 0
        do {
            let value = try parseValue(bytes, &index, depth: 0)
            needed = 0
            return (value, index)
        } catch let error as ParseError {
            throw error
        } catch let incomplete as Incomplete {
            needed = incomplete.needed
            return nil
        } catch {
            throw .malformed("\(error)")
        }
    }

    public mutating func parse(_ bytes: [UInt8]) throws(ParseError) -> (value: RESPValue, consumed: Int)? {
        var result: (value: RESPValue, consumed: Int)?
        var failure: ParseError?
        bytes.withUnsafeBytes { raw in
            do { result = try parse(raw) } catch { failure = (error as Any) as? ParseError ?? .malformed("\(error)") }
        }
        if let failure { throw failure }
        return result
    }

    /// The line from `index` to CRLF (exclusive); `index` moves past the CRLF.
    private func line(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) throws -> UnsafeRawBufferPointer {
        let start = index
        var i = start
        while i < bytes.count {
            let byte = bytes[i]
            if byte == 13 { // \r
                guard i + 1 < bytes.count else { throw Incomplete(needed: i + 2) }
                guard bytes[i + 1] == 10 else { throw ParseError.malformed("CR without LF") }
                index = i + 2
                return UnsafeRawBufferPointer(rebasing: bytes[start..<i])
            }
            if byte == 10 { throw ParseError.malformed("LF without CR") }
            if i - start >= limits.maxLineLength { throw ParseError.limitExceeded("line longer than \(limits.maxLineLength) bytes") }
            i += 1
        }
        if i - start > limits.maxLineLength { throw ParseError.limitExceeded("line longer than \(limits.maxLineLength) bytes") }
        throw Incomplete(needed: 0)
    }

    private func integer(_ text: UnsafeRawBufferPointer) throws -> Int64 {
        guard !text.isEmpty else { throw ParseError.malformed("empty integer") }
        var negative = false
        var start = 0
        if text[0] == UInt8(ascii: "-") || text[0] == UInt8(ascii: "+") {
            negative = text[0] == UInt8(ascii: "-")
            start = 1
        }
        guard start < text.count else { throw ParseError.malformed("sign without digits") }
        var value: Int64 = 0
        for i in start..<text.count {
            let digit = text[i] &- 48
            guard digit < 10 else { throw ParseError.malformed("bad digit in integer") }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (plus, o2) = negative ? times.subtractingReportingOverflow(Int64(digit)) : times.addingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { throw ParseError.malformed("integer out of range") }
            value = plus
        }
        return value
    }

    private func parseValue(_ bytes: UnsafeRawBufferPointer, _ index: inout Int, depth: Int) throws -> RESPValue {
        guard index < bytes.count else { throw Incomplete(needed: index + 1) }
        let type = bytes[index]
        index += 1
        switch type {
        case UInt8(ascii: "+"):
            return .simpleString(String(decoding: try line(bytes, &index), as: UTF8.self))
        case UInt8(ascii: "-"):
            return .error(String(decoding: try line(bytes, &index), as: UTF8.self))
        case UInt8(ascii: ":"):
            return .integer(try integer(try line(bytes, &index)))
        case UInt8(ascii: "_"):
            guard try line(bytes, &index).isEmpty else { throw ParseError.malformed("null with a payload") }
            return .null
        case UInt8(ascii: "$"):
            let length = try integer(try line(bytes, &index))
            if length == -1 { return .null }
            guard length >= 0 else { throw ParseError.malformed("negative bulk length") }
            guard length <= limits.maxBulkLength else { throw ParseError.limitExceeded("bulk string of \(length) bytes") }
            let end = index + Int(length)
            guard end + 2 <= bytes.count else { throw Incomplete(needed: end + 2) }
            guard bytes[end] == 13, bytes[end + 1] == 10 else { throw ParseError.malformed("bulk string without CRLF") }
            let payload = Array(UnsafeRawBufferPointer(rebasing: bytes[index..<end]))
            index = end + 2
            return .bulkString(payload)
        case UInt8(ascii: "*"):
            let count = try integer(try line(bytes, &index))
            if count == -1 { return .null }
            guard count >= 0 else { throw ParseError.malformed("negative array length") }
            guard count <= limits.maxArrayLength else { throw ParseError.limitExceeded("array of \(count) elements") }
            guard depth < limits.maxDepth else { throw ParseError.limitExceeded("arrays nested deeper than \(limits.maxDepth)") }
            var elements: [RESPValue] = []
            elements.reserveCapacity(min(Int(count), 64))
            for _ in 0..<count {
                elements.append(try parseValue(bytes, &index, depth: depth + 1)) // `needed` offsets are absolute
            }
            return .array(elements)
        default:
            throw ParseError.malformed("unknown type byte \(type)")
        }
    }
}
