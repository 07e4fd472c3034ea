import CLinux
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Something registered with a loop: a listener, a connection, the loop's own wake-up fd.
///
/// Called on the loop's thread only. Handlers are classes held by the loop's slot table; calls
/// go through the protocol witness (a few nanoseconds), never through a Task or a closure.
public protocol EventHandler: AnyObject {
    /// epoll reported readiness (edge-triggered: read or write until `EAGAIN`).
    func handleEvents(_ events: EpollEvents)
    /// The deadline set with `EventLoop.setDeadline` has passed.
    func handleDeadline()
}

/// Something that gave up the rest of its work to let the loop's other handlers go first
/// (`EventLoop.yield(_:)`): one connection's pipeline must not hold the loop's thread while others'
/// handshakes and requests wait.
public protocol YieldingHandler: AnyObject {
    /// The loop's next round has begun: carry on with what was left.
    func resumeAfterYield()
}

/// Identifies a handler's place in its loop, valid until `deregister`.
public struct Registration: Sendable, Equatable {
    @usableFromInline let id: RegistrationID
}

/// One event-loop thread: its own epoll fd, an eventfd for wake-ups from other threads, a timer
/// wheel for deadlines and a table of handlers.
///
/// Everything but `execute(_:)` and `stop()` must be called on the loop's own thread (debug builds
/// check it: `assertCurrent`), which is why the class is `@unchecked Sendable`: other threads only
/// ever reach it through those two, which go through a mutex and the eventfd.
public final class EventLoop: @unchecked Sendable {
    public let index: Int
    private let epollFD: Int32
    private let wakeFD: Int32

    private struct Slot {
        var handler: (any EventHandler)?
        var generation: UInt32 = 0
        /// The handler's current deadline in monotonic nanoseconds, 0 for none.
        var deadline: UInt64 = 0
        /// The tick of this slot's live wheel entry, 0 for none.
        var wheelTick: UInt64 = 0
    }

    private var slots = SlotTable<Slot>(capacity: 64)
    private var freeSlots: [UInt32] = []
    private var wheel: TimerWheel
    private var dueTimers: [TimerWheel.Entry] = []
    private let tasks = Mutex<[@Sendable (EventLoop) -> Void]>([])
    /// Handlers that yielded, to be resumed in the next round after its events; and the list being
    /// resumed in this round (the two swap, so neither is allocated again).
    private var yielded: [any YieldingHandler] = []
    private var resuming: [any YieldingHandler] = []
    private let stopRequested = Atomic<Bool>(false)
    /// The thread running the loop (`pthread_t`, an integer on Linux), 0 before `run()`: what
    /// `isCurrent` compares with.
    private let owner = Atomic<UInt>(0)
    /// The slot id that marks the eventfd in epoll data (never a real slot).
    private static let wakeToken = UInt64.max

    /// Monotonic time, read once after each `epoll_wait` so handlers share one clock reading.
    public private(set) var now: UInt64

    /// Buffers of this loop's connections, shared by all of them (see `BufferPool`).
    public let readBuffers: BufferPool
    public let writeBuffers: BufferPool
    /// Arrays for bodies and for header lists (see `ArrayPool`). A vendor call holds its request's
    /// two until it is answered, and a loop has many calls in flight whose answers come in bursts,
    /// so each pool keeps as many as a loop typically has in flight; none large (at most 1 MiB of
    /// bodies and 35 KiB of header lists a loop).
    public let byteArrays = ArrayPool<UInt8>(maxFree: 64, maxCapacity: 16 * 1024)
    public let fieldLists = ArrayPool<(name: String, value: String)>(maxFree: 64, maxCapacity: 16)

    public init(index: Int, readBufferCapacity: Int = 32 * 1024, writeBufferCapacity: Int = 16 * 1024) throws {
        self.index = index
        let epollFD = switchyard_epoll_create()
        guard epollFD >= 0 else { throw IOError("epoll_create1") }
        let wakeFD = switchyard_eventfd()
        guard wakeFD >= 0 else {
            Glibc.close(epollFD)
            throw IOError("eventfd")
        }
        guard switchyard_epoll_ctl(epollFD, switchyard_EPOLL_CTL_ADD, wakeFD, switchyard_EPOLLIN | switchyard_EPOLLET, EventLoop.wakeToken) == 0 else {
            Glibc.close(epollFD)
            Glibc.close(wakeFD)
            throw IOError("epoll_ctl(eventfd)")
        }
        self.epollFD = epollFD
        self.wakeFD = wakeFD
        self.now = MonotonicClock.now()
        self.wheel = TimerWheel(now: now)
        self.readBuffers = BufferPool(bufferCapacity: readBufferCapacity)
        self.writeBuffers = BufferPool(bufferCapacity: writeBufferCapacity)
    }

    deinit {
        Glibc.close(epollFD)
        Glibc.close(wakeFD)
    }

    // MARK: Registration

