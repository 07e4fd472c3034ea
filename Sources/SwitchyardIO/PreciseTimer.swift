import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// A one-shot kernel timer (`timerfd`) on a loop, for deadlines finer than the wheel's 100 ms
/// ticks: a Redis command's few milliseconds. It is armed for the earliest instant its owner must
/// look; arming later than an armed instant is a no-op, so owners re-arm freely.
///
/// The wheel stays the tool for connection deadlines (seconds, moved on every request, costing a
/// store); this costs one `timerfd_settime` per arming and one fd per owner.
public final class PreciseTimer: EventHandler {
    public let fd: Int32
    private unowned(unsafe) let loop: EventLoop
    private var registration: Registration?
    /// The monotonic instant the timer is armed for; 0 when disarmed.
    public private(set) var armedAt: UInt64 = 0
    private let fire: () -> Void

    /// `fire` runs on `loop` when the armed instant passes.
    public init(loop: EventLoop, fire: @escaping () -> Void) throws {
        let fd = switchyard_timerfd_create()
        guard fd >= 0 else { throw IOError("timerfd_create") }
        self.fd = fd
        self.loop = loop
        self.fire = fire
        do {
            registration = try loop.register(fd: fd, events: [.readable, .edgeTriggered], handler: self)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    /// Makes sure the timer fires at `instant` (monotonic nanoseconds) or earlier.
    public func arm(at instant: UInt64) {
        guard registration != nil else { return }
        if armedAt != 0 && armedAt <= instant { return }
        let instant = max(instant, 1) // 0 would disarm
        _ = switchyard_timerfd_arm(fd, instant)
        armedAt = instant
    }

    public func handleEvents(_ events: EpollEvents) {
        var expirations: UInt64 = 0
        _ = Glibc.read(fd, &expirations, 8)
        armedAt = 0
        fire()
    }

    public func handleDeadline() {}

    public func close() {
        guard let registration else { return }
        loop.deregister(registration)
        self.registration = nil
        Glibc.close(fd)
    }
}
