#if canImport(Glibc)
import Glibc
#endif

/// A fixed list of names, looked up by a name's UTF-8 bytes: by length first, then byte for byte
/// among the few names of that length. A lookup answers the name's position in the list, which
/// the caller maps to its own value (an enum's raw value).
///
/// For the names every request is read by (a device document's groups and members, identifier
/// kinds). A `Dictionary<String, …>` hashes the whole name with SipHash and a `switch` over
/// strings compares it with each case in turn; here a name costs an index and a comparison or two
/// of a few bytes. The names live in one array, so a lookup retains nothing per candidate; and the
/// type is not generic, so a lookup from another module instantiates no metadata.
public struct NameTable: Sendable {
    /// Every name's bytes, one after another.
    @usableFromInline let storage: [UInt8]
    /// Per length, the names of that length: where each starts in `storage`, and its position.
    @usableFromInline let byLength: [[(start: Int, position: Int)]]

    /// `names` must not repeat one.
    public init(_ names: [String]) {
        var storage: [UInt8] = []
        var byLength: [[(start: Int, position: Int)]] = []
        for (position, name) in names.enumerated() {
            let bytes = Array(name.utf8)
            while byLength.count <= bytes.count { byLength.append([]) }
            precondition(!byLength[bytes.count].contains { Array(storage[$0.start..<($0.start + bytes.count)]) == bytes },
                         "NameTable: \(name) is given twice")
            byLength[bytes.count].append((storage.count, position))
            storage += bytes
        }
        self.storage = storage
        self.byLength = byLength
    }

    /// The position of the name spelt by `name`'s bytes, nil when none is. Inlinable, as is
    /// `position(of:)` for a `String`: a table is read where it lies (a static's, a row of a list),
    /// and called out of line the compiler copied it for the call, its two arrays retained and
    /// released around every lookup.
    @inlinable @inline(__always)
    public func position(of name: UnsafeRawBufferPointer) -> Int? {
        guard name.count < byLength.count else { return nil }
        return storage.withUnsafeBytes { storage in
            for candidate in byLength[name.count]
            where name.count == 0 || memcmp(storage.baseAddress! + candidate.start, name.baseAddress!, name.count) == 0 {
                return candidate.position
            }
            return nil
        }
    }

    /// The position of `name`.
    @inlinable @inline(__always)
    public func position(of name: String) -> Int? {
        if let found = name.utf8.withContiguousStorageIfAvailable({ position(of: UnsafeRawBufferPointer($0)) }) { return found }
        return Array(name.utf8).withUnsafeBytes { position(of: $0) }
    }
}
