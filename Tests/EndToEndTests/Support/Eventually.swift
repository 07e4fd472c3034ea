import Foundation
import XCTest

extension XCTestCase {
    /// Polls `condition` every 50 ms for at most `seconds`; whether it held. For a state another
    /// process reaches in its own time (a reload applied, a connection closed, memory trimmed),
    /// bounded so that a test never waits for ever.
    func eventually(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }
}
