import SwitchyardDevices
import SwitchyardIO
import Synchronization

/// A vendor access token shared by every loop (API.md §3, mobilefirst-push): fetched when
/// first needed, reused until shortly before it expires, one fetch in flight at a time while
/// other requests wait for it, dropped when the vendor refuses it.
///
/// The token and who is fetching live under one lock, held only to read or swap them. Waiting
/// requests stay on their own loop (`waiters[loop]`, touched only there): the loop that
/// finishes a fetch wakes the others with `execute`. A request that finds a fetch in flight
/// queues itself in the same turn of its loop, and a wake-up runs on that loop in a later
/// turn, so no waiter is ever missed.
///
/// `@unchecked Sendable`: `state` is under its mutex; `waiters[i]` is used on loop `i` only.
final class AccessTokenCache: @unchecked Sendable {
    typealias Completion = (Result<String, Problem>) -> Void

    private struct State {
        var token: String?
        /// Monotonic nanoseconds after which the token is refreshed before use.
        var refreshAt: UInt64 = 0
        var fetching = false
    }

    private let state = Mutex(State())
    private var waiters: [[Completion]]

    init(loopCount: Int) {
        waiters = Array(repeating: [], count: loopCount)
    }

    /// Refresh this long before `expires_in` runs out: 30 s, or a tenth of a short lifetime, so a
    /// token is never sent in its last moments (clocks and queues differ).
    static func refreshMargin(expiresInSeconds: Double) -> Double {
        min(30, expiresInSeconds / 10)
    }

    /// Calls `completion` on `loop` with a valid token: at once when one is cached, else after
    /// a fetch (`fetch`, started here only when no other fetch is in flight).
    func token(on loop: EventLoop, loops: [EventLoop],
               fetch: (@escaping (Result<AccessToken, Problem>) -> Void) -> Void,
               completion: @escaping Completion) {
        let now = MonotonicClock.now()
        enum Next { case use(String), wait, fetch }
        let next: Next = state.withLock { state in
            if let token = state.token, now < state.refreshAt { return .use(token) }
            if state.fetching { return .wait }
            state.fetching = true
            return .fetch
        }
        switch next {
        case .use(let token):
            completion(.success(token))
        case .wait:
            waiters[loop.index].append(completion)
        case .fetch:
            waiters[loop.index].append(completion)
            fetch { [self] result in
                let outcome: Result<String, Problem> = state.withLock { state in
                    state.fetching = false
                    switch result {
                    case .success(let token):
                        let lifetime = max(0, token.expiresInSeconds - Self.refreshMargin(expiresInSeconds: token.expiresInSeconds))
                        state.token = token.value
                        state.refreshAt = MonotonicClock.now() + MonotonicClock.nanoseconds(seconds: lifetime)
                        return .success(token.value)
                    case .failure(let problem):
                        state.token = nil
                        return .failure(problem)
                    }
                }
                for other in loops where other !== loop {
                    other.execute { [self] _ in wake(loop: other.index, with: outcome) }
                }
                wake(loop: loop.index, with: outcome)
            }
        }
    }

    /// Forgets `token` after the vendor refused it (a 401), unless a newer one replaced it.
    func invalidate(_ token: String) {
        state.withLock { state in
            if state.token == token { state.token = nil }
        }
    }

    private func wake(loop index: Int, with outcome: Result<String, Problem>) {
        let waiting = waiters[index]
        waiters[index].removeAll()
        for completion in waiting { completion(outcome) }
    }
}
