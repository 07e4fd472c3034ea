/// Verified JWTs by their exact bytes, so a client reusing its token skips signature checks.
///
/// One per event loop, used only from that loop: deliberately not `Sendable`, and no locks. Bounded
/// (``capacity``); an entry is never returned at or past its token's `exp`, and is bound to the
/// ``Authenticator`` that verified it, so a configuration reload never serves a stale credential.
public final class AuthenticationCache {
    public let capacity: Int
    private var entries: [TokenKey: Credential] = [:]
    private var authenticatorID: UInt64 = 0

    public init(capacity: Int = 1024) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    public var count: Int { entries.count }

    func lookup(_ token: [UInt8], authenticatorID: UInt64, now: Double) -> Credential? {
        guard authenticatorID == self.authenticatorID, let credential = entries[TokenKey(token)] else { return nil }
        guard let expiresAt = credential.expiresAt, now < expiresAt else {
            entries[TokenKey(token)] = nil
            return nil
        }
        return credential
    }

    func store(_ token: [UInt8], _ credential: Credential, authenticatorID: UInt64, now: Double) {
        guard let expiresAt = credential.expiresAt, now < expiresAt else { return }
        if authenticatorID != self.authenticatorID {
            entries.removeAll(keepingCapacity: true)
            self.authenticatorID = authenticatorID
        }
        let key = TokenKey(token)
        if entries.count >= capacity, entries[key] == nil {
            entries = entries.filter { now < ($0.value.expiresAt ?? 0) }
            if entries.count >= capacity { entries.remove(at: entries.startIndex) }
        }
        entries[key] = credential
    }
}

/// A token's bytes as a dictionary key, hashed in one pass. `[UInt8]`'s own `Hashable` feeds the
/// hasher a byte at a time, which made the cache lookup cost more than the rest of authentication.
private struct TokenKey: Hashable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
