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
    /// `String(value)` formats through generic code at several hundred instructions a number. Two
    /// digits a step from `digitPairs`, after counting them four at a time: a digit a step, counted
    /// one at a time, took about 95 instructions for a six-digit number.
    public static func writeDecimal(_ value: Int, to start: UnsafeMutableRawPointer) -> Int {
        let sign = value < 0 ? 1 : 0
        if sign == 1 { start.storeBytes(of: UInt8(ascii: "-"), as: UInt8.self) }
        var rest = value.magnitude
        let count = sign + decimalDigits(rest)
        let pairs = UnsafeRawPointer(digitPairs.utf8Start)
        var position = count
        while rest >= 100 {
            let pair = Int(truncatingIfNeeded: rest % 100) &* 2
            rest /= 100
            position &-= 2
            start.storeBytes(of: pairs.loadUnaligned(fromByteOffset: pair, as: UInt16.self), toByteOffset: position, as: UInt16.self)
        }
        if rest >= 10 {
            start.storeBytes(of: pairs.loadUnaligned(fromByteOffset: Int(truncatingIfNeeded: rest) &* 2, as: UInt16.self),
                             toByteOffset: position &- 2, as: UInt16.self)
        } else {
            start.storeBytes(of: UInt8(truncatingIfNeeded: rest) &+ UInt8(ascii: "0"), toByteOffset: position &- 1, as: UInt8.self)
        }
        return count
    }

    /// How many decimal digits `value` has (1 for 0).
    @inline(__always)
    static func decimalDigits(_ value: UInt) -> Int {
        var digits = 1
        var rest = value
        while rest >= 10_000 {
            digits &+= 4
            rest /= 10_000
        }
        if rest >= 100 {
            digits &+= 2
            rest /= 100
        }
        return rest >= 10 ? digits &+ 1 : digits
    }

    /// `00` to `99`, pair `n` at offset `2 * n`: a constant in the binary, not a global set up lazily.
    @inline(__always)
    private static var digitPairs: StaticString { """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """
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
