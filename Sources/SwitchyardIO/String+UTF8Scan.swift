extension String {
    /// Calls `body` with the string's UTF-8 where it lies. `withUTF8` does the same but is
    /// `mutating`, and the copy a `var` makes for it costs a retain and a release of a long string's
    /// storage (about a hundred instructions a call, callgrind); a native string, all there are on
    /// Linux, has its UTF-8 contiguous, so only a bridged one would be copied here.
    @inlinable
    public func withContiguousUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        return try copy.withUTF8(body)
    }

    /// Whether every UTF-8 byte passes `test`, scanned where the bytes lie (a small string's on the
    /// stack). `utf8.allSatisfy` walks `String.UTF8View`'s index machinery at some thirty
    /// instructions a byte; this is a loop over a buffer. For the request path's checks of ids,
    /// field values and header values.
    @inlinable
    public func allUTF8(_ test: (UInt8) -> Bool) -> Bool {
        withContiguousUTF8 { bytes in
            for byte in bytes where !test(byte) { return false }
            return true
        }
    }
}
