/// Equality and hashing by case for an enum without payloads whose raw values are strings.
///
/// The standard library's defaults for such an enum (`RawRepresentable`'s) compare and hash the raw
/// strings: a `Set<IdentifierKind>.contains` hashed a string, a scope check compared two. On the
/// request path that was a string hash or comparison per lookup; by case it is one byte.
public protocol CaseKeyed: RawRepresentable, Hashable where RawValue == String {}

extension CaseKeyed {
    /// The case's discriminator. `unsafeBitCast` traps unless the enum is one byte, as every
    /// payload-free enum of at most 256 cases is.
    @inline(__always)
    public var caseIndex: UInt8 { unsafeBitCast(self, to: UInt8.self) }

    @inline(__always)
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.caseIndex == rhs.caseIndex }

    @inline(__always)
    public func hash(into hasher: inout Hasher) { hasher.combine(caseIndex) }
}
