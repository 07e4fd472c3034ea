/// ASCII byte classes every parser here needs (HTTP, JSON, URLs, device fields): plain byte
/// arithmetic, no tables, no `String`, nothing allocated.
public enum ASCII {
    @inline(__always)
    public static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    @inline(__always)
    public static func isAlpha(_ byte: UInt8) -> Bool { lowercased(byte) &- UInt8(ascii: "a") < 26 }

    /// The value of a hex digit (either case), or nil: chunk sizes, percent-encoding, `\u` escapes.
    @inline(__always)
    public static func hexValue(_ byte: UInt8) -> UInt8? {
        if isDigit(byte) { return byte &- UInt8(ascii: "0") }
        let letter = lowercased(byte) &- UInt8(ascii: "a")
        return letter < 6 ? letter + 10 : nil
    }

    /// ASCII lower case; every other byte unchanged (so `^` never equals `~`, as `| 0x20` would make it).
    @inline(__always)
    public static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }
}
