import Synchronization
import XCTest
@testable import Switchyard

/// The breaker's states and transitions (API.md §7) on a clock the test moves.
final class CircuitBreakerTests: XCTestCase {
    private let second: UInt64 = 1_000_000_000
    private let start: UInt64 = 5_000 * 1_000_000_000

    /// What the breaker logged.
    private final class Log: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    private func breaker(_ configure: (inout CircuitBreakerSettings) -> Void = { _ in }, loops: Int = 1,
                         log: Log? = nil) -> CircuitBreaker {
        var settings = CircuitBreakerSettings()
        settings.minimumCalls = 4
        settings.failureRatio = 0.5
        settings.windowSeconds = 10
        settings.openSeconds = 30
        configure(&settings)
        return CircuitBreaker(tenant: "acme", settings: settings, loopCount: loops, probeTimeoutSeconds: 5) { line in
            log?.lines.withLock { $0.append(line) }
        }
    }

    func testOpensWhenEnoughCallsFailThenRefusesWithTheSecondsLeft() {
        let log = Log()
        let circuit = breaker(log: log)
        // Two failures of two calls: too few calls to judge.
        circuit.record(failed: true, loop: 0, now: start)
        circuit.record(failed: true, loop: 0, now: start)
        XCTAssertEqual(circuit.currentState, CircuitBreaker.State.closed)
        // Two successes, then a failure: 3 of 5 failed, at least 4 calls: open.
        circuit.record(failed: false, loop: 0, now: start + second)
        circuit.record(failed: false, loop: 0, now: start + second)
        XCTAssertEqual(circuit.currentState, CircuitBreaker.State.closed, "successes never open it")
        circuit.record(failed: true, loop: 0, now: start + 2 * second)
        XCTAssertEqual(circuit.currentState, CircuitBreaker.State.open)
        XCTAssertEqual(circuit.admit(now: start + 2 * second), CircuitBreaker.Admission.refuse(retryAfterSeconds: 30))
        XCTAssertEqual(circuit.admit(now: start + 12 * second + 1), CircuitBreaker.Admission.refuse(retryAfterSeconds: 20))
        XCTAssertEqual(log.all, ["circuit of tenant acme open for 30.0 s: 3 of the last 5 calls failed"])
    }

    func testBelowTheRatioStaysClosed() {
        let circuit = breaker()
        for index in 0..<10 { circuit.record(failed: index >= 6, loop: 0, now: start) }
        XCTAssertEqual(circuit.currentState, CircuitBreaker.State.closed, "4 of 10 is under half")
        XCTAssertEqual(circuit.admit(now: start), CircuitBreaker.Admission.go)
    }

    func testCallsOutsideTheWindowDoNotCount() {
        let circuit = breaker()
        for _ in 0..<3 { circuit.record(failed: true, loop: 0, now: start) }
        // Eleven seconds later those three are out of the 10-second window.
        circuit.record(failed: true, loop: 0, now: start + 11 * second)
        XCTAssertEqual(circuit.currentState, CircuitBreaker.State.closed)
        for _ in 0..<3 { circuit.record(failed: true, loop: 0, now: start + 12 * second) }
        XCTAssertEqual(circuit.currentState, CircuitBreaker.State.open)
    }

    func testEveryLoopsCallsCountTogether() {
        let circuit = breaker(loops: 2)
        circuit.record(failed: true, loop: 0, now: start)
        circuit.record(failed: true, loop: 1, now: start)
        circuit.record(failed: true, loop: 0, now: start)
        XCTAssertEqual(circuit.currentState, CircuitBreaker.State.closed)
        circuit.record(failed: true, loop: 1, now: start)
        XCTAssertEqual(circuit.currentState, CircuitBreaker.State.open, "four failures, two on each loop")
    }

