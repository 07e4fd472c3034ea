import SwitchyardIO
import XCTest
@testable import Switchyard

/// The in-memory `Idempotency-Key` store: the claim rules, release, expiry, and its memory bound.
final class IdempotencyStoreTests: XCTestCase {
    private let answer = IdempotentAnswer(status: 200, contentType: "application/json", body: Array(#"{"ok":true}"#.utf8))
    private let pending: UInt64 = 1_000_000_000

    func testClaimKeepReleaseFollowTheRules() {
        let store = MemoryIdempotencyStore(ttlSeconds: 60, maxBytes: 1 << 20)
        let now = MonotonicClock.now()
        XCTAssertEqual(store.claim("acme:k", fingerprint: "f1", pending: pending, now: now), .proceed)
        XCTAssertEqual(store.claim("acme:k", fingerprint: "f1", pending: pending, now: now), .inUse)
        XCTAssertEqual(store.claim("acme:k", fingerprint: "f2", pending: pending, now: now), .reused)
        XCTAssertEqual(store.claim("other:k", fingerprint: "f1", pending: pending, now: now), .proceed, "keys are the tenant's own")
        store.keep("acme:k", fingerprint: "f1", answer: answer)
        XCTAssertEqual(store.claim("acme:k", fingerprint: "f1", pending: pending, now: now), .replay(answer))
        XCTAssertEqual(store.claim("acme:k", fingerprint: "f2", pending: pending, now: now), .reused)
        // A released key (an answer that is not kept) is free again; a kept one is not released.
        store.release("other:k", fingerprint: "f1")
        XCTAssertEqual(store.claim("other:k", fingerprint: "f3", pending: pending, now: now), .proceed)
        store.release("acme:k", fingerprint: "f1")
        XCTAssertEqual(store.claim("acme:k", fingerprint: "f1", pending: pending, now: now), .replay(answer))
    }

    func testKeysExpire() {
        let store = MemoryIdempotencyStore(ttlSeconds: 1, maxBytes: 1 << 20)
        let now = MonotonicClock.now()
        XCTAssertEqual(store.claim("acme:pending", fingerprint: "f", pending: pending, now: now), .proceed)
        store.keep("acme:kept", fingerprint: "f", answer: answer)
        let later = now + 2_000_000_000
        XCTAssertEqual(store.claim("acme:pending", fingerprint: "g", pending: pending, now: later), .proceed, "a pending key left behind expires")
        XCTAssertEqual(store.claim("acme:kept", fingerprint: "g", pending: pending, now: later), .proceed, "a kept answer expires after ttlSeconds")
    }

    /// A client sending a million keys costs at most `maxBytes`: the oldest answers go first.
    func testTheOldestGoWhenTheStoreIsFull() {
        let store = MemoryIdempotencyStore(ttlSeconds: 3600, maxBytes: 64 * 1024)
        let big = IdempotentAnswer(status: 200, contentType: nil, body: Array(repeating: UInt8(ascii: "x"), count: 1000))
        for index in 0..<10_000 {
            store.keep("acme:key-\(index)", fingerprint: "f", answer: big)
        }
        XCTAssertLessThanOrEqual(store.count, 64, "about 64 KiB of 1 KB answers")
        XCTAssertGreaterThan(store.count, 50)
        let now = MonotonicClock.now()
        XCTAssertEqual(store.claim("acme:key-9999", fingerprint: "f", pending: pending, now: now), .replay(big), "the newest stays")
        XCTAssertEqual(store.claim("acme:key-0", fingerprint: "f", pending: pending, now: now), .proceed, "the oldest went")
    }
}
