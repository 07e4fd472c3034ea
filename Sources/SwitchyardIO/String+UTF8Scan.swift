extension String {
    /// Whether every UTF-8 byte passes `test`, scanned where the bytes lie (a small string's on the
    /// stack). `utf8.allSatisfy` walks `String.UTF8View`'s index machinery at some thirty
    /// instructions a byte; this is a loop over a buffer. For the request path's checks of ids,
    /// field values and header values.
    @inlinable
    public func allUTF8(_ test: (UInt8) -> Bool) -> Bool {
        var text = self
        return text.withUTF8 { bytes in
            for byte in bytes where !test(byte) { return false }
            return true
        }
    }

    /// Whether the UTF-8 contains `byte`, scanned as `allUTF8` scans.
    @inlinable
    public func containsUTF8(_ byte: UInt8) -> Bool {
        !allUTF8 { $0 != byte }
    }
}
