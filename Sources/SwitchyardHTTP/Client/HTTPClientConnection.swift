import SwitchyardIO
#if canImport(Glibc)
import Glibc
#endif

/// One connection to an upstream speaking HTTP/1.1 as a client: writes a call's request into the
/// channel's outbound buffer, parses the answer with `ResponseParser` and `ChunkedDecoder`, and
/// tells its `UpstreamClient` how the call ended.
///
/// One call at a time and no pipelining: a connection is either busy with exactly one call, idle
/// in its client's pool, or finished. It never outlives its loop.
final class HTTPClientConnection: ChannelDelegate {
    let channel: Channel
    /// The pool of the upstream it connects to, which it returns to between calls.
    let pool: UpstreamPool
    /// The client owns the pool this connection returns to, and lives as long as its loop.
    /// Strong like `Channel.loop`: the pool lets go of the connection when it closes.
    private let client: UpstreamClient
    private let maxBodyBytes: Int
    private var parser: ResponseParser
    private var chunked: ChunkedDecoder
    private var head = HTTPResponseHead()
    private var body: [UInt8] = []
    private var call: UpstreamCall?

    enum State: Equatable {
        /// TCP connect or TLS handshake under way.
        case connecting
        /// Request written (or queued behind the handshake); no complete head yet.
        case head
        case body(remaining: Int)
        case chunkedBody
        case untilClose
        /// In the pool, between calls.
        case idle
        case finished
    }

    private(set) var state: State
    /// Calls answered on this connection: a connection with one or more is a reused one.
    private(set) var completedCalls = 0
    /// Whether any byte of the current call's answer arrived; decides whether a retry is allowed.
    private var answerStarted = false
    /// Interim (1xx) heads of the current call so far.
    private var interimResponses = 0
    /// When a connect in progress counts as timed out (monotonic nanoseconds).
    private var connectDeadline: UInt64 = 0
    /// When an idle connection is closed (monotonic nanoseconds); set by the pool.
    private(set) var idleUntil: UInt64 = 0
    /// Whether the connection sits in its client's idle pool.
    var isPooled = false

    init(channel: Channel, pool: UpstreamPool, client: UpstreamClient, limits: UpstreamLimits) {
        self.channel = channel
        self.pool = pool
        self.client = client
        self.maxBodyBytes = limits.maxResponseBodyBytes
        self.parser = ResponseParser(limits: limits.http)
        self.chunked = ChunkedDecoder(limits: limits.http)
        self.state = .connecting
        channel.delegate = self
    }

    // MARK: Calls

    /// Starts `call` on a new connection: the request waits in the outbound buffer until the
    /// handshake is done; the deadline is the connect deadline or the call's, whichever is first.
    func begin(connecting call: consuming UpstreamCall, connectDeadline: UInt64) {
        assert(state == .connecting && self.call == nil, "a connection carries one call at a time")
        self.connectDeadline = connectDeadline
        write(call.request, to: call.target)
        channel.setDeadline(at: min(connectDeadline, call.deadline))
        self.call = consume call
    }

    /// Starts `call` on this connection, just taken from the pool.
    func begin(reusing call: consuming UpstreamCall) {
        assert(state == .idle && self.call == nil, "a connection carries one call at a time")
        state = .head
        answerStarted = false
        interimResponses = 0
        write(call.request, to: call.target)
        channel.setDeadline(at: call.deadline)
        self.call = consume call
        channel.flush() // a failure here closes the channel, and channelClosed reports it
    }

    /// The request head and body, straight into the channel's pooled outbound buffer.
    private func write(_ request: UpstreamRequest, to target: UpstreamTarget) {
        let out = channel.outbound
        // validationProblem() has vouched for the method, the path and every header.
        out.append(request.method.token!)
        out.append(byte: HTTPSyntax.sp)
        out.append(request.pathPrefix)
        out.append(request.path)
        // An id that needs no escape is written as it is: `encode` returns the text itself.
        if !request.segment.isEmpty {
            PercentEncoding.encode(request.segment, spaceAsPlus: false).withUTF8 { out.append(UnsafeRawBufferPointer($0)) }
        }
        out.append(" HTTP/1.1\r\nhost: " as StaticString)
        out.append(target.hostField)
        request.fixedHeaders.bytes.withUnsafeBytes { out.append($0) }
        if let requestID = request.requestID {
            out.append("\r\nx-request-id: " as StaticString)
            out.append(requestID)
        }
        if let traceParent = request.traceParent {
            out.append("\r\ntraceparent: " as StaticString)
            traceParent.withUTF8 { out.append(UnsafeRawBufferPointer($0)) }
        }
        out.appendFieldLines(request.headers)
        out.append("\r\naccept-encoding: gzip" as StaticString)
        if request.sendsContentLength {
            out.append("\r\ncontent-length: " as StaticString)
            out.append(decimal: request.body.count)
        }
        out.append("\r\n\r\n" as StaticString)
        if !request.body.isEmpty { request.body.withUnsafeBytes { out.append($0) } }
    }

