/// A hashed timing wheel of connection deadlines, one per loop.
///
/// Deadlines here are coarse (header, idle, handshake, linger, drain), so a tick of 100 ms is
/// plenty, and the wheel makes every operation O(1): keep-alive traffic moves a connection's
/// deadline on every request, which must not cost a heap operation. The loop keeps each
/// registration's current deadline; the wheel only holds "look at registration R at tick T"
/// entries, and an entry that fires early simply re-files itself (see `EventLoop.fireTimers`).
struct TimerWheel {
    struct Entry {
        var id: RegistrationID
        var tick: UInt64
    }

    static let tickNanoseconds: UInt64 = 100_000_000
    static let slotCount = 1024 // 102.4 s per turn; longer deadlines wait in their slot for more turns

    private var slots: [[Entry]] = Array(repeating: [], count: TimerWheel.slotCount)
    /// The last tick whose slot was processed.
    private(set) var currentTick: UInt64
    /// A lower bound on the earliest tick that holds an entry; `UInt64.max` when empty.
    private var earliestTick: UInt64 = .max
    private(set) var count = 0

    init(now: UInt64) {
        currentTick = now / TimerWheel.tickNanoseconds
    }

    /// The tick at or after `deadline`: a deadline never fires early.
    static func tick(containing deadline: UInt64) -> UInt64 {
        (deadline + tickNanoseconds - 1) / tickNanoseconds
    }

    mutating func insert(_ id: RegistrationID, tick: UInt64) {
        let tick = max(tick, currentTick + 1)
        slots[Int(tick % UInt64(TimerWheel.slotCount))].append(Entry(id: id, tick: tick))
        count += 1
        earliestTick = min(earliestTick, tick)
    }

    /// Milliseconds until the next entry may be due, for `epoll_wait`; -1 (block) when empty, so
    /// an idle loop sleeps until a socket or the eventfd wakes it.
    func timeoutMilliseconds(now: UInt64) -> Int32 {
        if count == 0 { return -1 }
        let due = earliestTick * TimerWheel.tickNanoseconds
        if due <= now { return 0 }
        return Int32(clamping: (due - now + 999_999) / 1_000_000)
    }

    /// Takes the entries due up to `now` into `due`, leaving later turns in place.
    mutating func advance(now: UInt64, into due: inout [Entry]) {
        let nowTick = now / TimerWheel.tickNanoseconds
        guard nowTick > currentTick else { return }
        if count == 0 || nowTick < earliestTick {
            currentTick = nowTick
            return
        }
        let steps = min(nowTick - currentTick, UInt64(TimerWheel.slotCount))
        var tick = nowTick - steps + 1
        while tick <= nowTick {
            let index = Int(tick % UInt64(TimerWheel.slotCount))
            if !slots[index].isEmpty {
                var kept = 0
                for entry in slots[index] {
                    if entry.tick <= nowTick {
                        due.append(entry)
                    } else {
                        slots[index][kept] = entry
                        kept += 1
                    }
                }
                count -= slots[index].count - kept
                slots[index].removeLast(slots[index].count - kept)
            }
            tick += 1
        }
        currentTick = nowTick
        earliestTick = findEarliest()
    }

    /// Scans one turn for the nearest non-empty slot. Runs at most once per tick that fired.
    private func findEarliest() -> UInt64 {
        if count == 0 { return .max }
        var best = UInt64.max
        for offset in 1...UInt64(TimerWheel.slotCount) {
            let tick = currentTick + offset
            let slot = slots[Int(tick % UInt64(TimerWheel.slotCount))]
            if slot.isEmpty { continue }
            for entry in slot where entry.tick < best { best = entry.tick }
            // Entries in this slot for a later turn can't beat an earlier slot of this turn,
            // but an entry for this very turn is the answer.
            if best <= tick { return best }
        }
        return best
    }
}
