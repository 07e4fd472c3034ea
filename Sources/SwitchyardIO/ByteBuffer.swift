#if canImport(Glibc)
import Glibc
#endif

/// A contiguous byte buffer with a read index and a write index, used by one connection and never
/// shared between threads.
///
/// A connection's buffers are its own for its whole life (`Channel.inbound`, `Channel.outbound`),
/// but their storage is the loop's: lent from its `BufferPool` when the first byte comes and given
/// back once they are empty, so an idle connection holds no storage at all. The buffers themselves
/// stay, so the channel keeps them in `let`s, which every call borrows as they are: a buffer handed
/// out of an optional `var` and back cost a retain and a release at each use (twelve pairs a
/// translated request). A buffer made with `init(capacity:)` lends from a pool of its own, which
/// keeps its one block.
///
/// Readers see `readableBytes` (`readerIndex..<writerIndex`); writers append at `writerIndex`.
/// Growth is explicit (`reserveWritable`), so a read buffer can stay at its fixed bound while a
/// write buffer grows for a large response.
public final class ByteBuffer {
    public private(set) var storage: UnsafeMutableRawPointer
    /// 0 while the buffer holds no storage.
    public private(set) var capacity: Int
    public private(set) var readerIndex: Int = 0
    public var writerIndex: Int { written }
    /// `writerIndex`, settable from the appends inlined into other modules.
    @usableFromInline var written = 0
    /// Where the storage comes from and goes back to. Not optional: an optional's `if let` copies
    /// it, a retain and a release each time.
    private let pool: BufferPool

    /// A buffer of `capacity` bytes to begin with, lending from a pool of its own.
    public convenience init(capacity: Int) {
        self.init(lendingFrom: BufferPool(bufferCapacity: capacity, maxFree: 1))
        attachStorage()
    }

    /// A buffer with no storage until it is written to (or `attachStorage()`), then `pool`'s.
    public init(lendingFrom pool: BufferPool) {
        self.capacity = 0
        self.storage = pool.vacancy
        self.pool = pool
    }

    deinit {
        releaseStorage()
    }

    /// Whether the buffer holds storage now.
    public var hasStorage: Bool { capacity > 0 }

    /// Takes storage from the pool if the buffer has none, so that `writableBytes` has room.
    public func attachStorage() {
        guard capacity == 0 else { return }
        storage = pool.take()
        capacity = pool.bufferCapacity
    }

    /// Drops whatever the buffer holds and gives its storage back to its pool.
    public func releaseStorage() {
        readerIndex = 0
        written = 0
        guard capacity > 0 else { return }
        pool.give(storage, capacity: capacity)
        storage = pool.vacancy
        capacity = 0
    }

    public var readableCount: Int { writerIndex - readerIndex }
    @inlinable public var writableCount: Int { capacity &- written }
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
        written += count
    }

    /// Drops `count` bytes from the front. When nothing is left both indices return to zero, so a
    /// buffer that is drained between requests never needs compaction.

    public func consume(_ count: Int) {
        assert(count >= 0 && count <= readableCount)
        readerIndex += count
        if readerIndex == writerIndex {
            readerIndex = 0
            written = 0
        }
    }

    public func clear() {
        readerIndex = 0
        written = 0
    }

    /// Moves the unread bytes to the front, making the whole free space one tail.
    public func compact() {
        guard readerIndex > 0 else { return }
        let count = readableCount
        if count > 0 { memmove(storage, storage + readerIndex, count) }
        readerIndex = 0
        written = count
    }

    /// Makes room for at least `count` more bytes: compacts first, then grows by doubling. The
    /// check is inlined into every append; making room, rare on a buffer that is reused, is not.
    @inlinable @inline(__always)
    public func reserveWritable(_ count: Int) {
        if writableCount < count { makeRoom(count) }
    }

    @inline(never) @usableFromInline
    func makeRoom(_ count: Int) {
        attachStorage()
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

    @inlinable
    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        append(base, count: bytes.count)
    }

    /// `count` bytes from `base`, inlined where it is called: with a constant count (a
    /// `StaticString`'s) the copy becomes a few moves instead of a call to `memcpy`.
    @inlinable @inline(__always)
    func append(_ base: UnsafeRawPointer, count: Int) {
        reserveWritable(count)
        (storage + written).copyMemory(from: base, byteCount: count)
        written &+= count
    }

    public func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    public func append(_ string: String) {
        string.withContiguousUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    @inlinable @inline(__always)
    public func append(_ string: StaticString) {
        append(string.utf8Start, count: string.utf8CodeUnitCount)
    }

    @inlinable
    public func append(byte: UInt8) {
        reserveWritable(1)
        storage.storeBytes(of: byte, toByteOffset: written, as: UInt8.self)
        written &+= 1
    }

    /// Appends `value` in decimal without allocating a `String`.
    public func append(decimal value: Int) {
        precondition(value >= 0)
        reserveWritable(ASCII.maxDecimalBytes)
        written += ASCII.writeDecimal(value, to: storage + written)
    }
}

/// A loop's free list of buffer storage of one size, lent to its connections' buffers while they
/// hold bytes, so an idle keep-alive connection costs no buffer memory at all. The list keeps at
/// most `maxFree` blocks: enough for a busy loop's steady state, few enough that the storage of a
/// flood of connections goes back to malloc (and from there to the kernel) when it ends. Storage
/// that grew past `bufferCapacity` for one large response goes back to malloc too, so one big
/// answer does not pin memory.
public final class BufferPool {
    public let bufferCapacity: Int
    private let free: FreeSlots<UnsafeMutableRawPointer>
    /// What a buffer's `storage` points at while it has none from this pool: never read or
    /// written, since the buffer's capacity is 0 meanwhile.
    let vacancy = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)

    public init(bufferCapacity: Int, maxFree: Int = 64) {
        precondition(bufferCapacity > 0)
        self.bufferCapacity = bufferCapacity
        free = FreeSlots(capacity: maxFree)
    }

    deinit {
        free.removeAll { $0.deallocate() }
        vacancy.deallocate()
    }

    /// `bufferCapacity` bytes, from the list or newly allocated.
    func take() -> UnsafeMutableRawPointer {
        free.pop() ?? UnsafeMutableRawPointer.allocate(byteCount: bufferCapacity, alignment: 16)
    }

    /// Storage of `capacity` bytes back to the list, or to malloc.
    func give(_ block: UnsafeMutableRawPointer, capacity: Int) {
        guard capacity == bufferCapacity, free.push(block) else { return block.deallocate() }
    }
}