    /// Adds `fd` to epoll once, for its whole life, with `events` (usually `.stream`).
    public func register(fd: Int32, events: EpollEvents, handler: any EventHandler) throws -> Registration {
        assertCurrent()
        let id = allocateSlot(for: handler)
        guard switchyard_epoll_ctl(epollFD, switchyard_EPOLL_CTL_ADD, fd, events.rawValue, id.packed) == 0 else {
            let error = IOError("epoll_ctl(ADD)")
            release(slot: id.slot)
            throw error
        }
        return Registration(id: id)
    }

    /// A free slot (reused ones first, so the table stays as small as the peak load) holding `handler`.
    private func allocateSlot(for handler: any EventHandler) -> RegistrationID {
        let slotIndex: UInt32
        if let free = freeSlots.popLast() {
            slotIndex = free
        } else {
            slotIndex = UInt32(slots.count)
            slots.append(Slot())
        }
        slots[Int(slotIndex)].handler = handler
        return RegistrationID(slot: slotIndex, generation: slots[Int(slotIndex)].generation)
    }

    /// Forgets a handler. Call before closing its fd; closing removes the fd from epoll, and the
    /// bumped generation makes any event for it already fetched in this batch a no-op.
    public func deregister(_ registration: Registration) {
        assertCurrent()
        guard isLive(registration) else { return }
        release(slot: registration.id.slot)
    }

    private func release(slot: UInt32) {
        let index = Int(slot)
        slots[index].handler = nil
        slots[index].generation &+= 1
        slots[index].deadline = 0
        slots[index].wheelTick = 0
        freeSlots.append(slot)
    }

    @inline(__always)
    private func isLive(_ registration: Registration) -> Bool {
        let index = Int(registration.id.slot)
        return slots.contains(index) && slots[index].generation == registration.id.generation
    }

    // MARK: Deadlines

    /// Sets (or with 0 clears) the registration's one deadline. Moving a deadline later costs a
    /// store: the wheel entry already filed fires early and re-files itself.
    public func setDeadline(_ registration: Registration, at deadline: UInt64) {
        assertCurrent()
        guard isLive(registration) else { return }
        let index = Int(registration.id.slot)
        slots[index].deadline = deadline
        guard deadline != 0 else { return }
        let tick = TimerWheel.tick(containing: deadline)
        let filed = slots[index].wheelTick
        if filed != 0 && filed <= tick { return }
        wheel.insert(registration.id, tick: tick)
        slots[index].wheelTick = max(tick, wheel.currentTick + 1)
    }

    /// `seconds` from the loop's current clock reading.
    public func setDeadline(_ registration: Registration, afterSeconds seconds: Double) {
        setDeadline(registration, at: now + MonotonicClock.nanoseconds(seconds: seconds))
    }

    private func fireTimers() {
        wheel.advance(now: now, into: &dueTimers)
        guard !dueTimers.isEmpty else { return }
        for entry in dueTimers {
            let index = Int(entry.id.slot)
            guard slots.contains(index), slots[index].generation == entry.id.generation,
                  slots[index].wheelTick == entry.tick else { continue } // superseded or released
            slots[index].wheelTick = 0
            let deadline = slots[index].deadline
            if deadline == 0 { continue }
            if deadline <= now {
                slots[index].deadline = 0
                slots[index].handler?.handleDeadline()
            } else {
                let tick = TimerWheel.tick(containing: deadline)
                wheel.insert(entry.id, tick: tick)
                slots[index].wheelTick = max(tick, wheel.currentTick + 1)
            }
        }
        dueTimers.removeAll(keepingCapacity: true)
    }

    // MARK: One-off timers

    /// Runs `body` on this loop after `seconds` (to the wheel's 100 ms tick), unless cancelled
    /// first. For work off the request path (a delayed answer, a retry, a refresh): a request's
    /// own deadlines are its connection's single deadline, which costs no allocation.
    @discardableResult
    public func schedule(afterSeconds seconds: Double, _ body: @escaping () -> Void) -> Registration {
        assertCurrent()
        let timer = OneOffTimer(body: body)
        let registration = Registration(id: allocateSlot(for: timer))
        timer.release = { [unowned self] in self.deregister(registration) }
        setDeadline(registration, afterSeconds: seconds)
        return registration
    }

    /// Cancels a timer from `schedule`; a no-op once it ran.
    public func cancel(_ timer: Registration) {
        assertCurrent()
        deregister(timer)
    }

    // MARK: Taking turns

    /// Resumes `handler` in the loop's next round, after the events that came meanwhile (the next
    /// `epoll_wait` does not wait).
    public func yield(_ handler: any YieldingHandler) {
        assertCurrent()
        yielded.append(handler)
    }

    /// Resumes the handlers that yielded before this round's `epoll_wait`; those that yield now
    /// wait for the next round.
    private func resumeYielded() {
        guard !resuming.isEmpty else { return }
        for handler in resuming { handler.resumeAfterYield() }
        resuming.removeAll(keepingCapacity: true)
    }

