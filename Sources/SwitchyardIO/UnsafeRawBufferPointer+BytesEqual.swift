import Glibc

extension UnsafeRawBufferPointer {
    /// Byte-for-byte equality: `elementsEqual` compares a byte per iteration through the generic
    /// sequence machinery, and this runs on every request (member and header names, header values,
    /// cached tokens). Up to 16 bytes, the length of nearly every name it is given, two loads from
    /// each side (overlapping when shorter) compared in place; a call to `memcmp` through the
    /// dynamic linker's table cost some 35 instructions for the same answer. Inlinable: called out
    /// of line from another module, the call cost as much as the comparison.
    @inlinable @inline(__always)
    public func bytesEqual(_ other: UnsafeRawBufferPointer) -> Bool {
        guard count == other.count else { return false }
        switch count {
        case 0:
            return true
        case 1...3:
            // The first, middle and last bytes are every byte of one to three.
            let middle = count &>> 1, last = count &- 1
            return self[0] == other[0] && self[middle] == other[middle] && self[last] == other[last]
        case 4...7:
            return differences(other, UInt32.self) == 0
        case 8...16:
            return differences(other, UInt64.self) == 0
        default:
            return memcmp(baseAddress!, other.baseAddress!, count) == 0
        }
    }

    @inlinable @inline(__always)
    public func bytesEqual(_ literal: StaticString) -> Bool {
        bytesEqual(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// The bits that differ between the first `Word` of each side and between the last, or'ed: zero
    /// exactly when both of `count`'s bytes agree, for a count from one to two words.
    @usableFromInline @inline(__always)
    func differences<Word: FixedWidthInteger>(_ other: UnsafeRawBufferPointer, _: Word.Type) -> Word {
        let last = count &- MemoryLayout<Word>.size
        return (loadUnaligned(as: Word.self) ^ other.loadUnaligned(as: Word.self))
            | (loadUnaligned(fromByteOffset: last, as: Word.self) ^ other.loadUnaligned(fromByteOffset: last, as: Word.self))
    }
}
