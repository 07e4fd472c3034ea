import SwitchyardIO

/// Header lines as the wire has them, `\r\nname: value` each (the line before them left open):
/// how an account's constant lines are kept (`UpstreamHeaderBlock`) and how a responder writes
/// values it formats from numbers (`HTTPResponse.encodedHeaders`), so that they cost no `String`.
/// Whoever writes the bytes vouches for them, as for a `headers` list: names are tokens, values
/// hold no CR or LF.
public enum FieldLines {
    /// A whole line.
    public static func append(_ name: String, _ value: String, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: "\r\n".utf8)
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: ": ".utf8)
        bytes.append(contentsOf: value.utf8)
    }

    /// The lines read back as pairs: for tests and tools, not the wire.
    public static func decode(_ bytes: [UInt8]) -> [(name: String, value: String)] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\r\n").map { line in
            let colon = line.firstIndex(of: ":") ?? line.endIndex
            let value = line[colon...].dropFirst().drop { $0 == " " }
            return (String(line[..<colon]), String(value))
        }
    }

    /// Writes lines into memory the caller lends (a buffer on the stack, big enough for them),
    /// for one copy into the array they go to: appending to an array piece by piece costs a few
    /// hundred instructions a piece, and these lines go on every answer.
    public struct Writer {
        @usableFromInline let start: UnsafeMutableRawPointer
        @usableFromInline let capacity: Int
        /// How many bytes are written.
        @usableFromInline var count = 0

        @inlinable
        public init(_ buffer: UnsafeMutableRawBufferPointer) {
            start = buffer.baseAddress!
            capacity = buffer.count
        }

        /// The lines written so far.
        @inlinable
        public var written: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: start, count: count) }

        /// Starts a line, `\r\nname: `: its value follows.
        @inlinable
        public mutating func begin(_ name: StaticString) {
            append("\r\n")
            append(name)
            append(": ")
        }

        @inlinable
        public mutating func append(_ text: StaticString) {
            append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }

        @inlinable
        public mutating func append(_ bytes: UnsafeRawBufferPointer) {
            precondition(bytes.count <= capacity - count, "the lines outgrow the buffer they are written in")
            if let base = bytes.baseAddress { (start + count).copyMemory(from: base, byteCount: bytes.count) }
            count += bytes.count
        }

        @inlinable
        public mutating func append(decimal value: Int) {
            precondition(ASCII.maxDecimalBytes <= capacity - count, "the lines outgrow the buffer they are written in")
            count += ASCII.writeDecimal(value, to: start + count)
        }
    }
}
