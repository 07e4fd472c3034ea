import SwitchyardIO

/// What the gateway needs of an upstream client: send a request, answer once; close the pool.
///
/// `UpstreamClient` is the one used on the wire. The protocol is the pipeline's test seam: an
/// in-process test stands a scripted vendor in for it and drives every phase without sockets.
/// Both rules of `UpstreamClient` bind every conformer: one per loop, used on that loop only, and
/// the completion runs once, on the loop, never inside `send`.
public protocol UpstreamTransport: AnyObject {
    func send(_ request: UpstreamRequest, to target: UpstreamTarget,
              completion: @escaping (Result<UpstreamResponse, UpstreamError>) -> Void)
    /// Closes idle connections and stops pooling; for shutdown.
    func shutdown()
}

extension UpstreamClient: UpstreamTransport {}
