/// One complete line of a head, as `HeadScanner` found it: where it lies in the buffer (without its
/// CRLF) and whether it holds a control character other than HTAB.
struct HeadLine: Sendable, Equatable {
    var range: Range<Int>
    var hasControl: Bool
}

/// The line-level half of an incremental head parser, shared by `RequestParser` and
/// `ResponseParser`: finds CRLF-terminated lines, rejects bare CR and bare LF, bounds the head at
/// `maxHeaderBytes`, and parses field lines. The start line (request line or status line) and the
/// meaning of the fields are each parser's own.
///
/// It remembers how far it has scanned, so however a head is split across reads each byte is looked
/// at once, sixteen at a time while none is a control character (`switchyard_first_control`).
struct HeadScanner: Sendable {
    /// Index of the first byte not yet examined; everything before it has been scanned once.
    private(set) var scanned = 0
    /// Index where the line being scanned starts.
    private var lineStart = 0
    /// Whether the line being scanned holds a control character other than HTAB (CR and LF end
    /// lines, so they never count). Lets the field-line parser skip re-checking clean values.
    private var lineHasControl = false

    /// Prepares for the next head.
    mutating func reset() {
        scanned = 0
        lineStart = 0
        lineHasControl = false
    }

    /// The next complete line of `buffer`, or nil when the bytes so far end inside a line; call
    /// again with the same bytes plus more. After a line is returned, `scanned` is the index just
    /// past its CRLF. Throws `.headerTooLarge` when no line ends within `maxHeaderBytes` of the
    /// buffer's start and the buffer already holds more than that.
    @inline(__always)
    mutating func nextLine(in buffer: UnsafeRawBufferPointer, maxHeaderBytes: Int) throws(HTTPParseError) -> HeadLine? {
        let limit = min(buffer.count, maxHeaderBytes)
        var index = scanned
        while index < limit {
            // Straight to the next control byte: CR, LF and anything a field value may not
            // contain are all controls, and a head has few of them.
            index = HTTPSyntax.firstControl(buffer, from: index, to: limit)
            guard index < limit else { break }
            let byte = buffer[index]
            if byte == HTTPSyntax.lf { throw .bareLineFeed }
            if byte != HTTPSyntax.cr {
                // HTAB is fine in a value; other controls are not, but which error that is
                // depends on where in the line they are, so the line's parser decides.
                if byte != HTTPSyntax.htab { lineHasControl = true }
                index &+= 1
                continue
            }
            // A CR as the last byte available: wait for the next one to know if it is a line end.
            guard index + 1 < limit else { break }
            guard buffer[index + 1] == HTTPSyntax.lf else { throw .bareCarriageReturn }
            let line = HeadLine(range: lineStart..<index, hasControl: lineHasControl)
            index += 2
            scanned = index
            lineStart = index
            lineHasControl = false
            return line
        }
        scanned = index
        if buffer.count > maxHeaderBytes { throw .headerTooLarge }
        return nil
    }

    /// `field-name ":" OWS field-value OWS` (RFC 9112 §5), with offsets relative to `origin` (the
    /// head's first byte). `line` must not be empty.
    static func parseFieldLine(_ line: HeadLine, in buffer: UnsafeRawBufferPointer, origin: Int) throws(HTTPParseError) -> HTTPField {
        let end = line.range.upperBound
        var index = line.range.lowerBound
        // A field line can only start with whitespace as a continuation (obs-fold, or whitespace
        // between the start line and the first field): both are smuggling vectors, both rejected.
        if HTTPSyntax.isWhitespace(buffer[index]) { throw .obsoleteLineFolding }
        // Letters, digits and `-` sixteen bytes a step, then the rest of `tchar` one by one.
        index = HTTPSyntax.nameRunEnd(buffer, from: index, to: end)
        while index < end, HTTPSyntax.isTokenCharacter(buffer[index]) { index += 1 }
        guard index < end else { throw .malformedHeaderField }
        if buffer[index] != HTTPSyntax.colon {
            guard HTTPSyntax.isWhitespace(buffer[index]) else { throw .invalidFieldName }
            // `Name : value` is the classic way to make two parsers disagree on a name.
            var next = index
            while next < end, HTTPSyntax.isWhitespace(buffer[next]) { next += 1 }
            throw next < end && buffer[next] == HTTPSyntax.colon ? .whitespaceBeforeColon : .malformedHeaderField
        }
        guard index > line.range.lowerBound else { throw .invalidFieldName }
        let name = line.range.lowerBound..<index

        var valueStart = index + 1
        while valueStart < end, HTTPSyntax.isWhitespace(buffer[valueStart]) { valueStart += 1 }
        var valueEnd = end
        while valueEnd > valueStart, HTTPSyntax.isWhitespace(buffer[valueEnd - 1]) { valueEnd -= 1 }
        // The scan has already seen every byte of the line: only a line with a control character
        // needs its value checked byte by byte (the name's token check has caught any in the name).
        if line.hasControl {
            for position in valueStart..<valueEnd where !HTTPSyntax.isFieldValueByte(buffer[position]) {
                throw .invalidFieldValue
            }
        }
        return HTTPField(name: offsets(name, from: origin), value: offsets(valueStart..<valueEnd, from: origin))
    }

    /// `range` counted from `origin`, unchecked: a line ends within `maxHeaderBytes` of the buffer's
    /// start, which each parser checks fits an `Int32` (its `init`), and starts at `origin` or after.
    /// The checked conversions cost a tenth of a field line's parse.
    @inline(__always)
    private static func offsets(_ range: Range<Int>, from origin: Int) -> Range<Int32> {
        Range(uncheckedBounds: (Int32(truncatingIfNeeded: range.lowerBound &- origin),
                                Int32(truncatingIfNeeded: range.upperBound &- origin)))
    }
}
