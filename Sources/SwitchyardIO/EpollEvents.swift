import CLinux

/// The epoll readiness bits as a Swift option set. Raw `EPOLL*` constants are used in this file
/// and in `EventLoop.swift` (which registers and waits) only.
public struct EpollEvents: OptionSet, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let readable = EpollEvents(rawValue: switchyard_EPOLLIN)
    public static let writable = EpollEvents(rawValue: switchyard_EPOLLOUT)
    public static let error = EpollEvents(rawValue: switchyard_EPOLLERR)
    public static let hangup = EpollEvents(rawValue: switchyard_EPOLLHUP)
    public static let readHangup = EpollEvents(rawValue: switchyard_EPOLLRDHUP)
    public static let edgeTriggered = EpollEvents(rawValue: switchyard_EPOLLET)

    /// Everything a stream socket is registered for, once, for its whole life: both directions,
    /// edge-triggered, so a handler reads or writes until `EAGAIN` and is never re-armed.
    public static let stream: EpollEvents = [.readable, .writable, .readHangup, .edgeTriggered]
}

/// What sits in the 64-bit epoll user data: the slot of the handler in its loop's table and the
/// slot's generation when it was registered. An event for a slot reused since (its fd closed and
/// a new one registered in the same batch of events) carries an old generation and is dropped.
@usableFromInline
struct RegistrationID: Equatable, Sendable {
    @usableFromInline var slot: UInt32
    @usableFromInline var generation: UInt32

    @inlinable init(slot: UInt32, generation: UInt32) {
        self.slot = slot
        self.generation = generation
    }

    @inlinable init(packed: UInt64) {
        self.slot = UInt32(truncatingIfNeeded: packed)
        self.generation = UInt32(truncatingIfNeeded: packed >> 32)
    }

    @inlinable var packed: UInt64 {
        UInt64(slot) | (UInt64(generation) << 32)
    }
}
