/// A value that belongs to one event loop: it may travel to other threads (inside a task for
/// `EventLoop.execute`, in a `Sendable` type that many loops share), but its `value` is read and
/// changed on the owning loop's thread only, which debug builds check on every access. The model
/// is swift-nio's `NIOLoopBound`: the confinement the code relies on, checked rather than stated.
///
/// `@unchecked Sendable` is the point of the type: sending it is safe because the only way to the
/// value is through `value`, which asserts the owning loop.
public struct LoopBound<Value>: @unchecked Sendable {
    public let loop: EventLoop
    private let box: Box

    private final class Box {
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    /// Binds `value` to `loop`. It may be made on any thread: whatever hands it to the loop (a task
    /// for `execute`, a lock around shared state) publishes it; from then on only the loop uses it.
    public init(_ value: Value, loop: EventLoop) {
        self.loop = loop
        box = Box(value)
    }

    /// The value, on the owning loop only.
    public var value: Value {
        get {
            loop.assertCurrent()
            return box.value
        }
        nonmutating _modify {
            loop.assertCurrent()
            yield &box.value
        }
        nonmutating set {
            loop.assertCurrent()
            box.value = newValue
        }
    }
}
