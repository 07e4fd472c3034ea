import SwitchyardIO

/// What the gateway needs of an upstream client: send a request, answer once; close the pool.
///
/// `UpstreamClient` is the one used on the wire. The protocol is the pipeline's test seam: an
/// in-process test stands a scripted vendor in for it and drives every phase without sockets.
/// Both rules of `UpstreamClient` bind every conformer: one per loop, used on that loop only, and
/// the completion runs once, on the loop, never inside `send`.
public protocol UpstreamTransport: AnyObject {
    func send(_ request: consuming UpstreamRequest, to target: UpstreamTarget,
              completion: @escaping (Result<UpstreamResponse, UpstreamError>) -> Void)
    /// The same, telling `observer` with `tag` instead of running a closure.
    func send(_ request: consuming UpstreamRequest, to target: UpstreamTarget, observer: any UpstreamCallObserver, tag: Int)
    /// Closes idle connections and stops pooling; for shutdown.
    func shutdown()
}

extension UpstreamTransport {
    /// The observer's form through the closure's, for a transport that has no other.
    public func send(_ request: consuming UpstreamRequest, to target: UpstreamTarget, observer: any UpstreamCallObserver, tag: Int) {
        send(request, to: target) { observer.upstreamCall(tag, endedWith: $0) }
    }
}

extension UpstreamClient: UpstreamTransport {}
