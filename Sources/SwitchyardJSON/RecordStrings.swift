/// The string members of a vendor's record as `JSONParser.withRecordStrings` read them: each
/// member's text where it lies in the record, by its name's place in the names it was read with.
/// Valid only for the call it is handed to.
public struct RecordStrings {
    /// A place no string was read for (its member left out, or `null`): a string's text never begins
    /// at the text's first byte, which is the record's `{` or whitespace.
    static var absent: Range<Int> { 0..<0 }

    private let text: UnsafeBufferPointer<UInt8>
    private let ranges: UnsafeBufferPointer<Range<Int>>

    init(text: UnsafeBufferPointer<UInt8>, ranges: UnsafeBufferPointer<Range<Int>>) {
        self.text = text
        self.ranges = ranges
    }

    /// The text of the string the name at `place` names, nil when the record has none (the member
    /// left out, or `null`).
    public subscript(place: Int) -> UnsafeBufferPointer<UInt8>? {
        let range = ranges[place]
        return range == Self.absent ? nil : UnsafeBufferPointer(rebasing: text[range])
    }
}
