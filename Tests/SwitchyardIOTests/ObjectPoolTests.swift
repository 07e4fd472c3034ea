import SwitchyardIO
import XCTest

final class ObjectPoolTests: XCTestCase {
    private final class Thing {
        var mark = 0
    }

    /// An object given back and held by nothing else is the next one taken.
    func testAnObjectNothingHoldsIsTakenAgain() {
        let pool = ObjectPool<Thing>(maxFree: 4)
        XCTAssertNil(pool.take())
        func finished() -> ObjectIdentifier {
            let thing = Thing()
            pool.give(thing)
            return ObjectIdentifier(thing)
        }
        let given = finished()
        let taken = pool.take()
        XCTAssertEqual(taken.map(ObjectIdentifier.init), given)
        XCTAssertEqual(pool.count, 0)
    }

    /// One still held when its turn comes (a mirror still reading a request) is never handed out:
    /// it leaves the pool and stays its holder's.
    func testAnObjectStillHeldIsNeverTakenAndLeavesThePool() {
        let pool = ObjectPool<Thing>(maxFree: 4)
        let held = Thing()
        held.mark = 7
        pool.give(held)
        XCTAssertNil(pool.take())
        XCTAssertEqual(pool.count, 0)
        XCTAssertEqual(held.mark, 7)

        func finished() -> ObjectIdentifier {
            let thing = Thing()
            pool.give(thing)
            return ObjectIdentifier(thing)
        }
        let free = finished()
        pool.give(held)
        XCTAssertEqual(pool.take().map(ObjectIdentifier.init), free, "the held one is passed over, the free one under it taken")
    }

    /// At most `maxFree` are kept: a burst of requests does not pin its objects to the loop.
    func testThePoolIsBounded() {
        let pool = ObjectPool<Thing>(maxFree: 2)
        for _ in 0..<5 { pool.give(Thing()) }
        XCTAssertEqual(pool.count, 2)
        pool.removeAll()
        XCTAssertEqual(pool.count, 0)
    }
}
