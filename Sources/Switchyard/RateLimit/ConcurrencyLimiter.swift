import SwitchyardIO
import Synchronization

/// The in-memory `vendorConcurrency` (API.md §7): per tenant, the calls in flight to its vendor account
/// from this process, and the calls waiting for a slot, in arrival order. The store itself with
/// `rateLimit.store: memory`, the fallback for `onStoreFailure: local` with Redis.
///
/// A tenant's count and queue live under its own lock, held only to count or to take a waiter; a
/// waiting call's completion stays on its own loop (`waiting[loop]`, touched only there). A release
/// hands its slot straight to the first waiter (the count does not move) and wakes it on its loop
/// with `execute`, so a slot is never free while someone waits and never given twice. A waiter's
/// timeout and its grant race for its place in the queue under the lock: whichever takes it decides.
///
/// `@unchecked Sendable`: `slots`' states are under their mutexes; `waiting[i]` is used on loop `i` only.
final class ConcurrencyLimiter: @unchecked Sendable {
    enum Outcome {
        /// A slot is held: `release(_:)` it when the call is over.
        case granted
        /// Every slot taken and no wait allowed, the queue full, or the wait ran out.
        case refused
    }

    private struct Ticket: Equatable {
        var loop: Int
        var id: UInt64
    }

    private struct Waiter {
        var completion: (Outcome) -> Void
        var timeout: Registration?
    }

    private final class Slot: Sendable {
        struct State {
            var inUse = 0
            var queue: [Ticket] = []
        }
        let policy: ConcurrencyPolicy
        let state = Mutex(State())
        init(policy: ConcurrencyPolicy) { self.policy = policy }
    }

    private let slots: [String: Slot]
    private var waiting: [[UInt64: Waiter]]
    private var nextTicket: [UInt64]

    init(policies: [String: ConcurrencyPolicy], loopCount: Int) {
        slots = policies.mapValues(Slot.init)
        waiting = Array(repeating: [:], count: loopCount)
        nextTicket = Array(repeating: 0, count: loopCount)
    }

    /// A slot for a call of `tenant` on `loop`: `completion` runs on `loop`, at once when a slot is
    /// free or none may be waited for, else when a release hands one over or `maxWait` (nanoseconds)
    /// ran out. A tenant without a policy is always granted.
    func acquire(tenant: String, on loop: EventLoop, maxWait: UInt64, completion: @escaping (Outcome) -> Void) {
        guard let slot = slots[tenant] else { return completion(.granted) }
        let ticket = Ticket(loop: loop.index, id: nextTicket[loop.index])
        enum Next { case granted, refused, queued }
        let next: Next = slot.state.withLock { state in
            if state.inUse < slot.policy.limit, state.queue.isEmpty {
                state.inUse += 1
                return .granted
            }
            guard maxWait > 0, state.queue.count < slot.policy.maxQueue else { return .refused }
            state.queue.append(ticket)
            return .queued
        }
        switch next {
        case .granted: return completion(.granted)
        case .refused: return completion(.refused)
        case .queued: break
        }
        nextTicket[loop.index] &+= 1
        // The wheel's 100 ms tick may give up a little late, never early.
        let timeout = loop.schedule(afterSeconds: Double(maxWait) / 1e9) { [self] in giveUp(tenant: tenant, ticket) }
        waiting[loop.index][ticket.id] = Waiter(completion: completion, timeout: timeout)
    }

    /// Gives back a slot of `tenant` (from any loop): to the first waiter if there is one.
    func release(tenant: String, loops: [EventLoop]) {
        guard let slot = slots[tenant] else { return }
        let next: Ticket? = slot.state.withLock { state in
            if state.queue.isEmpty {
                precondition(state.inUse > 0, "a vendorConcurrency slot released twice")
                state.inUse -= 1
                return nil
            }
            return state.queue.removeFirst()
        }
        guard let next else { return }
        loops[next.loop].execute { [self] loop in grant(tenant: tenant, next, on: loop, loops: loops) }
    }

    /// The calls of `tenant` in flight and waiting, for tests and diagnostics.
    func usage(tenant: String) -> (inUse: Int, waiting: Int) {
        slots[tenant]?.state.withLock { ($0.inUse, $0.queue.count) } ?? (0, 0)
    }

    private func grant(tenant: String, _ ticket: Ticket, on loop: EventLoop, loops: [EventLoop]) {
        guard let waiter = waiting[ticket.loop].removeValue(forKey: ticket.id) else {
            preconditionFailure("a vendorConcurrency waiter left the queue without its completion")
        }
        if let timeout = waiter.timeout { loop.cancel(timeout) }
        waiter.completion(.granted)
    }

    private func giveUp(tenant: String, _ ticket: Ticket) {
        guard let slot = slots[tenant] else { return }
        let removed = slot.state.withLock { state in
            guard let index = state.queue.firstIndex(of: ticket) else { return false }
            state.queue.remove(at: index)
            return true
        }
        // Not in the queue: a release took it, and its grant is on the way.
        guard removed, let waiter = waiting[ticket.loop].removeValue(forKey: ticket.id) else { return }
        waiter.completion(.refused)
    }
}
