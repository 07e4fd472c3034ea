import SwitchyardIO

/// One client connection speaking HTTP/1.1: parses requests from the channel's bytes, hands each
/// complete request to the responder, writes the answers in order.
///
/// One request is in flight at a time: pipelined requests wait, unparsed, in the inbound buffer
/// until the one before them is answered, which is what keeps answers in order (RFC 9112 §9.3.2)
/// and bounds the memory a client can make us hold. Every other thing a client controls is
/// bounded too (API.md §2, docs/HTTP.md): the time to send a head and a body, the bodies held
/// across the server (`PendingBodyBudget`), the output waiting for a client that does not read
/// (past `maxPendingOutputBytes` nothing more is parsed until it reads), and the loop's time it
/// takes (past `answersPerRound` answers in one round, the rest of a pipeline waits for the next).
final class HTTPServerConnection: ChannelDelegate {
    let channel: Channel
    /// Strong like `Channel.loop`, for the same reason: the server outlives its connections
    /// anyway (it is torn down only after its loops stop).
    private let server: HTTPServer
    private let shared: HTTPServer.LoopState
    /// The objects every request is handed to and answered with, held here rather than reached
    /// through `server`, `channel`, its loop or `shared` each time: the compiler lends an object held
    /// in `self`'s own `let` as it is, but one reached through another object it retains and
    /// releases around each call made on it (a pair, some 40 instructions, per call).
    private let responder: any HTTPResponder
    private let loop: EventLoop
    private let outbound: ByteBuffer
    private let byteArrays: ArrayPool<UInt8>
    private let fieldLists: ArrayPool<(name: String, value: String)>
    private let dates: DateCache
    private let requestIDs: RequestIDGenerator
    private var parser: RequestParser
    private var chunked: ChunkedDecoder
    private var head = HTTPRequestHead()
    private var body: [UInt8] = []

    private enum State: Equatable {
        /// Between requests, nothing received yet.
        case idle
        /// Some of a head received.
        case head
        case body(remaining: Int)
        case chunkedBody
        /// Handed to the responder; waiting for `complete`.
        case inFlight
        /// The last response is written or being written; nothing more is read.
        case closing
    }

    private var state = State.idle
    private var sequence: UInt64 = 0
    /// The current request's id, from its head on (a head that failed to parse gets one when refused).
    private var requestID: RequestID?
    /// The client's address, as accepted (a proxy in front of the gateway is the client here).
    let peer: SocketAddress?
    /// What the responder decided from the current request's head, until its body is whole.
    private var admission: AnyObject?
    /// What the answer needs of the current request's head, noted when it is complete: the head
    /// itself moves to the responder with the request (`dispatch`).
    private var answering = (keepAlive: false, isHead: false)
    private var servedRequests = 0
    /// The TLS handshake finished (at once for plain sockets): a close before it is a failed one.
    private var isActive = false
    /// Read at accept: a closed channel has let its TLS session go.
    private let isTLS: Bool
    private var draining = false
    /// The body being read holds this much of the server's `PendingBodyBudget`.
    private var reservedBodyBytes = 0
    /// Answers wait unread past `maxPendingOutputBytes`: no further request is parsed until the
    /// client has read them all (`channelWritable`).
    private var outputBlocked = false
    /// `process()` is on the stack.
    private var processing = false
    /// The pipelined requests one round of the loop may answer (`answersPerRound`); past them the
    /// rest of the pipeline waits for the next round (`waitingForNextRound`, `resumeAfterYield`).
    private var answers = RoundShare(limit: HTTPServerConnection.answersPerRound)
    private var waitingForNextRound = false

    /// How many answers a connection gives in one round of its loop before the rest of its pipeline
    /// waits for the next: a client pipelining thousands of requests and reading the answers as
    /// fast as they come would otherwise keep the loop's thread, and every other connection on it
    /// waits, handshakes included (842 ms behind 100,000 in `Benchmarks/attacks.py`). A client
    /// that does not pipeline never reaches it; one that does pays an `epoll_wait` per this many.
    static let answersPerRound = 16

