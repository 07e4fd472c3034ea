import SwitchyardIO

/// Writes commands as RESP arrays of bulk strings straight into a `ByteBuffer`, without building
/// an intermediate `String` or `[UInt8]`.
public enum RESPEncoder {
    public static func encodeCommand(_ arguments: [String], into buffer: ByteBuffer) {
        writeHeader(count: arguments.count, into: buffer)
        for argument in arguments {
            argument.withContiguousUTF8 { writeBulk(UnsafeRawBufferPointer($0), into: buffer) }
        }
    }

    public static func encodeCommand(_ arguments: [[UInt8]], into buffer: ByteBuffer) {
        writeHeader(count: arguments.count, into: buffer)
        for argument in arguments {
            argument.withUnsafeBytes { writeBulk($0, into: buffer) }
        }
    }

    @inline(__always)
    private static func writeHeader(count: Int, into buffer: ByteBuffer) {
        buffer.append(byte: UInt8(ascii: "*"))
        buffer.append(decimal: count)
        buffer.append("\r\n" as StaticString)
    }

    @inline(__always)
    private static func writeBulk(_ bytes: UnsafeRawBufferPointer, into buffer: ByteBuffer) {
        buffer.append(byte: UInt8(ascii: "$"))
        buffer.append(decimal: bytes.count)
        buffer.append("\r\n" as StaticString)
        buffer.append(bytes)
        buffer.append("\r\n" as StaticString)
    }
}
