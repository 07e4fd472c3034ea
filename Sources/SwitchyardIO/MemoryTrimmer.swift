import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// Gives the heap back to the kernel after a burst (API.md §2: after a flood, RSS returns to
/// within 25 % of its level at rest).
///
/// glibc's malloc keeps freed memory in its arenas, one per thread that allocated; the loops'
/// arenas only shrink from their top, so a flood's buffers, bodies and answers stay resident long
/// after they are freed. A `PeriodicThread` looks every interval and, when the arenas hold more
/// than `threshold` free bytes, calls `malloc_trim(0)`, which returns every free page. It runs off
/// the loops: a trim takes each arena's lock for a moment, which a loop may wait on, but the loops
/// never do the walk themselves.
public final class MemoryTrimmer: Sendable {
    public let thresholdBytes: Int
    private let thread: PeriodicThread

    public init(intervalSeconds: Double = 10, thresholdBytes: Int = 4 * 1_048_576) {
        self.thresholdBytes = thresholdBytes
        thread = PeriodicThread(name: "switchyard-trim", intervalSeconds: intervalSeconds)
    }

    /// Starts trimming; without a thread (the system refused one) memory returns more slowly,
    /// which is no reason to stop serving.
    public func start() {
        thread.start { [thresholdBytes] in
            if switchyard_malloc_free_bytes() > thresholdBytes { _ = switchyard_malloc_trim() }
        }
    }

    public func stop() {
        thread.stop()
    }
}
