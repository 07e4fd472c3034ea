/// One `UpstreamClient.send` in progress: what to send where, whom to tell, by when, and what has
/// been tried. A value that moves from connection to connection (a retry, the next address).
struct UpstreamCall {
    /// A `var` for its end only: its body and header lines move to the loop's arrays then (`complete`).
    var request: UpstreamRequest
    let target: UpstreamTarget
    /// The target's pool in the client that sends it.
    let pool: UpstreamPool
    let completion: UpstreamCompletion
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

/// Who is told how an upstream call ended: a closure, or an object the loop already has that tells
/// its calls apart by a tag of its own, so that the call allocates no closure (the vendor phase of
/// every request: `UpstreamCallObserver`).
enum UpstreamCompletion {
    case closure((Result<UpstreamResponse, UpstreamError>) -> Void)
    case observer(any UpstreamCallObserver, tag: Int)

    func callAsFunction(_ result: Result<UpstreamResponse, UpstreamError>) {
        switch self {
        case .closure(let completion): completion(result)
        case .observer(let observer, let tag): observer.upstreamCall(tag, endedWith: result)
        }
    }
}

/// An object told how its upstream calls ended (`UpstreamClient.send(_:to:observer:tag:)`). The
/// call holds it until then, as a completion closure would hold what it captured.
public protocol UpstreamCallObserver: AnyObject {
    /// The call sent with `tag` ended: its response (any status) or the reason there is none.
    func upstreamCall(_ tag: Int, endedWith result: Result<UpstreamResponse, UpstreamError>)
}
