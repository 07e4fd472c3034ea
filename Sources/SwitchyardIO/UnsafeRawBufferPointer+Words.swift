extension UnsafeRawBufferPointer {
    /// Whether `test` holds for every eight-byte word of the bytes (true for none): the scan behind
    /// the checks that look at a whole text a word at a time (`ASCII.allDigits`,
    /// `JSONWriter.needsEscape`). `test` must say whether every byte of its word passes a test of
    /// single bytes, as each of theirs does: the words overlap, and a byte may be in two of them or
    /// twice in one. The last word overlaps the one before it, and fewer than eight bytes are tested
    /// as one `shortWord(paddedWith:)`, loaded without a copy through `memcpy`; `padding` must pass
    /// `test` in every byte.
    @inlinable
    public func allWords(paddedWith padding: UInt64, _ test: (UInt64) -> Bool) -> Bool {
        guard let base = baseAddress else { return true }
        guard count >= 8 else { return count == 0 || test(shortWord(paddedWith: padding)) }
        var offset = 0
        while offset < count - 8 {
            guard test(base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) else { return false }
            offset += 8
        }
        return test(base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
    }

    /// Whether `byte` is one of the bytes, eight at a step (`firstOffset(of:)`): `contains` reads one
    /// a step through the generic sequence machinery, some five instructions a byte (a device id's
    /// path is read for `%` and `/` on every request).
    @inlinable
    public func containsByte(_ byte: UInt8) -> Bool {
        firstOffset(of: byte) != nil
    }

    /// The offset of the first `byte`, nil when there is none: eight bytes a step where eight
    /// remain, the last word overlapping the one before it, and fewer than eight one by one. A
    /// request's path ends at its target's first `?`, looked for on every request.
    @inlinable
    public func firstOffset(of byte: UInt8) -> Int? {
        guard let base = baseAddress else { return nil }
        guard count >= 8 else {
            for offset in 0..<count where base.load(fromByteOffset: offset, as: UInt8.self) == byte { return offset }
            return nil
        }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let pattern = ones &* UInt64(byte)
        // The bytes equal to `byte` are those xored to zero; "Bit Twiddling Hacks"' haszero marks
        // them, and can mark a byte above a marked one (a borrow), never one below: read as little-
        // endian, the lowest mark is the first match.
        func firstMatch(at offset: Int) -> Int? {
            let xored = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) ^ pattern
            let marks = (xored &- ones) & ~xored & (ones &<< 7)
            return marks == 0 ? nil : offset &+ marks.trailingZeroBitCount &>> 3
        }
        var offset = 0
        while offset < count - 8 {
            if let found = firstMatch(at: offset) { return found }
            offset += 8
        }
        return firstMatch(at: count - 8)
    }

    /// Whether every byte is VCHAR (0x21–0x7E, visible ASCII: what a request-target and a request
    /// id may hold), eight at a step (`allWords`): a request's target and a vendor call's path are
    /// checked on every request, a byte a step costing some seven instructions each (callgrind).
    @inlinable
    public var isVisibleASCII: Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs = ones &<< 7
        // A byte below 0x21 ("Bit Twiddling Hacks": hasless, exact for whether there is one), or one
        // from 0x7F up: its high bit, or its low seven bits plus one reaching it (no carry leaves a
        // byte: they are at most 0x7F). The padding, `!`, is visible.
        return allWords(paddedWith: ones &* 0x21) { word in
            let below = (word &- ones &* 0x21) & ~word
            let above = ((word & ~highs) &+ ones) | word
            return (below | above) & highs == 0
        }
    }

    /// Fewer than eight bytes as one word, every byte in it and none from past the end: from 4 bytes
    /// up, the first four and the last four (overlapping); below that, the first, middle and last
    /// byte over `padding`'s first three bytes. With the count, the word spells the bytes exactly
    /// (`MemberNames`' keys, `bytesEqual`); to a test of single bytes, it is the bytes (`allWords`).
    @inlinable @inline(__always)
    public func shortWord(paddedWith padding: UInt64) -> UInt64 {
        // Checked in debug builds only: the callers test the count just before, on every short text.
        assert(count < 8, "a short word holds fewer than eight bytes")
        guard let base = baseAddress, count > 0 else { return padding }
        if count >= 4 {
            let front = UInt64(base.loadUnaligned(as: UInt32.self))
            let back = UInt64(base.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self))
            return front | back &<< 32
        }
        let bytes = UInt64(base.load(as: UInt8.self)) | UInt64(base.load(fromByteOffset: count &>> 1, as: UInt8.self)) &<< 8
            | UInt64(base.load(fromByteOffset: count &- 1, as: UInt8.self)) &<< 16
        return padding & ~0xFF_FFFF | bytes
    }
}
