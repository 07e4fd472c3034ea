extension UnsafeRawBufferPointer {
    /// Whether `test` holds for every eight-byte word of the bytes (true for none): the scan behind
    /// the checks that look at a whole text a word at a time (`ASCII.allDigits`,
    /// `JSONWriter.needsEscape`, `JSONParser.signature`). `test` must say whether every byte of its
    /// word passes a test of single bytes, as each of theirs does: the words overlap, and a byte may
    /// be in two of them or twice in one. The last word overlaps the one before it; fewer than eight
    /// bytes are loaded as two four-byte halves from the front and from the back (overlapping), and
    /// fewer than four as their first, middle and last byte over `padding`'s first three bytes, so
    /// no byte is tested alone and nothing is copied through `memcpy`; `padding` must pass `test` in
    /// every byte.
    @inlinable
    public func allWords(paddedWith padding: UInt64, _ test: (UInt64) -> Bool) -> Bool {
        guard let base = baseAddress else { return true }
        guard count >= 8 else {
            switch count {
            case 4...:
                let front = UInt64(base.loadUnaligned(as: UInt32.self))
                let back = UInt64(base.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self))
                return test(front | back &<< 32)
            case 1...:
                let bytes = UInt64(base.load(as: UInt8.self)) | UInt64(base.load(fromByteOffset: count &>> 1, as: UInt8.self)) &<< 8
                    | UInt64(base.load(fromByteOffset: count &- 1, as: UInt8.self)) &<< 16
                return test(padding & ~0xFF_FFFF | bytes)
            default:
                return true
            }
        }
        var offset = 0
        while offset < count - 8 {
            guard test(base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) else { return false }
            offset += 8
        }
        return test(base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
    }
}
