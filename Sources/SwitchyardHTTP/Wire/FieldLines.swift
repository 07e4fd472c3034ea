/// Header lines as the wire has them, `\r\nname: value` each (the line before them left open):
/// how an account's constant lines are kept (`UpstreamHeaderBlock`) and how a responder writes
/// values it formats from numbers (`HTTPResponse.encodedHeaders`), so that they cost no `String`.
/// Whoever writes the bytes vouches for them, as for a `headers` list: names are tokens, values
/// hold no CR or LF.
public enum FieldLines {
    /// Starts a line, `\r\nname: `: its value follows.
    public static func begin(_ name: StaticString, in bytes: inout [UInt8]) {
        bytes.append(contentsOf: "\r\n".utf8)
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(contentsOf: ": ".utf8)
    }

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
}
