import SwitchyardIO

/// Vendor calls admitted for later (a vendor quota's wait, API.md §7): each runs on this loop at its
/// instant, to the millisecond. A `PreciseTimer` rather than the wheel, whose 100 ms ticks would
/// bunch up calls the quota spaced out.
///
/// Bounded without a bound of its own: the quota admits for later only a call whose slot comes
/// within its wait, one emission interval after the last, so a tenant has at most
/// `maxWaitSeconds / interval + 1` calls here (and a bulk update as many as its deadline allows).
final class DelayedCalls {
    private struct Entry {
        var due: UInt64
        var body: () -> Void
    }

    /// Sorted by `due`; equal instants keep their arrival order.
    private var entries: [Entry] = []
    /// Strong like `GatewayLoop.loop`.
    private let loop: EventLoop
    private var timer: PreciseTimer!

    /// Registers the timer with `loop`; before its thread starts, or on it.
    init(loop: EventLoop) throws {
        self.loop = loop
        timer = try PreciseTimer(loop: loop) { [unowned self] in self.fire() }
    }

    /// Runs `body` on the loop `delay` nanoseconds from now.
    func run(after delay: UInt64, _ body: @escaping () -> Void) {
        loop.assertCurrent()
        let due = loop.now &+ delay
        let index = entries.partitioningIndex { $0.due > due }
        entries.insert(Entry(due: due, body: body), at: index)
        timer.arm(at: entries[0].due)
    }

    /// Closes the timer; calls still waiting never run (for shutdown, when the loop stops).
    func close() {
        timer.close()
        entries.removeAll()
    }

    private func fire() {
        let now = MonotonicClock.now()
        let due = entries.prefix { $0.due <= now }
        entries.removeFirst(due.count)
        if let next = entries.first { timer.arm(at: next.due) }
        for entry in due { entry.body() }
    }
}

extension Array {
    /// The first index whose element satisfies `belongsAfter`, for a predicate that is false then
    /// true along the array (binary search).
    fileprivate func partitioningIndex(where belongsAfter: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if belongsAfter(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