    func testOneProbeWhenTheOpenTimeIsOverAndItsOutcomeDecides() {
        let log = Log()
        let circuit = breaker(log: log)
        for _ in 0..<4 { circuit.record(failed: true, loop: 0, now: start) }
        let over = start + 30 * second
        XCTAssertEqual(circuit.admit(now: over), CircuitBreaker.Admission.go, "the probe")
        XCTAssertEqual(circuit.currentState, CircuitBreaker.State.halfOpen)
        XCTAssertEqual(circuit.admit(now: over), CircuitBreaker.Admission.refuse(retryAfterSeconds: 1), "one probe at a time")
        // The probe fails: open again, for another openSeconds.
        circuit.record(failed: true, loop: 0, now: over + second)
        XCTAssertEqual(circuit.currentState, CircuitBreaker.State.open)
        XCTAssertEqual(circuit.admit(now: over + 2 * second), CircuitBreaker.Admission.refuse(retryAfterSeconds: 29))
        // The next probe succeeds: closed, and the old failures no longer count.
        let later = over + 31 * second
        XCTAssertEqual(circuit.admit(now: later), CircuitBreaker.Admission.go)
        circuit.record(failed: false, loop: 0, now: later)
        XCTAssertEqual(circuit.currentState, CircuitBreaker.State.closed)
        circuit.record(failed: true, loop: 0, now: later + second)
        XCTAssertEqual(circuit.currentState, CircuitBreaker.State.closed, "the window started afresh when it closed")
        XCTAssertEqual(log.all, [
            "circuit of tenant acme open for 30.0 s: 4 of the last 4 calls failed",
            "circuit of tenant acme half-open: one probe call goes to the vendor",
            "circuit of tenant acme open for 30.0 s: the probe call failed",
            "circuit of tenant acme half-open: one probe call goes to the vendor",
            "circuit of tenant acme closed: the probe call succeeded",
        ])
    }

    /// A probe whose outcome never comes (its token fetch failed, so no vendor call went) does not
    /// leave the circuit half-open for ever: after the probe timeout another call probes.
    func testALostProbeIsReplaced() {
        let circuit = breaker()
        for _ in 0..<4 { circuit.record(failed: true, loop: 0, now: start) }
        let over = start + 30 * second
        XCTAssertEqual(circuit.admit(now: over), CircuitBreaker.Admission.go)
        XCTAssertEqual(circuit.admit(now: over + 4 * second), CircuitBreaker.Admission.refuse(retryAfterSeconds: 1))
        XCTAssertEqual(circuit.admit(now: over + 6 * second), CircuitBreaker.Admission.go, "5 s probe timeout")
    }

    /// Each loop counts into a window of its own, one bucket a second, reused when its second comes
    /// round again; the counts of the seconds asked for are summed over the loops.
    func testEachLoopCountsBySecondAndABucketIsReusedWhenItsSecondComesRound() {
        let circuit = breaker({ $0.windowSeconds = 2 }, loops: 3)
        for loop in 0..<3 { circuit.record(failed: loop == 0, loop: loop, now: 7 * second) }
        XCTAssertTrue(circuit.counts(from: 7, through: 7) == (3, 1))
        circuit.record(failed: false, loop: 1, now: 8 * second)
        XCTAssertTrue(circuit.counts(from: 7, through: 8) == (4, 1))
        circuit.record(failed: false, loop: 2, now: 9 * second)
        XCTAssertTrue(circuit.counts(from: 7, through: 7) == (2, 1), "loop 2's bucket for second 7 now holds second 9")
        XCTAssertTrue(circuit.counts(from: 9, through: 9) == (1, 0))
    }

    /// A bucket's counts stop at their 20 bits' largest value rather than wrapping to zero.
    func testCountsSaturateInsteadOfWrapping() {
        let circuit = breaker({ $0.windowSeconds = 1 })
        let most = (1 << 20) - 1
        for _ in 0..<(most + 3) { circuit.record(failed: false, loop: 0, now: 7 * second) }
        XCTAssertTrue(circuit.counts(from: 7, through: 7) == (most, 0))
    }
}
