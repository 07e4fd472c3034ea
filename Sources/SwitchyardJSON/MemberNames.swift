import SwitchyardIO

/// The longer member names a loop's documents had, handed out again when the same name comes back.
///
/// A `String` holds 15 bytes in place; a longer name read from a document is an allocation every
/// time, and a vendor's answers repeat the same few names on every call (gate's
/// `user_external_id`). A name of 16 to `CompactString.inlineCapacity` bytes is looked up here by
/// its bytes first: one slot per hash of them, so a lookup is a hash of two words and one
/// comparison of four. A name that finds another in its slot takes the slot, so names a client
/// makes up (any number, any collisions) cost what they cost without the cache, an allocation each,
/// and the cache holds at most `slots` names of at most 31 bytes. Not thread-safe: one per loop.
final class MemberNames {
    /// A power of two: more than the names of a vendor's answers and a device document together.
    static let slots = 64

    private var keys = [CompactString](repeating: "", count: slots)
    private var names = [String](repeating: "", count: slots)

    /// The name spelt by `utf8` (valid UTF-8): a kept one when it was read before and is still
    /// here, else a new one, kept when it is long enough to need keeping.
    func name(_ utf8: UnsafeBufferPointer<UInt8>) -> String {
        guard utf8.count > 15, utf8.count <= CompactString.inlineCapacity else { return String(decoding: utf8, as: UTF8.self) }
        let key = CompactString(validUTF8: UnsafeRawBufferPointer(utf8))
        let slot = Self.slot(UnsafeRawBufferPointer(utf8))
        if keys[slot] == key { return names[slot] }
        let name = String(decoding: utf8, as: UTF8.self)
        keys[slot] = key
        names[slot] = name
        return name
    }

    /// A slot from the first and the last eight bytes (a name here has at least sixteen), mixed by a
    /// multiplication whose top bits depend on every bit of both.
    private static func slot(_ utf8: UnsafeRawBufferPointer) -> Int {
        let first = UInt64(littleEndian: utf8.loadUnaligned(as: UInt64.self))
        let last = UInt64(littleEndian: utf8.loadUnaligned(fromByteOffset: utf8.count - 8, as: UInt64.self))
        let mixed = (first ^ (last &<< 29 | last &>> 35) ^ UInt64(utf8.count)) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed &>> 58)
    }
}
