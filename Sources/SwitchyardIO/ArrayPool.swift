/// A loop's free list of arrays whose contents were copied out (a response body or header list
/// written into a connection's output buffer, a vendor call's request once it is answered), for the
/// next one built on the loop: arrays come back about as fast as the loop takes them, so its bodies
/// and header lists are built in the same arrays instead of an allocation each.
///
/// An array is handed back while its giver may still hold it; it is emptied when taken, by which
/// time the giver has let it go. One that something kept (an idempotent answer stored for
/// repeats) is not unique then, and emptying it makes a fresh array, as building one would have.
/// A giver that holds an array's only reference recycles it instead (`recycle`), emptied at once.
/// Not thread-safe: one per loop, used on the loop.
///
/// Inlinable, so each use is specialized for its element type: the generic paths of `Array` cost
/// more than the allocation they save.
public final class ArrayPool<Element> {
    @usableFromInline let free: FreeSlots<[Element]>
    @usableFromInline let maxCapacity: Int

    /// Keeps at most `maxFree` arrays of at most `maxCapacity` elements: one large answer does not
    /// pin its memory to the loop.
    public init(maxFree: Int, maxCapacity: Int) {
        free = FreeSlots(capacity: maxFree)
        self.maxCapacity = maxCapacity
    }

    /// How many arrays it holds.
    public var count: Int { free.count }

    /// An empty array with room for `capacity` elements.
    @inlinable
    public func take(capacity: Int) -> [Element] {
        guard var array = free.pop() else {
            var array: [Element] = []
            array.reserveCapacity(capacity)
            return array
        }
        Self.empty(&array)
        // Most arrays come back with room enough: asking again checks uniqueness for nothing.
        if array.capacity < capacity { array.reserveCapacity(capacity) }
        return array
    }

    /// Empties `array` in place and keeps its storage (`give(moving:)`), for a giver that holds its
    /// only reference: what it held is let go now, not when the array is taken again (a list of
    /// changes or results whose documents go back to a pool of their own must not hold them
    /// meanwhile). An array still held elsewhere is copied empty, as `take` would have copied it.
    @inlinable
    public func recycle(_ array: inout [Element]) {
        Self.empty(&array)
        give(moving: &array)
    }

    /// `removeAll(keepingCapacity:)` goes through `replaceSubrange`, a few hundred instructions
    /// besides the elements' own destruction; the few elements of a header list, a document's
    /// members or a batch's results go one by one for a few each.
    @inlinable
    static func empty(_ array: inout [Element]) {
        if array.count <= fewElements {
            while !array.isEmpty { array.removeLast() }
        } else {
            array.removeAll(keepingCapacity: true)
        }
    }

    @usableFromInline static var fewElements: Int { 16 }

    /// Keeps `array` for a later `take`, unless the pool is full or the array too large (or has no
    /// storage): taken, so that an array its giver is done with moves in without a retain.
    @inlinable
    public func give(_ array: consuming [Element]) {
        guard array.capacity <= maxCapacity, array.capacity > 0 else { return }
        free.push(array)
    }

    /// Keeps `array`'s storage as `give` does and leaves `array` empty, without any: for a giver
    /// done with an array it holds where it can't be consumed (a stored property, a field of a
    /// struct). Given while still held, an array costs a retain now and a release when its holder
    /// lets go, each an atomic operation; moved, neither.
    @inlinable
    public func give(moving array: inout [Element]) {
        var moved: [Element] = []
        swap(&moved, &array)
        give(consume moved)
    }
}