    /// Bodies up to this size keep their buffer for the connection's next request; a larger one
    /// is given back, so an idle connection never holds a big body's memory.
    private static let retainedBodyCapacity = 4 * 1024

    init(channel: Channel, server: HTTPServer, shared: HTTPServer.LoopState, peer: SocketAddress?) {
        self.channel = channel
        self.peer = peer
        self.server = server
        self.shared = shared
        self.responder = server.responder
        self.loop = channel.loop
        self.outbound = channel.outbound
        self.byteArrays = channel.loop.byteArrays
        self.fieldLists = channel.loop.fieldLists
        self.dates = shared.dates
        self.requestIDs = shared.requestIDs
        self.isTLS = channel.isTLS
        self.parser = RequestParser(limits: server.limits.http)
        self.chunked = ChunkedDecoder(limits: server.limits.http)
        // The first head, TLS handshake included, must arrive within the header timeout.
        channel.setDeadline(afterSeconds: server.limits.headerTimeoutSeconds)
    }

    // MARK: ChannelDelegate

    func channelActive(_ channel: Channel) {
        isActive = true
        if channel.isTLS { server.statistics.recordHandshake(resumed: channel.tlsSessionReused) }
    }

    func channelRead(_ channel: Channel) {
        process()
    }

    func channelReadEOF(_ channel: Channel) {
        switch state {
        case .inFlight, .closing:
            break // answer, then close (the client may have half-closed after sending)
        case .idle, .head:
            // What it pipelined before its end is still answered, if parsing is paused.
            closeIfTheClientIsDone()
        case .body, .chunkedBody:
            channel.close(lingering: false)
        }
    }

    /// Once the client has ended its side: closes when every request it sent is answered (what
    /// is left is at most part of a head, which can no longer be completed). Not while `process()`
    /// is on the stack, which may still have requests to parse (the end can be read from inside
    /// it, by `finishExchange`'s `readMore`); it checks again when it returns.
    private func closeIfTheClientIsDone() {
        guard channel.peerClosed, !outputBlocked, !waitingForNextRound, !processing else { return }
        switch state {
        case .idle, .head: channel.close(lingering: false)
        case .body, .chunkedBody, .inFlight, .closing: break
        }
    }

    func channelWritable(_ channel: Channel) {
        guard outputBlocked else { return }
        // The client read everything it was sent: parse what it pipelined meanwhile.
        outputBlocked = false
        channel.setDeadline(afterSeconds: server.limits.idleTimeoutSeconds)
        parsePipelined()
    }

    func channelDeadline(_ channel: Channel) {
        if isWaitingForTheClientToRead, channel.peerReadSinceLastCheck() {
            // Reading slowly is not reading nothing: another period from now.
            return channel.setDeadline(afterSeconds: server.limits.idleTimeoutSeconds)
        }
        server.statistics.recordTimeout()
        switch state {
        case .idle, .inFlight:
            // Idle keep-alive, a handshake that never finished, or output nobody reads: there is
            // no request to answer. Queued output would keep a graceful close waiting forever.
            if channel.pendingOutboundBytes > 0 { channel.abort() } else { channel.close(lingering: false) }
        case .head:
            reject(.headTimeout)
        case .body, .chunkedBody:
            reject(.bodyTimeout)
        case .closing:
            // The last answer was not read within the deadline its close armed.
            channel.abort()
        }
    }

    /// Answers wait for the client to read them and nothing else is awaited from it: behind a
    /// pipeline it sent without reading, after its last request, or before a close.
    private var isWaitingForTheClientToRead: Bool {
        switch state {
        case .idle, .closing: channel.pendingOutboundBytes > 0
        case .head, .body, .chunkedBody, .inFlight: false
        }
    }

    func channelClosed(_ channel: Channel) {
        if !isActive && isTLS { server.statistics.recordHandshakeFailure() }
        releaseBodyReservation()
        shared.remove(self)
        server.connectionLimit.release()
    }

    // MARK: Parsing

