/// A series whose labels pack into integers (`ServerSeries`, `ClientSeries`, `DecisionSeries`), so
/// that a tally finds it by one word.
protocol PackedSeries: Hashable, Sendable {
    /// The series' integers folded into one, for the table's probe: equal series give equal words.
    var word: UInt64 { get }
}

/// A loop's tally of the series every request adds to: values by packed series, found by one
/// multiplication and a probe, in the order they were first added.
///
/// A `Dictionary` hashes every key through `Hasher` (SipHash, over a hundred instructions for one
/// word) and a request made three such lookups here; these keys are integers the loop made itself,
/// so a multiplicative hash spreads them well enough, and a collision costs a comparison, never a
/// wrong series. As many entries as distinct series added since the tally began, as before:
/// bounded by the labels' values (the catalogue, the configured tenants and hosts).
struct SeriesTable<Key: PackedSeries, Value>: Sequence {
    /// Positions in `entries` by probe position, `empty` where none; a power of two long, at most
    /// half full.
    private var slots: [Int32] = []
    private var entries: [(key: Key, value: Value)] = []

    private static var empty: Int32 { -1 }

    var count: Int { entries.count }

    func makeIterator() -> IndexingIterator<[(key: Key, value: Value)]> { entries.makeIterator() }

    /// The value of `key`, `initial` when it has none yet (and then kept as soon as it is modified).
    subscript(key: Key, default initial: @autoclosure () -> Value) -> Value {
        get {
            let (found, _) = probe(key)
            return found.map { entries[$0].value } ?? initial()
        }
        _modify {
            var (found, slot) = probe(key)
            if found == nil {
                if (entries.count + 1) * 2 > slots.count {
                    grow()
                    slot = probe(key).slot
                }
                slots[slot] = Int32(entries.count)
                entries.append((key, initial()))
                found = entries.count - 1
            }
            yield &entries[found!].value
        }
    }

    /// Where `key` is, or nil and the free slot its probe ended at (meaningless while `slots` is empty).
    private func probe(_ key: Key) -> (found: Int?, slot: Int) {
        guard !slots.isEmpty else { return (nil, 0) }
        let mask = slots.count - 1
        var slot = Self.home(key, mask: mask)
        while true {
            let position = slots[slot]
            if position == Self.empty { return (nil, slot) }
            if entries[Int(position)].key == key { return (Int(position), slot) }
            slot = (slot + 1) & mask
        }
    }

    /// Twice the slots (16 at first), every entry placed again.
    private mutating func grow() {
        slots = Array(repeating: Self.empty, count: Swift.max(16, slots.count * 2))
        let mask = slots.count - 1
        for (position, entry) in entries.enumerated() {
            var slot = Self.home(entry.key, mask: mask)
            while slots[slot] != Self.empty { slot = (slot + 1) & mask }
            slots[slot] = Int32(position)
        }
    }

    /// The slot a probe for `key` starts at. Fibonacci hashing: the product's high bits depend on
    /// every bit of the word.
    private static func home(_ key: Key, mask: Int) -> Int {
        Int(truncatingIfNeeded: (key.word &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }
}

extension SeriesTable: Sendable where Key: Sendable, Value: Sendable {}
