/// One `UpstreamClient.send` in progress: what to send where, whom to tell, by when, and what has
/// been tried. A value that moves from connection to connection (a retry, the next address).
struct UpstreamCall {
    let request: UpstreamRequest
    let target: UpstreamTarget
    /// The target's pool in the client that sends it.
    let pool: UpstreamPool
    let completion: (Result<UpstreamResponse, UpstreamError>) -> Void
    /// The total deadline, monotonic nanoseconds: fixed at `send`, so a retry does not extend it.
    let deadline: UInt64
    /// Sent once more after a reused connection failed; never twice.
    var retried = false
    /// On a pooled connection (the current attempt); the answer says so, for the metrics.
    var reusedConnection = false
    /// Addresses of the target tried so far for the current attempt, and where the round started.
    var addressesTried = 0
    var firstAddress = 0
}
