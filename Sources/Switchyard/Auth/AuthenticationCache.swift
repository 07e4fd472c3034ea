import SwitchyardIO

/// Verified JWTs by their exact bytes, so a client reusing its token skips signature checks.
///
/// One per event loop, used only from that loop: deliberately not `Sendable`, and no locks. Bounded
/// (``capacity``); an entry is never returned at or past its token's `exp`, and is bound to the
/// ``Authenticator`` that verified it, so a configuration reload never serves a stale credential.
///
/// An open-addressed table rather than a `Dictionary`: a lookup takes the token where it lies in
/// the request's head, with no key to build (a `Dictionary` needs an owned one: a copy of the token
/// per request) and a word-at-a-time hash instead of SipHash over some 200 bytes. Only verified
/// tokens are ever stored, so no client can choose keys that collide: the hash needs no seed.
public final class AuthenticationCache {
    public let capacity: Int
    /// At most half full, so probes stay short; nil is an empty slot.
    private var slots: [Entry?]
    public private(set) var count = 0
    private var authenticatorID: UInt64 = 0

    private struct Entry {
        let hash: UInt64
        let token: [UInt8]
        let credential: Credential
    }

    public init(capacity: Int = 1024) {
        precondition(capacity > 0)
        self.capacity = capacity
        var size = 2
        while size < 2 * capacity { size *= 2 }
        slots = Array(repeating: nil, count: size)
    }

    func lookup(_ token: UnsafeRawBufferPointer, authenticatorID: UInt64, now: Double) -> Credential? {
        guard authenticatorID == self.authenticatorID, count > 0, let index = find(token, hash: Self.hash(token)) else {
            return nil
        }
        guard let credential = slots[index]?.credential, let expiresAt = credential.expiresAt, now < expiresAt else {
            remove(at: index)
            return nil
        }
        return credential
    }

    func lookup(_ token: [UInt8], authenticatorID: UInt64, now: Double) -> Credential? {
        token.withUnsafeBytes { lookup($0, authenticatorID: authenticatorID, now: now) }
    }

    func store(_ token: [UInt8], _ credential: Credential, authenticatorID: UInt64, now: Double) {
        guard let expiresAt = credential.expiresAt, now < expiresAt else { return }
        if authenticatorID != self.authenticatorID {
            removeAll()
            self.authenticatorID = authenticatorID
        }
        let hash = token.withUnsafeBytes { Self.hash($0) }
        if let index = token.withUnsafeBytes({ find($0, hash: hash) }) {
            slots[index] = Entry(hash: hash, token: token, credential: credential)
            return
        }
        if count >= capacity {
            let live = slots.compactMap { $0 }.filter { now < ($0.credential.expiresAt ?? 0) }
            removeAll()
            // Still full of live tokens: one of them goes (which one matters no more than in any bounded cache).
            for entry in live.dropFirst(live.count >= capacity ? 1 : 0) { insert(entry) }
        }
        insert(Entry(hash: hash, token: token, credential: credential))
    }

    // MARK: The table

    private var mask: Int { slots.count - 1 }

    private func find(_ token: UnsafeRawBufferPointer, hash: UInt64) -> Int? {
        var index = Int(truncatingIfNeeded: hash) & mask
        while let entry = slots[index] {
            if entry.hash == hash, entry.token.withUnsafeBytes({ $0.bytesEqual(token) }) { return index }
            index = (index + 1) & mask
        }
        return nil
    }

    private func insert(_ entry: Entry) {
        var index = Int(truncatingIfNeeded: entry.hash) & mask
        while slots[index] != nil { index = (index + 1) & mask }
        slots[index] = entry
        count += 1
    }

    /// Linear probing's deletion: the entries after the hole that would no longer be found past it
    /// move back into it, so no tombstone is needed.
    private func remove(at removed: Int) {
        slots[removed] = nil
        count -= 1
        var hole = removed
        var index = (removed + 1) & mask
        while let entry = slots[index] {
            let home = Int(truncatingIfNeeded: entry.hash) & mask
            // The entry may fill the hole unless its home lies cyclically in (hole, index].
            let homeAfterHole = hole <= index ? (home > hole && home <= index) : (home > hole || home <= index)
            if !homeAfterHole {
                slots[hole] = entry
                slots[index] = nil
                hole = index
            }
            index = (index + 1) & mask
        }
    }

    private func removeAll() {
        for index in slots.indices { slots[index] = nil }
        count = 0
    }

    /// A multiply-xorshift over sixteen bytes a step in two lanes, whose multiplies don't wait on
    /// each other, with the length. The last bytes of a token of eight or more are read as the word
    /// that ends it (overlapping bytes already mixed) instead of one at a time: a bearer token is
    /// some 200 bytes, hashed on every request.
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        var first: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count)
        var second: UInt64 = 0xC2B2_AE3D_27D4_EB4F
        var offset = 0
        while offset + 16 <= count {
            first = (first ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            second = (second ^ bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)) &* 0xC4CE_B9FE_1A85_EC53
            first ^= first >> 32
            second ^= second >> 32
            offset += 16
        }
        if offset + 8 <= count {
            first = (first ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            first ^= first >> 32
            offset += 8
        }
        if offset < count, count >= 8 {
            second = (second ^ bytes.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)) &* 0xC4CE_B9FE_1A85_EC53
        } else {
            while offset < count {
                second = (second ^ UInt64(bytes[offset])) &* 0x0100_0000_01B3
                offset += 1
            }
        }
        let hash = (first ^ (second >> 32 | second << 32)) &* 0xFF51_AFD7_ED55_8CCD
        return hash ^ (hash >> 29)
    }
}
