import Glibc

extension UnsafeRawBufferPointer {
    /// Byte-for-byte equality: `elementsEqual` compares a byte per iteration through the generic
    /// sequence machinery, and this runs on every request (member and header names, header values,
    /// cached tokens). Up to 16 bytes, the length of nearly every name it is given, compared in place:
    /// below eight as one `shortWord` a side (which spells the bytes exactly for a given count), up to
    /// sixteen as a side's first and last eight (overlapping when shorter); a call to `memcmp` through
    /// the dynamic linker's table cost some 35 instructions for the same answer. Inlinable: called out
    /// of line from another module, the call cost as much as the comparison.
    @inlinable @inline(__always)
    public func bytesEqual(_ other: UnsafeRawBufferPointer) -> Bool {
        guard count == other.count else { return false }
        if count < 8 { return shortWord(paddedWith: 0) == other.shortWord(paddedWith: 0) }
        guard count <= 16 else { return memcmp(baseAddress!, other.baseAddress!, count) == 0 }
        let last = count &- 8
        return (loadUnaligned(as: UInt64.self) ^ other.loadUnaligned(as: UInt64.self))
            | (loadUnaligned(fromByteOffset: last, as: UInt64.self) ^ other.loadUnaligned(fromByteOffset: last, as: UInt64.self)) == 0
    }

    @inlinable @inline(__always)
    public func bytesEqual(_ literal: StaticString) -> Bool {
        bytesEqual(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
