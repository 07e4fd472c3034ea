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

    /// Whether every byte of `bytes` is a digit (true for none), eight bytes a step
    /// (`allWords`): device ids (an ICCID's 19 or 20, an IMEI's 15) are checked on every request,
    /// and one byte at a time that was some 250 instructions an id (callgrind).
    public static func allDigits(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.allWords(paddedWith: 0x3030_3030_3030_3030, allDigits(word:))
    }

    /// Whether each of the eight bytes of `word` is `0`…`9`: its high half is 3, and adding 6 to it
    /// leaves the high half 3 (which 0x3A…0x3F do not). When the first test holds no byte exceeds
    /// 0x3F, so the addition carries into no neighbour; `testAllDigitsWordMatchesIsDigit` tries
    /// every byte in every position.
    @inline(__always)
    public static func allDigits(word: UInt64) -> Bool {
        let highHalves: UInt64 = 0xF0F0_F0F0_F0F0_F0F0
        let threes: UInt64 = 0x3030_3030_3030_3030
        return word & highHalves == threes && (word &+ 0x0606_0606_0606_0606) & highHalves == threes
    }

    /// ASCII lower case; every other byte unchanged (so `^` never equals `~`, as `| 0x20` would make it).
    @inline(__always)
    public static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }

    /// The most bytes `writeDecimal` writes: a sign and `Int.min`'s 19 digits.
    public static let maxDecimalBytes = 20

    /// Writes `value` in decimal at `start`, a `-` first when negative, and returns how many bytes
    /// that took (at most `maxDecimalBytes`). Headers and documents write numbers on every answer;
    /// `String(value)` formats through generic code at several hundred instructions a number.
    public static func writeDecimal(_ value: Int, to start: UnsafeMutableRawPointer) -> Int {
        let sign = value < 0 ? 1 : 0
        var digits = 1
        var rest = value.magnitude
        while rest >= 10 {
            digits += 1
            rest /= 10
        }
        if sign == 1 { start.storeBytes(of: UInt8(ascii: "-"), as: UInt8.self) }
        rest = value.magnitude
        for position in stride(from: sign + digits - 1, through: sign, by: -1) {
            start.storeBytes(of: UInt8(truncatingIfNeeded: rest % 10) &+ UInt8(ascii: "0"), toByteOffset: position, as: UInt8.self)
            rest /= 10
        }
        return sign + digits
    }

    /// `value` in decimal onto `bytes` (`writeDecimal`, through a buffer on the stack).
    public static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        withUnsafeTemporaryAllocation(byteCount: maxDecimalBytes, alignment: 1) { scratch in
            let count = writeDecimal(value, to: scratch.baseAddress!)
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[..<count]))
        }
    }

    /// `lowercased` of each of the eight bytes of `word` at once: a byte in `A`…`Z` gets 0x20, every
    /// other byte stays as it is, whatever its neighbours are. For comparing names and values eight
    /// bytes a step; `testLowercasedWordMatchesLowercased` tries every byte in every position.
    @inline(__always)
    public static func lowercased(word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs = ones &* 0x80
        // Each byte below 0x80, so adding to it never carries into the next one.
        let low = word & ~highs
        let atLeastA = low &+ ones &* (0x80 - 0x41)
        let pastZ = low &+ ones &* (0x80 - 0x5B)
        // The high bit where `A` <= byte <= `Z` (and the byte was below 0x80 to begin with).
        let upper = (atLeastA ^ pastZ) & ~word & highs
        return word | (upper &>> 2)
    }
}
