import SwitchyardIO
import XCTest

final class ByteBufferTests: XCTestCase {
    /// A connection's buffer holds no storage until its first byte, and gives it back when emptied:
    /// idle connections cost no buffer memory, and the next buffer reuses the same block.
    func testAPooledBufferHoldsStorageOnlyWhileItHasBytes() {
        let pool = BufferPool(bufferCapacity: 64)
        let buffer = ByteBuffer(lendingFrom: pool)
        XCTAssertFalse(buffer.hasStorage)
        XCTAssertEqual(buffer.writableCount, 0)
        XCTAssertTrue(buffer.isEmpty)

        buffer.append("hello" as StaticString)
        XCTAssertTrue(buffer.hasStorage)
        XCTAssertEqual(buffer.capacity, 64)
        XCTAssertEqual(Array(buffer.readableBytes), Array("hello".utf8))
        let block = buffer.storage

        buffer.releaseStorage()
        XCTAssertFalse(buffer.hasStorage)
        XCTAssertTrue(buffer.isEmpty)
        XCTAssertEqual(buffer.readableCount, 0)

        let other = ByteBuffer(lendingFrom: pool)
        other.attachStorage()
        XCTAssertEqual(other.storage, block, "the block given back is lent again")
        XCTAssertEqual(other.writableCount, 64)
        XCTAssertTrue(other.isEmpty, "a lent block starts empty, whatever it held before")
    }

    /// A buffer grows past the pool's size for one large response; that storage goes back to
    /// malloc, not to the pool, so one big answer does not pin memory.
    func testStorageThatGrewIsNotPooled() {
        let pool = BufferPool(bufferCapacity: 16)
        let buffer = ByteBuffer(lendingFrom: pool)
        buffer.append(Array(repeating: UInt8(ascii: "x"), count: 100))
        XCTAssertGreaterThanOrEqual(buffer.capacity, 100)
        XCTAssertEqual(buffer.readableCount, 100)
        let grown = buffer.storage
        buffer.releaseStorage()

        let next = ByteBuffer(lendingFrom: pool)
        next.attachStorage()
        XCTAssertEqual(next.capacity, 16)
        XCTAssertNotEqual(next.storage, grown)
    }

    /// Attaching twice keeps the bytes already there; releasing twice is harmless.
    func testAttachAndReleaseAreIdempotent() {
        let pool = BufferPool(bufferCapacity: 32)
        let buffer = ByteBuffer(lendingFrom: pool)
        buffer.append(byte: 7)
        buffer.attachStorage()
        XCTAssertEqual(Array(buffer.readableBytes), [7])
        buffer.releaseStorage()
        buffer.releaseStorage()
        XCTAssertFalse(buffer.hasStorage)
    }

    /// A buffer made with a capacity lends from a pool of its own: it starts with storage and,
    /// emptied, takes the same block again.
    func testABufferWithItsOwnPoolKeepsItsBlock() {
        let buffer = ByteBuffer(capacity: 8)
        XCTAssertTrue(buffer.hasStorage)
        XCTAssertEqual(buffer.writableCount, 8)
        buffer.append("abc" as StaticString)
        let storage = buffer.storage
        buffer.releaseStorage()
        XCTAssertTrue(buffer.isEmpty)
        buffer.append(byte: 1)
        XCTAssertEqual(buffer.storage, storage)
        XCTAssertEqual(Array(buffer.readableBytes), [1])
    }

    /// Pieces of every length from none to 80 bytes land exactly where they belong, one after another
    /// at every alignment, and nothing past the end of each is written: the free bytes after it still
    /// hold what was there.
    func testAppendedPiecesOfEveryLengthLandExactly() {
        let buffer = ByteBuffer(capacity: 8192)
        var expected: [UInt8] = []
        for length in 0...80 {
            let free = buffer.writableBytes
            free.initializeMemory(as: UInt8.self, repeating: 0xEE)
            let piece = (0..<length).map { UInt8(truncatingIfNeeded: 31 &* length &+ $0) }
            piece.withUnsafeBytes { buffer.append($0) }
            expected += piece
            XCTAssertEqual(Array(buffer.readableBytes), expected, "length \(length)")
            XCTAssertEqual(Array(buffer.writableBytes.prefix(16)), Array(repeating: 0xEE, count: 16), "length \(length)")
        }
    }
}
