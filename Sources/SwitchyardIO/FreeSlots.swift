/// The values a loop's pool keeps for reuse (`ArrayPool`'s arrays, `ObjectPool`'s objects,
/// `BufferPool`'s blocks): a stack of at most `capacity`, in slots allocated once, so a value goes
/// in and out by a move. An `Array` of them checked its own uniqueness and capacity on every push
/// and pop, and retained what it kept: some 90 instructions a give, and a request gives about thirty
/// things back to pools. Not thread-safe: one per pool, used on its loop.
///
/// Inlinable, so each use is specialized for its element type.
public final class FreeSlots<Element> {
    @usableFromInline let base: UnsafeMutablePointer<Element>
    /// How many values it holds: slots `0..<count` are initialized, the rest are not.
    @usableFromInline var held = 0
    public let capacity: Int

    /// Room for `capacity` values (none at all for 0).
    public init(capacity: Int) {
        precondition(capacity >= 0, "a pool keeps no negative count of values")
        self.capacity = capacity
        base = .allocate(capacity: max(capacity, 1))
    }

    deinit {
        base.deinitialize(count: held)
        base.deallocate()
    }

    public var count: Int { held }

    /// Keeps `value`, or lets it go when every slot is taken (false).
    @inlinable
    @discardableResult
    public func push(_ value: consuming Element) -> Bool {
        guard held < capacity else { return false }
        (base + held).initialize(to: value)
        held &+= 1
        return true
    }

    /// The value kept last, or nil when it holds none.
    @inlinable
    public func pop() -> Element? {
        guard held > 0 else { return nil }
        held &-= 1
        return (base + held).move()
    }

    /// Every value kept, handed to `body` one by one as it leaves, the last kept first.
    @inlinable
    public func removeAll(_ body: (consuming Element) -> Void = { _ in }) {
        while let value = pop() { body(value) }
    }
}
