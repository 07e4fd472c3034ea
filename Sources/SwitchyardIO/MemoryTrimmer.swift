import CLinux
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Gives the heap back to the kernel after a burst (API.md §2: after a flood, RSS returns to
/// within 25 % of its level at rest).
///
/// glibc's malloc keeps freed memory in its arenas, one per thread that allocated; the loops'
/// arenas only shrink from their top, so a flood's buffers, bodies and answers stay resident long
/// after they are freed. A thread of its own looks every `interval` and, when the arenas hold more
/// than `threshold` free bytes, calls `malloc_trim(0)`, which returns every free page. It runs off
/// the loops: a trim takes each arena's lock for a moment, which a loop may wait on, but the loops
/// never do the walk themselves.
public final class MemoryTrimmer: Sendable {
    public let intervalSeconds: UInt32
    public let thresholdBytes: Int
    private let stopped = Atomic<Bool>(false)
    private let trims = Atomic<Int>(0)

    public init(intervalSeconds: UInt32 = 10, thresholdBytes: Int = 4 * 1_048_576) {
        self.intervalSeconds = intervalSeconds
        self.thresholdBytes = thresholdBytes
    }

    /// How many times the heap was trimmed.
    public var trimCount: Int { trims.load(ordering: .relaxed) }

    /// Starts the trimming thread (detached; it ends within one interval of `stop()`).
    public func start() {
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let trimmer = Unmanaged<MemoryTrimmer>.fromOpaque(raw!).takeRetainedValue()
            _ = switchyard_set_thread_name("switchyard-trim")
            trimmer.run()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release() // no trimming is a slower return of memory, not a reason to stop serving
            return
        }
        pthread_detach(thread)
    }

    public func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    private func run() {
        while !stopped.load(ordering: .relaxed) {
            sleep(intervalSeconds)
            if switchyard_malloc_free_bytes() > thresholdBytes {
                _ = switchyard_malloc_trim()
                trims.add(1, ordering: .relaxed)
            }
        }
    }
}
