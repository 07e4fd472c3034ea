import SwitchyardIO

/// A payload-free enum of at most 64 cases, which a `CaseSet` holds as bits.
public protocol CaseSetElement: CaseIterable, Hashable, Sendable where AllCases == [Self] {
    /// The case's place in `allCases`: below 64.
    var caseBit: Int { get }
}

extension CaseSetElement {
    /// The case whose `caseBit` is `bit`. A payload-free enum is its one-byte discriminator, which
    /// counts the cases in declaration order as `allCases` does; read back from it rather than from
    /// `allCases`, which makes its array anew at every use. Checked against `allCases` in debug
    /// builds (every test).
    @inline(__always)
    static func at(caseBit bit: Int) -> Self {
        precondition(MemoryLayout<Self>.size == 1 && bit >= 0 && bit < 64, "a CaseSetElement is a payload-free enum of at most 64 cases")
        let element = unsafeBitCast(UInt8(truncatingIfNeeded: bit), to: Self.self)
        assert(element == allCases[bit], "a case's caseBit is its place in allCases")
        return element
    }
}

/// A set of an enum's cases as the bits of one word: membership is a shift and a mask where a
/// `Set` hashes. What an adapter addresses and stores is asked on every request
/// (`VendorAdapter.addressableKinds`, `storableFields`).
public struct CaseSet<Element: CaseSetElement>: Sendable, Equatable, ExpressibleByArrayLiteral, Sequence, CustomStringConvertible {
    private var bits: UInt64 = 0

    public init() {}

    public init<S: Sequence>(_ elements: S) where S.Element == Element {
        for element in elements { insert(element) }
    }

    public init(arrayLiteral elements: Element...) {
        self.init(elements)
    }

    public func contains(_ element: Element) -> Bool {
        bits >> element.caseBit & 1 == 1
    }

    public mutating func insert(_ element: Element) {
        precondition(element.caseBit >= 0 && element.caseBit < 64, "a CaseSet holds at most 64 cases")
        bits |= 1 << element.caseBit
    }

    public var isEmpty: Bool { bits == 0 }

    /// The members in the order of `allCases`.
    public func makeIterator() -> Iterator {
        Iterator(rest: bits)
    }

    public struct Iterator: IteratorProtocol {
        fileprivate var rest: UInt64

        public mutating func next() -> Element? {
            guard rest != 0 else { return nil }
            let bit = rest.trailingZeroBitCount
            rest &= rest - 1
            return Element.at(caseBit: bit)
        }
    }

    public var description: String { "\(Array(self))" }
}
