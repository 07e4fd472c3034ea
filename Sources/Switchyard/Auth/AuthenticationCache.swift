/// Verified JWTs by their exact bytes, so a client reusing its token skips signature checks.
///
/// One per event loop, used only from that loop: deliberately not `Sendable`, and no locks. Bounded
/// (``capacity``); an entry is never returned at or past its token's `exp`, and is bound to the
/// ``Authenticator`` that verified it, so a configuration reload never serves a stale credential.
public final class AuthenticationCache {
    public let capacity: Int
    private var entries: [[UInt8]: Credential] = [:]
    private var authenticatorID: UInt64 = 0

    public init(capacity: Int = 1024) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    public var count: Int { entries.count }

    func lookup(_ token: [UInt8], authenticatorID: UInt64, now: Double) -> Credential? {
        guard authenticatorID == self.authenticatorID, let credential = entries[token] else { return nil }
        guard let expiresAt = credential.expiresAt, now < expiresAt else {
            entries[token] = nil
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
        if entries.count >= capacity, entries[token] == nil {
            entries = entries.filter { now < ($0.value.expiresAt ?? 0) }
            if entries.count >= capacity { entries.remove(at: entries.startIndex) }
        }
        entries[token] = credential
    }
}
