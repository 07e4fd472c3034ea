/// A loop's slots (`EventLoop`'s handlers with their generations and deadlines) by number, in a
/// buffer of their own. The loop writes a slot each time a connection moves its deadline, several
/// times a request; through an `Array` held by the loop each write checked the array's uniqueness
/// and its bounds twice. A table only grows (it doubles when full), so a number once handed out
/// stays in bounds; every access still checks it against the count.
///
/// Not thread-safe: one per loop, used on its thread.
struct SlotTable<Element>: ~Copyable {
    private var base: UnsafeMutablePointer<Element>
    /// Slots `0..<count` are initialized, the rest of `capacity` not.
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "a slot table starts with room for one slot at least")
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// Adds `element` as slot `count`.
    mutating func append(_ element: consuming Element) {
        if count == capacity {
            let grown = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
            grown.moveInitialize(from: base, count: count)
            base.deallocate()
            base = grown
            capacity *= 2
        }
        (base + count).initialize(to: element)
        count += 1
    }

    /// Whether `index` names a slot.
    @inline(__always)
    func contains(_ index: Int) -> Bool {
        UInt(bitPattern: index) < UInt(bitPattern: count)
    }

    subscript(index: Int) -> Element {
        @inline(__always)
        unsafeAddress {
            precondition(contains(index), "slot beyond the table")
            return UnsafePointer(base + index)
        }
        @inline(__always)
        mutating unsafeMutableAddress {
            precondition(contains(index), "slot beyond the table")
            return base + index
        }
    }
}
