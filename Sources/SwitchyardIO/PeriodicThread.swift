import CLinux
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own that does blocking housekeeping every interval (giving memory back,
/// resolving names again), so that no event loop ever waits on it.
///
/// It sleeps in steps of at most 100 ms, so `stop()` takes effect within one step and a stopped
/// gateway does not wait an interval to exit. The thread is detached: nothing joins it.
public final class PeriodicThread: Sendable {
    public let name: String
    public let intervalSeconds: Double
    private let stopped = Atomic<Bool>(false)

    /// `name` shows in `top -H` and `perf` (at most 15 bytes).
    public init(name: String, intervalSeconds: Double) {
        precondition(intervalSeconds > 0, "a periodic thread needs a positive interval")
        self.name = name
        self.intervalSeconds = intervalSeconds
    }

    /// Starts the thread running `work` every interval, the first time one interval from now.
    /// Returns false when the system refused a thread, which the caller may log: housekeeping
    /// missing is a degraded gateway, not a reason to stop serving. Call it once.
    @discardableResult
    public func start(_ work: @escaping @Sendable () -> Void) -> Bool {
        let box = Unmanaged.passRetained(Run(periodic: self, work: work))
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let run = Unmanaged<Run>.fromOpaque(raw!).takeRetainedValue()
            _ = switchyard_set_thread_name(run.periodic.name)
            run.periodic.run(run.work)
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    public func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    /// What the new thread needs, in one reference for `pthread_create`'s one argument.
    private final class Run: Sendable {
        let periodic: PeriodicThread
        let work: @Sendable () -> Void

        init(periodic: PeriodicThread, work: @escaping @Sendable () -> Void) {
            self.periodic = periodic
            self.work = work
        }
    }

    private func run(_ work: @Sendable () -> Void) {
        let step = MonotonicClock.nanoseconds(seconds: min(intervalSeconds, 0.1))
        let interval = MonotonicClock.nanoseconds(seconds: intervalSeconds)
        var next = MonotonicClock.now() + interval
        while !stopped.load(ordering: .relaxed) {
            let now = MonotonicClock.now()
            if now >= next {
                work()
                next = MonotonicClock.now() + interval
            } else {
                usleep(UInt32(min(step, next - now) / 1_000))
            }
        }
    }
}
