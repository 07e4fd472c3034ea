/// A loop's free list of objects finished with (a request once its answer is sent), for the next one
/// the loop would otherwise allocate: a steady loop makes one of them for every request and lets
/// one go about as often, so it reuses the same few.
///
/// An object is given back by whoever finishes with it, often while others still hold it for a
/// moment (the call whose completion sent the answer); it is taken again only once nothing else
/// holds it (`isKnownUniquelyReferenced`), so a holder never sees it start over under its hands.
/// One still held when its turn comes is dropped from the list and goes when its holder lets go.
/// The object's own type says what taking it again resets. Not thread-safe: one per loop, used on
/// the loop.
///
/// Inlinable, so each use is specialized for its object's type.
public final class ObjectPool<Object: AnyObject> {
    @usableFromInline let free: FreeSlots<Object>

    /// Keeps at most `maxFree` objects: a burst of requests in flight does not pin its memory to
    /// the loop afterwards.
    public init(maxFree: Int) {
        precondition(maxFree > 0, "a pool keeps at least one object")
        free = FreeSlots(capacity: maxFree)
    }

    /// How many objects it holds.
    public var count: Int { free.count }

    /// An object given back that nothing else holds now, or nil when there is none.
    @inlinable
    public func take() -> Object? {
        while var object = free.pop() {
            if isKnownUniquelyReferenced(&object) { return object }
        }
        return nil
    }

    @inlinable
    public func give(_ object: consuming Object) {
        free.push(object)
    }

    /// Lets go of every object kept: for a loop shutting down, whose objects point back at it.
    public func removeAll() { free.removeAll() }
}
