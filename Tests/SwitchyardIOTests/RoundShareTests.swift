import SwitchyardIO
import XCTest

final class RoundShareTests: XCTestCase {
    /// A round's share is taken `limit` times, refused after, and whole again in the next round,
    /// however much of it the last round used.
    func testAShareIsTakenUpToItsLimitEachRound() {
        var share = RoundShare(limit: 3)
        XCTAssertEqual((0..<5).map { _ in share.take(at: 100) }, [true, true, true, false, false])
        XCTAssertEqual((0..<4).map { _ in share.take(at: 101) }, [true, true, true, false])
        XCTAssertTrue(share.take(at: 102))
        XCTAssertEqual((0..<3).map { _ in share.take(at: 103) }, [true, true, true])
    }
}