    // MARK: The pool's side

    /// Puts the connection in the idle state until `until` (monotonic nanoseconds).
    func park(until: UInt64) {
        state = .idle
        idleUntil = until
        channel.setDeadline(at: until)
    }

    /// Whether the channel is in the middle of handing this connection what it read: the answer is
    /// consumed, but the inbound buffer is held until the read is over (a buffer with bytes left is
    /// another matter: `isReusable` refuses it).
    var isReading: Bool { channel.inbound.hasStorage && channel.inbound.isEmpty }

    /// The liveness check before reuse: still open, not expired, nothing unread and, with
    /// `checkingSocket`, the socket holds no byte either: a FIN or a close_notify that arrived
    /// after this round's events were fetched shows up there, before a request is wasted on it.
    /// That costs a system call, one in five of a translated request's; a call the retry rule
    /// sends again on a new connection (a PUT) goes without it, as a close that arrives a moment
    /// after the check would find it anyway.
    func isReusable(now: UInt64, checkingSocket: Bool) -> Bool {
        state == .idle && channel.isOpen && !channel.peerClosed && now < idleUntil && !channel.inbound.hasStorage
            && (!checkingSocket || Socket.isQuiet(channel.fd))
    }

    /// Closes an idle connection (expired, surplus, or the client shutting down).
    func close() {
        state = .finished
        channel.close()
    }

    // MARK: ChannelDelegate

    func channelActive(_ channel: Channel) {
        guard state == .connecting, let call else { return }
        state = .head
        answerStarted = false
        channel.setDeadline(at: call.deadline)
        channel.flush()
    }

    func channelRead(_ channel: Channel) {
        process()
    }

    func channelReadEOF(_ channel: Channel) {
        switch state {
        case .untilClose:
            finishAnswer()
        case .connecting, .head, .body, .chunkedBody:
            fail(answerStarted ? .truncatedResponse : .closedBeforeResponse)
        case .idle, .finished:
            // The server closed an idle connection (its keep-alive timeout): the pool forgets it
            // when channelClosed arrives.
            state = .finished
            channel.close()
        }
    }

    func channelWritable(_ channel: Channel) {}

    func channelDeadline(_ channel: Channel) {
        switch state {
        case .connecting:
            fail(channel.loop.now >= connectDeadline ? .connectTimedOut : .timedOut)
        case .head, .body, .chunkedBody, .untilClose:
            fail(.timedOut)
        case .idle, .finished:
            state = .finished
            channel.close()
        }
    }

    func channelClosed(_ channel: Channel) {
        if call != nil {
            let cause: UpstreamError.Cause
            switch channel.closeReason {
            case .connectFailed(let errno): cause = .connectFailed(errno: errno)
            case .handshakeFailed(let reason): cause = .tlsFailed(reason)
            case .ioFailed(let errno): cause = answerStarted ? .truncatedResponse : .connectionReset(errno: errno)
            case .peerClosed, .local, nil: cause = answerStarted ? .truncatedResponse : .closedBeforeResponse
            }
            fail(cause)
        }
        state = .finished
        client.connectionClosed(self)
    }

    // MARK: Reading the answer

