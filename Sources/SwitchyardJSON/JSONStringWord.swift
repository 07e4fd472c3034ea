/// Eight bytes of a JSON string's UTF-8 at a time (the "has a zero byte" and "has a byte less than
/// n" word tests): which of them end a plain run of text, for the reader looking for a string's
/// end. Nearly every string a device API carries is a short run of plain ASCII, so this scan is
/// most of what reading one costs. (The writer asks only whether a text has anything to escape,
/// not where: `switchyard_json_needs_escape`, sixteen bytes a step.)
enum JSONStringWord {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The high bit of each byte of `word` that is a quote, a backslash or a control character
    /// (below 0x20). Exact at the lowest byte flagged: a byte's borrow reaches the byte above it only
    /// when the byte itself matched, so a byte above a match may be flagged too, never one below.
    /// Read the word little-endian for "lowest" to be its first byte.
    @inline(__always)
    static func specials(_ word: UInt64) -> UInt64 {
        let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5C)
        return (((word &- ones &* 0x20) & ~word) | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)) & highs
    }
}
