/// One upstream's share of a loop's `UpstreamClient`: its idle keep-alive connections and its
/// calls in flight (for the retry budget). Found once per `send` by the upstream's pool key, then
/// reached through the call and the connection, so the rest of a call hashes nothing.
final class UpstreamPool {
    /// Parked connections, the most recent last.
    var idle: [HTTPClientConnection] = []
    /// Calls in flight, and how many of them are retries.
    var calls = 0
    var retries = 0

    /// Whether one more retry stays within the budget (API.md §7): 20 % of the calls in flight,
    /// at least 3.
    var allowsRetry: Bool {
        retries < max(Self.minimumRetries, Int(Double(calls) * Self.retryShare))
    }

    static let retryShare = 0.2
    static let minimumRetries = 3
}