    private func process() {
        // An answer given synchronously (a refusal, a responder that needs no upstream) ends in
        // `finishExchange`, which asks for the next request: the loop already on the stack takes
        // it, so a pipeline of a thousand requests is a loop, not a recursion a thousand deep.
        guard !processing else { return }
        processing = true
        defer {
            processing = false
            closeIfTheClientIsDone()
        }
        while !outputBlocked, !waitingForNextRound, !channel.inbound.isEmpty {
            let inbound = channel.inbound
            switch state {
            case .idle, .head:
                let begins = state == .idle
                state = .head
                switch parser.parseHead(inbound.readableBytes, into: &head) {
                case .incomplete:
                    // The header timeout runs from the head's first bytes. A head that came whole
                    // needs none (the deadline the request arms next replaces the idle one), and
                    // the first head's runs from the connection's start (`init`).
                    if begins && servedRequests > 0 { channel.setDeadline(afterSeconds: server.limits.headerTimeoutSeconds) }
                    return
                case .failure(let error):
                    reject(error)
                    return
                case .complete(let headLength):
                    channel.consumeInbound(headLength)
                    beginBody()
                }
            case .body(let remaining):
                let count = min(remaining, inbound.readableCount)
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: inbound.readableBytes[..<count]))
                channel.consumeInbound(count)
                if count == remaining {
                    dispatch()
                } else {
                    state = .body(remaining: remaining - count)
                }
            case .chunkedBody:
                let before = body.count
                let result = chunked.decode(inbound.readableBytes, appendingTo: &body)
                server.pendingBodies.grow(by: body.count - before)
                reservedBodyBytes += body.count - before
                switch result {
                case .incomplete(let consumed):
                    channel.consumeInbound(consumed)
                case .complete(let consumed):
                    channel.consumeInbound(consumed)
                    dispatch()
                case .failure(let error):
                    reject(error)
                    return
                }
            case .inFlight, .closing:
                return
            }
        }
    }

    /// The head is complete: refuse the request from it when the responder says so, else admit
    /// its body into the pending-body budget and start the body's deadline.
    private func beginBody() {
        answering = (head.keepAlive, head.method == .head)
        switch decide(&head) {
        case .admit(let decided):
            admission = decided
        case .refuse(let refusal):
            switch head.framing {
            case .none, .contentLength(0):
                // Nothing is left unread: an answer like any other, on a connection that stays usable.
                state = .inFlight
                return answer(refusal)
            case .contentLength, .chunked:
                return refuseAndClose(refusal)
            }
        }
        switch head.framing {
        case .none, .contentLength(0):
            return dispatch()
        case .contentLength(let length):
            guard server.pendingBodies.tryReserve(length) else { return reject(.overloaded) }
            reservedBodyBytes = length
            state = .body(remaining: length)
        case .chunked:
            guard server.pendingBodies.tryReserve(0) else { return reject(.overloaded) }
            state = .chunkedBody
        }
        // One deadline for the whole body, however steadily it trickles (API.md §2).
        channel.setDeadline(afterSeconds: server.limits.bodyTimeoutSeconds)
        sendContinueIfExpected()
    }

    /// The request's id and what the responder decides from `head`, which is the connection's, lent
    /// where it lies: `inout`, so that no one else can change it meanwhile. Handed on as the stored
    /// `var` of a class, even through a `_read` accessor, it was copied (both arrays retained and
    /// released) in case the call reached this connection again.
    private func decide(_ head: inout HTTPRequestHead) -> HeadDecision {
        let requestID = requestIDs.id(given: head.firstValue(.requestID))
        self.requestID = requestID
        return responder.admit(head, requestID: requestID, client: peer, loop: loop)
    }

    /// `Expect: 100-continue` (RFC 9110 §10.1.1): the client waits for our go-ahead before
    /// sending the body. A body over the limit was already refused with 413 by the parser.
    private func sendContinueIfExpected() {
        guard head.expectsContinue, head.version == .http1_1, channel.inbound.isEmpty else { return }
        outbound.append("HTTP/1.1 100 Continue\r\n\r\n" as StaticString)
        channel.flush()
    }

    private func dispatch() {
        state = .inFlight
        sequence &+= 1
        releaseBodyReservation() // the body is whole: it belongs to the request now
        channel.clearDeadline() // the responder's own deadlines (upstream timeout) govern now
        // The id first: read after the head, its getter (which may store a made id) had the head
        // copied once more to keep it across the call.
        let requestID = currentRequestID
        // The head and the body move into the request, and storage for the next ones comes back
        // (`HTTPResponder.respond`): copied, their arrays were retained for the request and released
        // when the responder let go of them, and an answer given at once found them still shared
        // here, where the next request is read into them.
        var request = HTTPRequest(head: HTTPRequestHead(), body: [], requestID: requestID, isTLS: channel.isTLS,
                                  client: peer, admission: admission.take())
        swap(&request.head, &head)
        swap(&request.body, &body)
        responder.respond(to: &request, exchange: HTTPExchange(connection: self, sequence: sequence))
        guard isBetweenReads else { return }
        swap(&head, &request.head)
        swap(&body, &request.body)
        // Answered at once, `finishExchange` emptied the body this one took the place of.
        if case .inFlight = state {} else { emptyBody() }
    }

    /// Whether `head` and `body` hold nothing the connection still reads: from the request's
    /// dispatch until the next head begins. So they are whenever `respond` returns, since a request
    /// is dispatched only from `process()`, which an answer given at once does not enter again (the
    /// next pipelined head is parsed by the loop already on the stack, after `respond`); checked
    /// rather than assumed, since a head or body being read would lose its bytes to the swap.
    private var isBetweenReads: Bool {
        switch state {
        case .idle, .inFlight, .closing: true
        case .head, .body, .chunkedBody: false
        }
    }

    /// The current request's id; one is made for a head that failed before it had one.
    private var currentRequestID: RequestID {
        if let requestID { return requestID }
        let made = requestIDs.next()
        requestID = made
        return made
    }

    private func releaseBodyReservation() {
        guard reservedBodyBytes > 0 else { return }
        server.pendingBodies.release(reservedBodyBytes)
        reservedBodyBytes = 0
    }

    /// A request refused before dispatch (malformed, too large, too slow, over budget).
    private func reject(_ error: HTTPParseError) {
        server.statistics.recordRejection()
        // A head that failed to parse has no id of its own yet; a body that failed does.
        refuseAndClose(responder.rejection(for: error, requestID: currentRequestID))
    }

    /// Sends `response` as the connection's last answer. The body, if any, stays unread; the
    /// lingering close drains what the client still sends so the answer reaches it.
    private func refuseAndClose(_ response: consuming HTTPResponse) {
        response.closeConnection = true
        releaseBodyReservation()
        state = .inFlight
        write(response, isHead: head.method == .head)
        state = .closing
        servedRequests += 1
        closeAfterLastAnswer(lingering: true)
    }

    /// Closes once the last answer is out; a client that doesn't read it within the idle timeout
    /// is cut off (`channelDeadline` in `.closing`).
    private func closeAfterLastAnswer(lingering: Bool) {
        channel.setDeadline(afterSeconds: server.limits.idleTimeoutSeconds)
        channel.close(lingering: lingering)
    }

    // MARK: Responding

    func complete(sequence: UInt64, with response: consuming HTTPResponse) {
        guard sequence == self.sequence, case .inFlight = state, channel.isOpen else { return }
        answer(response)
    }

    private func answer(_ response: consuming HTTPResponse) {
        // A client that ended its side gets `connection: close` on the answer to its last request.
        let close = response.closeConnection || !answering.keepAlive || draining
            || (channel.peerClosed && channel.inbound.isEmpty)
        response.closeConnection = close
        write(response, isHead: answering.isHead)
        finishExchange(close: close)
    }

    func completeRaw(sequence: UInt64, bytes: [UInt8], close: Bool) {
        guard sequence == self.sequence, case .inFlight = state, channel.isOpen else { return }
        outbound.append(bytes)
        channel.flush()
        finishExchange(close: close)
    }

    func completeRawThenReset(sequence: UInt64, bytes: [UInt8]) {
        guard sequence == self.sequence, case .inFlight = state, channel.isOpen else { return }
        outbound.append(bytes)
        channel.flush()
        state = .closing
        channel.abort()
    }

    func completeRawAndStall(sequence: UInt64, bytes: [UInt8]) {
        guard sequence == self.sequence, case .inFlight = state, channel.isOpen else { return }
        outbound.append(bytes)
        channel.flush()
        // Nothing more is read or written; the idle timeout ends it (`channelDeadline`, `.closing`).
        state = .closing
        channel.setDeadline(afterSeconds: server.limits.idleTimeoutSeconds)
    }

    /// After an answer is written: close, or get ready for the next request on the connection.
    private func finishExchange(close: Bool) {
        servedRequests += 1
        if close {
            state = .closing
            // The request was read whole; only bytes already behind it (a pipeline the client
            // sent anyway) are worth a lingering close.
            closeAfterLastAnswer(lingering: !channel.inbound.isEmpty)
            return
        }
        state = .idle
        parser.reset()
        chunked.reset()
        // The head is reset by the parser when the next request starts (it holds an earlier
        // request's, handed back by the responder, or the empty one `dispatch` left).
        emptyBody()
        requestID = nil
        admission = nil
        channel.setDeadline(afterSeconds: server.limits.idleTimeoutSeconds)
        if channel.pendingOutboundBytes >= server.limits.maxPendingOutputBytes / 2 {
            // The client is not reading its answers: stop parsing (its pipelined requests wait in
            // the inbound buffer, which then stops the socket) until it catches up. Stopping at
            // half the bound leaves room for the answer that crossed it, so the output buffer,
            // which grows by doubling, stays within the bound for answers of ordinary size.
            outputBlocked = true
            return
        }
        guard answers.take(at: loop.now) else {
            waitingForNextRound = true
            loop.yield(self)
            return
        }
        parsePipelined()
    }

    /// Ready for the next body, keeping the storage of one within `retainedBodyCapacity`.
    private func emptyBody() {
        body.removeAll(keepingCapacity: body.capacity <= Self.retainedBodyCapacity)
    }

    /// Parses a request already pipelined, then reads what the socket still holds.
    private func parsePipelined() {
        process()
        channel.readMore()
    }

    func reset(sequence: UInt64) {
        guard sequence == self.sequence, case .inFlight = state else { return }
        state = .closing
        channel.abort()
    }

    private func write(_ response: consuming HTTPResponse, isHead: Bool) {
        HTTPStatus.appendStatusLine(response.status, to: outbound)
        outbound.append("date: " as StaticString)
        dates.append(to: outbound)
        outbound.append("\r\nserver: switchyard\r\ncontent-length: " as StaticString)
        outbound.append(decimal: response.body.count)
        outbound.append("\r\nx-request-id: " as StaticString)
        outbound.append(currentRequestID)
        if response.closeConnection { outbound.append("\r\nconnection: close" as StaticString) }
        outbound.appendFieldLines(response.headers)
        outbound.append(response.encodedHeaders)
        outbound.append("\r\n\r\n" as StaticString)
        if !isHead { outbound.append(response.body) }
        byteArrays.give(moving: &response.body)
        byteArrays.give(moving: &response.encodedHeaders)
        fieldLists.give(moving: &response.headers)
        channel.flush()
    }

    // MARK: Shutdown

    /// Graceful shutdown: an idle connection closes now; one with a request under way finishes
    /// it and closes after the response.
    func drain() {
        draining = true
        switch state {
        case .idle where channel.inbound.isEmpty:
            state = .closing
            closeAfterLastAnswer(lingering: false)
        default:
            break
        }
    }
}

extension HTTPServerConnection: YieldingHandler {
    func resumeAfterYield() {
        waitingForNextRound = false
        guard channel.isOpen else { return }
        parsePipelined()
    }
}
