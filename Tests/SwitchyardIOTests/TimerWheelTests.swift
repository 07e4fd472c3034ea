@testable import SwitchyardIO
import Foundation
import XCTest

final class TimerWheelTests: XCTestCase {
    private let tick = TimerWheel.tickNanoseconds

    func testEntriesFireOnTheirTickAndNotBefore() {
        var wheel = TimerWheel(now: 0)
        wheel.insert(RegistrationID(slot: 1, generation: 0), tick: 3)
        wheel.insert(RegistrationID(slot: 2, generation: 0), tick: 5)
        var due: [TimerWheel.Entry] = []
        wheel.advance(now: 2 * tick + tick / 2, into: &due)
        XCTAssertEqual(due.map(\.id.slot), [])
        wheel.advance(now: 3 * tick, into: &due)
        XCTAssertEqual(due.map(\.id.slot), [1])
        due.removeAll()
        wheel.advance(now: 10 * tick, into: &due)
        XCTAssertEqual(due.map(\.id.slot), [2])
        XCTAssertEqual(wheel.count, 0)
    }

    func testEntriesBeyondOneTurnWaitForTheirTurn() {
        var wheel = TimerWheel(now: 0)
        let far = UInt64(TimerWheel.slotCount) + 7
        wheel.insert(RegistrationID(slot: 9, generation: 0), tick: far)
        var due: [TimerWheel.Entry] = []
        wheel.advance(now: 7 * tick, into: &due)
        XCTAssertTrue(due.isEmpty, "same slot, later turn")
        wheel.advance(now: far * tick, into: &due)
        XCTAssertEqual(due.map(\.id.slot), [9])
    }

    func testTimeoutBlocksWhenEmptyAndPointsAtTheEarliestEntry() {
        var wheel = TimerWheel(now: 0)
        XCTAssertEqual(wheel.timeoutMilliseconds(now: 0), -1, "an idle loop sleeps until woken")
        wheel.insert(RegistrationID(slot: 1, generation: 0), tick: 20)
        XCTAssertEqual(wheel.timeoutMilliseconds(now: 0), 2000)
        wheel.insert(RegistrationID(slot: 2, generation: 0), tick: 4)
        XCTAssertEqual(wheel.timeoutMilliseconds(now: tick), 300)
    }

    func testDeadlineNeverFiresEarly() {
        XCTAssertEqual(TimerWheel.tick(containing: 1), 1)
        XCTAssertEqual(TimerWheel.tick(containing: tick), 1)
        XCTAssertEqual(TimerWheel.tick(containing: tick + 1), 2)
    }
}

final class EventLoopTimerTests: XCTestCase {
    func testScheduledTaskRunsOnceAndCancelledOneNever() throws {
        let loop = try EventLoop(index: 0)
        let thread = loop.start(name: "test-loop")
        let fired = Counter()
        let start = MonotonicClock.now()
        loop.execute { loop in
            loop.schedule(afterSeconds: 0.2) { fired.add("a", at: MonotonicClock.now() - start) }
            let cancelled = loop.schedule(afterSeconds: 0.1) { fired.add("b", at: 0) }
            loop.cancel(cancelled)
        }
        let deadline = MonotonicClock.now() + 3_000_000_000
        while fired.names.isEmpty && MonotonicClock.now() < deadline { usleep(10_000) }
        usleep(300_000)
        loop.stop()
        thread.join()
        XCTAssertEqual(fired.names, ["a"])
        XCTAssertGreaterThanOrEqual(fired.elapsed, 200_000_000, "not before its time")
    }

    /// Timers past the loop's first 64 slots (its slot table grows twice on the way) each fire
    /// once, the cancelled ones never.
    func testTimersInSlotsBeyondTheFirstTableFireOnceAndCancelledOnesNever() throws {
        let loop = try EventLoop(index: 0)
        let thread = loop.start(name: "test-loop")
        let fired = Counter()
        loop.execute { loop in
            for number in 0..<200 {
                let timer = loop.schedule(afterSeconds: 0.1) { fired.add("\(number)", at: 1) }
                if number % 3 == 0 { loop.cancel(timer) }
            }
        }
        let expected = (0..<200).filter { $0 % 3 != 0 }.map(String.init)
        let deadline = MonotonicClock.now() + 5_000_000_000
        while fired.names.count < expected.count && MonotonicClock.now() < deadline { usleep(10_000) }
        usleep(300_000)
        loop.stop()
        thread.join()
        XCTAssertEqual(fired.names.sorted(), expected.sorted())
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var names: [String] = []
    private(set) var elapsed: UInt64 = 0
    func add(_ name: String, at elapsed: UInt64) {
        lock.lock()
        names.append(name)
        if self.elapsed == 0 { self.elapsed = elapsed }
        lock.unlock()
    }
}