    // MARK: Cross-thread

    /// Runs `task` on this loop's thread soon. The only way other threads touch a loop.
    public func execute(_ task: @escaping @Sendable (EventLoop) -> Void) {
        tasks.withLock { $0.append(task) }
        wakeUp()
    }

    /// Makes `run()` return after the current iteration.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        wakeUp()
    }

    private func wakeUp() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    private func runTasks() {
        var drained: UInt64 = 0
        _ = Glibc.read(wakeFD, &drained, 8)
        let batch = tasks.withLock { tasks -> [@Sendable (EventLoop) -> Void] in
            let batch = tasks
            tasks.removeAll()
            return batch
        }
        for task in batch { task(self) }
    }

    // MARK: The loop

    /// Whether the caller may touch what belongs to this loop: it runs on the loop's thread, or the
    /// loop is not running (everything is built on one thread before the loops run, and a stopped
    /// loop's state belongs to whoever stopped it).
    public var isCurrent: Bool {
        let thread = owner.load(ordering: .acquiring)
        return thread == 0 || pthread_equal(pthread_t(thread), pthread_self()) != 0
    }

    /// Stops a debug build where loop-confined state is touched from another thread.
    @inline(__always)
    public func assertCurrent(file: StaticString = #fileID, line: UInt = #line) {
        assert(isCurrent, "touched off loop \(index)'s thread", file: file, line: line)
    }

    /// Runs on the calling thread until `stop()`.
    public func run() {
        owner.store(UInt(pthread_self()), ordering: .releasing)
        // A stopped loop's state goes back to whoever joins it (shutdown, a test's tear-down).
        defer { owner.store(0, ordering: .releasing) }
        let capacity = 512
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        while !stopRequested.load(ordering: .acquiring) {
            let timeout = yielded.isEmpty ? wheel.timeoutMilliseconds(now: MonotonicClock.now()) : 0
            let count = switchyard_epoll_wait(epollFD, events, Int32(capacity), timeout)
            now = MonotonicClock.now()
            if count < 0 {
                if errno == EINTR { continue }
                fatalError("\(IOError("epoll_wait"))") // only EBADF/EFAULT/EINVAL: a bug
            }
            if !yielded.isEmpty { swap(&yielded, &resuming) }
            var wake = false
            for i in 0..<Int(count) {
                let data = switchyard_epoll_event_data(events + i)
                if data == EventLoop.wakeToken {
                    wake = true
                    continue
                }
                let id = RegistrationID(packed: data)
                let index = Int(id.slot)
                guard slots.contains(index), slots[index].generation == id.generation,
                      let handler = slots[index].handler else { continue } // stale: fd reused
                handler.handleEvents(EpollEvents(rawValue: switchyard_epoll_event_events(events + i)))
            }
            if wake { runTasks() }
            fireTimers()
            resumeYielded()
        }
    }

    /// Spawns a thread that runs this loop; returns after the thread started.
    public func start(name: String) -> EventLoopThread {
        EventLoopThread(loop: self, name: name)
    }
}

/// A slot with no fd: fires its closure once, then frees its slot.
private final class OneOffTimer: EventHandler {
    let body: () -> Void
    var release: (() -> Void)?

    init(body: @escaping () -> Void) {
        self.body = body
    }

    func handleEvents(_ events: EpollEvents) {}

    func handleDeadline() {
        release?()
        release = nil
        body()
    }
}

/// The pthread that runs one loop. Plain pthreads, not `Thread` or a Task: a loop blocks in
/// `epoll_wait` for its whole life and must own its OS thread.
///
/// `@unchecked Sendable`: its one stored value, the `pthread_t`, is written in `init` and only
/// read afterwards (by `join`, from whichever thread stops the loop).
public final class EventLoopThread: @unchecked Sendable {
    private var thread: pthread_t = pthread_t()
    public let loop: EventLoop

    fileprivate init(loop: EventLoop, name: String) {
        self.loop = loop
        let box = Unmanaged.passRetained(ThreadStart(loop: loop, name: name))
        let rc = pthread_create(&thread, nil, { raw in
            let start = Unmanaged<ThreadStart>.fromOpaque(raw!).takeRetainedValue()
            _ = switchyard_set_thread_name(String(start.name.prefix(15)))
            start.loop.run()
            return nil
        }, box.toOpaque())
        precondition(rc == 0, "pthread_create failed: \(rc)")
    }

    /// Waits for the loop's thread to end (after `loop.stop()`).
    public func join() {
        pthread_join(thread, nil)
    }
}

/// What `pthread_create` hands the new thread. `@unchecked Sendable`: immutable, and the loop it
/// carries is the one the thread is about to own.
private final class ThreadStart: @unchecked Sendable {
    let loop: EventLoop
    let name: String
    init(loop: EventLoop, name: String) {
        self.loop = loop
        self.name = name
    }
}
