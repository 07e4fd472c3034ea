#if canImport(Glibc)
import Glibc
#endif

/// A contiguous byte buffer with a read index and a write index, owned by one connection at a
/// time and recycled through its loop's `BufferPool`.
///
/// It is a class so the pool can hand out and take back the same storage without copying; it is
/// never shared between threads. Readers see `readableBytes` (`readerIndex..<writerIndex`);
/// writers append at `writerIndex`. Growth is explicit (`reserveWritable`), so a read buffer can
/// stay at its fixed bound while a write buffer grows for a large response.
public final class ByteBuffer {
    public private(set) var storage: UnsafeMutableRawPointer
    public private(set) var capacity: Int
    public private(set) var readerIndex: Int = 0
    public private(set) var writerIndex: Int = 0

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        storage.deallocate()
    }

    public var readableCount: Int { writerIndex - readerIndex }
    public var writableCount: Int { capacity - writerIndex }
    public var isEmpty: Bool { readerIndex == writerIndex }

    /// The unread bytes. Valid until the next call that mutates the buffer.

    public var readableBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage + readerIndex, count: writerIndex - readerIndex)
    }

    /// The free tail, for `read(2)` or `SSL_read` to fill; follow with `didWrite(_:)`.

    public var writableBytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: storage + writerIndex, count: capacity - writerIndex)
    }

    public func didWrite(_ count: Int) {
        assert(count >= 0 && count <= writableCount)
        writerIndex += count
    }

    /// Drops `count` bytes from the front. When nothing is left both indices return to zero, so a
    /// buffer that is drained between requests never needs compaction.

    public func consume(_ count: Int) {
        assert(count >= 0 && count <= readableCount)
        readerIndex += count
        if readerIndex == writerIndex {
            readerIndex = 0
            writerIndex = 0
        }
    }

    public func clear() {
        readerIndex = 0
        writerIndex = 0
    }

    /// Moves the unread bytes to the front, making the whole free space one tail.
    public func compact() {
        guard readerIndex > 0 else { return }
        let count = readableCount
        if count > 0 { memmove(storage, storage + readerIndex, count) }
        readerIndex = 0
        writerIndex = count
    }

    /// Makes room for at least `count` more bytes: compacts first, then grows by doubling. The
    /// check is inlined into every append; making room, rare on a buffer that is reused, is not.
    @inline(__always)
    public func reserveWritable(_ count: Int) {
        if writableCount < count { makeRoom(count) }
    }

    @inline(never)
    private func makeRoom(_ count: Int) {
        compact()
        if writableCount >= count { return }
        var newCapacity = capacity
        while newCapacity - writerIndex < count { newCapacity *= 2 }
        let newStorage = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        newStorage.copyMemory(from: storage, byteCount: writerIndex)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }

    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        reserveWritable(bytes.count)
        (storage + writerIndex).copyMemory(from: base, byteCount: bytes.count)
        writerIndex += bytes.count
    }

    public func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    public func append(_ string: String) {
        string.withContiguousUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    public func append(_ string: StaticString) {
        append(UnsafeRawBufferPointer(start: string.utf8Start, count: string.utf8CodeUnitCount))
    }

    public func append(byte: UInt8) {
        reserveWritable(1)
        storage.storeBytes(of: byte, toByteOffset: writerIndex, as: UInt8.self)
        writerIndex += 1
    }

    /// Appends `value` in decimal without allocating a `String`.
    public func append(decimal value: Int) {
        precondition(value >= 0)
        reserveWritable(ASCII.maxDecimalBytes)
        writerIndex += ASCII.writeDecimal(value, to: storage + writerIndex)
    }

    /// Shrinks a buffer that grew for one large response back to `capacity`, so one big answer
    /// does not pin memory for the rest of a keep-alive connection's life.
    public func shrink(to capacity: Int) {
        guard self.capacity > capacity, readableCount <= capacity else { return }
        compact()
        let newStorage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        newStorage.copyMemory(from: storage, byteCount: writerIndex)
        storage.deallocate()
        storage = newStorage
        self.capacity = capacity
    }
}

/// A loop's free list of buffers of one size. A connection holds a buffer only while it has bytes
/// in it, so an idle keep-alive connection costs no buffer memory at all. The list keeps at most
/// `maxFree` buffers: enough for a busy loop's steady state, few enough that the buffers of a
/// flood of connections go back to malloc (and from there to the kernel) when it ends.
public final class BufferPool {
    public let bufferCapacity: Int
    private var free: [ByteBuffer] = []
    private let maxFree: Int

    public init(bufferCapacity: Int, maxFree: Int = 64) {
        self.bufferCapacity = bufferCapacity
        self.maxFree = maxFree
    }

    public func take() -> ByteBuffer {
        if let buffer = free.popLast() { return buffer }
        return ByteBuffer(capacity: bufferCapacity)
    }

    public func give(_ buffer: ByteBuffer) {
        buffer.clear()
        guard free.count < maxFree else { return }
        if buffer.capacity != bufferCapacity { buffer.shrink(to: bufferCapacity) }
        free.append(buffer)
    }
}
