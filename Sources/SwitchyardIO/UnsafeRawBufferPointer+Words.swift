extension UnsafeRawBufferPointer {
    /// Whether `test` holds for every eight-byte word of the bytes (true for none): the scan behind
    /// the checks that look at a whole text a word at a time (`ASCII.allDigits`,
    /// `JSONWriter.needsEscape`, `JSONParser.signature`). The last word overlaps the one before it, and fewer than eight
    /// bytes are tested after `padding`'s first bytes are replaced by them, so no byte is tested
    /// alone; `padding` must pass `test` in every byte. Words are loaded as they lie in memory
    /// (little-endian here: the first byte lowest).
    @inlinable
    public func allWords(paddedWith padding: UInt64, _ test: (UInt64) -> Bool) -> Bool {
        guard let base = baseAddress else { return true }
        guard count >= 8 else {
            var word = padding
            withUnsafeMutableBytes(of: &word) { $0.baseAddress!.copyMemory(from: base, byteCount: count) }
            return test(word)
        }
        var offset = 0
        while offset < count - 8 {
            guard test(base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) else { return false }
            offset += 8
        }
        return test(base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
    }
}