    private func process() {
        while !channel.inbound.isEmpty {
            let inbound = channel.inbound
            switch state {
            case .head:
                answerStarted = true
                let method = call?.request.method ?? .get
                switch parser.parseHead(inbound.readableBytes, requestMethod: method, into: &head) {
                case .incomplete:
                    return
                case .failure(let error):
                    fail(.malformedResponse(error))
                    return
                case .complete(let headLength):
                    channel.consumeInbound(headLength)
                    if head.isInterim {
                        interimResponses += 1
                        guard interimResponses <= UpstreamLimits.maxInterimResponses else {
                            fail(.tooManyInterimResponses)
                            return
                        }
                        parser.reset() // 100 Continue, 103 Early Hints: the real head follows
                        continue
                    }
                    if beginBody() { return }
                }
            case .body(let remaining):
                let count = min(remaining, inbound.readableCount)
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: inbound.readableBytes[..<count]))
                channel.consumeInbound(count)
                if count == remaining {
                    finishAnswer()
                    return
                }
                state = .body(remaining: remaining - count)
            case .chunkedBody:
                switch chunked.decode(inbound.readableBytes, appendingTo: &body) {
                case .incomplete(let consumed):
                    channel.consumeInbound(consumed)
                case .complete(let consumed):
                    channel.consumeInbound(consumed)
                    finishAnswer()
                    return
                case .failure(let error):
                    fail(.malformedResponse(.message(error)))
                    return
                }
            case .untilClose:
                let count = inbound.readableCount
                guard body.count + count <= maxBodyBytes else {
                    fail(.bodyTooLarge)
                    return
                }
                body.append(contentsOf: inbound.readableBytes)
                channel.consumeInbound(count)
            case .idle:
                // Bytes nobody asked for: the stream is out of step, so it cannot carry a call.
                state = .finished
                channel.abort()
                return
            case .connecting, .finished:
                return
            }
        }
    }

    /// Sets up reading the body the head announced, into one of the loop's reused arrays (the
    /// client hands it back once the caller has read the answer); true when the answer is already
    /// complete.
    private func beginBody() -> Bool {
        switch head.framing {
        case .noBody, .contentLength(0):
            finishAnswer()
            return true
        case .contentLength(let length):
            body = channel.loop.byteArrays.take(capacity: length)
            state = .body(remaining: length)
        case .chunked:
            chunked.reset()
            state = .chunkedBody
        case .untilClose:
            state = .untilClose
        }
        return false
    }

    /// The answer is complete: decode it, return the connection to the pool or close it, and
    /// only then tell the caller (who may at once send another call on this very connection).
    private func finishAnswer() {
        guard call != nil else { return }
        // Moved out, leaving the connection none: copied and let go, it was retained and released.
        var body: [UInt8] = []
        swap(&body, &self.body)
        switch head.contentCoding {
        case .identity:
            break
        case .gzip where body.isEmpty:
            break
        case .gzip:
            do {
                body = try client.gzip.decompress(body, limit: maxBodyBytes)
            } catch {
                fail(.undecodableBody(error))
                return
            }
        case .unsupported:
            if !body.isEmpty {
                fail(.unsupportedContentEncoding)
                return
            }
        }
        let call = self.call.take()!
        var response = UpstreamResponse(head: head, body: body)
        response.reusedConnection = call.reusedConnection
        // The result made here, the answer moved into it (`consume`): made in the call below, after
        // the calls that return the connection, the answer was copied into it and destroyed.
        let answer = Result<UpstreamResponse, UpstreamError>.success(consume response)
        completedCalls += 1
        parser.reset()
        let reusable = head.keepAlive && channel.isOpen && !channel.peerClosed && channel.inbound.isEmpty
        if reusable {
            state = .idle
            client.connectionFinished(self, keepAliveTimeoutSeconds: head.keepAliveTimeoutSeconds)
        } else {
            state = .finished
            channel.close()
        }
        client.complete(call, with: answer)
    }

    /// Ends the current call with `cause` and drops the connection: after any failure nothing on
    /// it can be trusted. Reports whether the call may be retried (see `UpstreamClient`).
    private func fail(_ cause: UpstreamError.Cause) {
        guard let call = call.take() else { return }
        let connectionLost: Bool
        switch cause {
        case .closedBeforeResponse, .connectionReset: connectionLost = true
        default: connectionLost = false
        }
        let mayRetry = connectionLost && completedCalls > 0 && !answerStarted
        state = .finished
        body.removeAll()
        if channel.isOpen { channel.abort() } // channelClosed follows at once; the call is gone by then
        client.callFailed(call, UpstreamError(cause), mayRetry: mayRetry)
    }
}
