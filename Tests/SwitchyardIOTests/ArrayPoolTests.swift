import SwitchyardIO
import XCTest

final class ArrayPoolTests: XCTestCase {
    private func address(_ bytes: [UInt8]) -> UnsafeRawPointer? {
        bytes.withUnsafeBytes { $0.baseAddress }
    }

    /// An array given back is taken again empty, in the same storage: the next body costs no allocation.
    func testAnArrayGivenBackIsTakenAgainEmptyInItsStorage() {
        let pool = ArrayPool<UInt8>(maxFree: 4, maxCapacity: 64 * 1024)
        var body = pool.take(capacity: 512)
        XCTAssertTrue(body.isEmpty)
        XCTAssertGreaterThanOrEqual(body.capacity, 512)
        body.append(contentsOf: Array("{\"id\":\"iccid:8988216716970004975\"}".utf8))
        let storage = address(body)
        pool.give(body)
        body = []
        let again = pool.take(capacity: 256)
        XCTAssertTrue(again.isEmpty)
        XCTAssertEqual(address(again), storage)
    }

    /// An array moved in leaves its giver empty, holding no storage, and is taken again in its
    /// storage; one whose copy is still held elsewhere is not written over under that holder; one
    /// too large, or without storage, is let go and the giver is left empty all the same.
    func testAnArrayMovedInLeavesItsGiverEmptyAndIsTakenAgainInItsStorage() {
        let pool = ArrayPool<UInt8>(maxFree: 4, maxCapacity: 1024)
        var body = pool.take(capacity: 512)
        body.append(contentsOf: [1, 2, 3])
        let storage = address(body)
        pool.give(moving: &body)
        XCTAssertTrue(body.isEmpty)
        XCTAssertEqual(body.capacity, 0, "the giver holds no storage after the move")
        XCTAssertEqual(pool.count, 1)
        XCTAssertEqual(address(pool.take(capacity: 256)), storage)

        var kept = pool.take(capacity: 64)
        kept.append(contentsOf: [4, 5])
        let holder = kept
        pool.give(moving: &kept)
        var taken = pool.take(capacity: 64)
        taken.append(9)
        XCTAssertEqual(holder, [4, 5])
        XCTAssertEqual(taken, [9])

        var large = [UInt8](repeating: 7, count: 4096)
        pool.give(moving: &large)
        XCTAssertTrue(large.isEmpty)
        var none: [UInt8] = []
        pool.give(moving: &none)
        XCTAssertEqual(pool.count, 0, "neither the large array nor an empty one without storage is kept")
    }

    /// An array someone still holds when it is taken (an answer kept for repeats) is not written over.
    func testAnArrayStillHeldIsNotWrittenOver() {
        let pool = ArrayPool<UInt8>(maxFree: 4, maxCapacity: 64 * 1024)
        var body = pool.take(capacity: 64)
        body.append(contentsOf: [1, 2, 3])
        pool.give(body)
        var taken = pool.take(capacity: 64)
        taken.append(contentsOf: [9, 9])
        XCTAssertEqual(body, [1, 2, 3])
        XCTAssertEqual(taken, [9, 9])
    }

    /// The pool keeps a few arrays, none large: a flood of big answers goes back to malloc.
    func testThePoolIsBoundedInCountAndSize() {
        let pool = ArrayPool<UInt8>(maxFree: 2, maxCapacity: 1024)
        var large = [UInt8]()
        large.reserveCapacity(4096)
        large.append(1)
        pool.give(large)
        XCTAssertNotEqual(address(pool.take(capacity: 16)), address(large), "larger than maxCapacity: not kept")
        var arrays = (0..<3).map { index -> [UInt8] in
            var bytes = pool.take(capacity: 100)
            bytes.append(UInt8(index))
            return bytes
        }
        let given = Set(arrays.map { address($0) })
        for bytes in arrays { pool.give(bytes) }
        arrays = []
        let taken = [pool.take(capacity: 1), pool.take(capacity: 1), pool.take(capacity: 1)]
        XCTAssertEqual(Set(taken.map { address($0) }).intersection(given).count, 2, "two kept, the third let go")
    }

    /// A few elements (a header list, a document's members) are let go one by one and many at
    /// once: either way the array comes back empty in its storage, and what its elements held is
    /// released, not kept alive by the pool. A list recycled by its only holder lets them go at
    /// once, not when it is taken again (a list of results must not keep the documents that went
    /// back to a pool of their own).
    func testElementsAreReleasedWhetherFewOrMany() {
        final class Held {}
        for recycled in [false, true] {
            for count in [1, 3, 16, 17, 200] {
                let pool = ArrayPool<(name: String, value: Held)>(maxFree: 2, maxCapacity: 1024)
                weak var watched: Held?
                var list = pool.take(capacity: count)
                do {
                    let held = Held()
                    watched = held
                    for index in 0..<count { list.append(("name-\(index)-long-enough-to-be-on-the-heap", held)) }
                }
                let storage = list.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
                if recycled {
                    pool.recycle(&list)
                    XCTAssertTrue(list.isEmpty, "\(count)")
                    XCTAssertNil(watched, "\(count): recycled, yet an element is still held")
                } else {
                    pool.give(list)
                }
                list = []
                let again = pool.take(capacity: 1)
                XCTAssertTrue(again.isEmpty, "\(count)")
                XCTAssertEqual(again.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }, storage, "\(count)")
                XCTAssertNil(watched, "\(count): the pool still holds an element")
            }
        }
    }

    /// A list recycled while something else holds it is left as its holder sees it.
    func testARecycledListStillHeldIsNotEmptiedUnderItsHolder() {
        let pool = ArrayPool<Int>(maxFree: 2, maxCapacity: 1024)
        var list = pool.take(capacity: 4)
        list.append(contentsOf: [1, 2, 3])
        let holder = list
        pool.recycle(&list)
        XCTAssertEqual(holder, [1, 2, 3])
        XCTAssertTrue(list.isEmpty)
    }

    /// What a pool holds goes with it (a loop's pools at its end), and a pool that keeps none keeps
    /// none: every array given is let go at once.
    func testAPoolLetsGoOfWhatItHoldsWhenItGoes() {
        final class Held {}
        weak var watched: Held?
        do {
            let pool = ArrayPool<Held>(maxFree: 2, maxCapacity: 16)
            let none = ArrayPool<Held>(maxFree: 0, maxCapacity: 16)
            do {
                let held = Held()
                watched = held
                var list: [Held] = []
                list.reserveCapacity(4)
                list.append(held)
                none.give(list)
                XCTAssertEqual(none.count, 0)
                pool.give(list)
                XCTAssertEqual(pool.count, 1)
            }
            XCTAssertNotNil(watched, "the pool holds the array, and the array its element")
        }
        XCTAssertNil(watched, "the pool is gone, and with it what it held")
    }
}
