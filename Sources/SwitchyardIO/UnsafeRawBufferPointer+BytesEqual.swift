import Glibc

extension UnsafeRawBufferPointer {
    /// Byte-for-byte equality by `memcmp`: `elementsEqual` compares a byte per iteration through
    /// the generic sequence machinery, and this runs on every request (header values, cached tokens).
    @inline(__always)
    public func bytesEqual(_ other: UnsafeRawBufferPointer) -> Bool {
        count == other.count && (count == 0 || memcmp(baseAddress!, other.baseAddress!, count) == 0)
    }

    @inline(__always)
    public func bytesEqual(_ literal: StaticString) -> Bool {
        bytesEqual(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
