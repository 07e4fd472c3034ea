import SwitchyardIO

/// One client connection speaking HTTP/1.1: parses requests from the channel's bytes, hands each
/// complete request to the responder, writes the answers in order.
///
/// One request is in flight at a time: pipelined requests wait, unparsed, in the inbound buffer
/// until the one before them is answered, which is what keeps answers in order (RFC 9112 §9.3.2)
/// and bounds the memory a client can make us hold.
final class HTTPServerConnection: ChannelDelegate {
    let channel: Channel
    /// The server outlives its connections (it is torn down only after its loops stop).
    private unowned(unsafe) let server: HTTPServer
    private let shared: HTTPServer.LoopState
    private var parser: RequestParser
    private var chunked: ChunkedDecoder
    private var head = HTTPRequestHead()
    private var body: [UInt8] = []

    private enum State {
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
    private var requestID = ""
    private var servedRequests = 0
    private var draining = false

    init(channel: Channel, server: HTTPServer, shared: HTTPServer.LoopState) {
        self.channel = channel
        self.server = server
        self.shared = shared
        self.parser = RequestParser(limits: server.limits.http)
        self.chunked = ChunkedDecoder(limits: server.limits.http)
        // The first head, TLS handshake included, must arrive within the header timeout.
        channel.setDeadline(afterSeconds: server.limits.headerTimeoutSeconds)
    }

    // MARK: ChannelDelegate

    func channelActive(_ channel: Channel) {}

    func channelRead(_ channel: Channel) {
        process()
    }

    func channelReadEOF(_ channel: Channel) {
        switch state {
        case .inFlight, .closing:
            break // answer, then close (the client may have half-closed after sending)
        case .idle, .head, .body, .chunkedBody:
            channel.close(lingering: false)
        }
    }

    func channelWritable(_ channel: Channel) {}

    func channelDeadline(_ channel: Channel) {
        // Idle keep-alive, or a head or body that did not arrive in time (slowloris): there is
        // no request to answer, so the connection just closes.
        server.statistics.recordTimeout()
        channel.close(lingering: false)
    }

    func channelClosed(_ channel: Channel) {
        shared.remove(self)
        server.connectionLimit.release()
    }

    // MARK: Parsing

    private func process() {
        while let inbound = channel.inbound, !inbound.isEmpty {
            switch state {
            case .idle, .head:
                if case .idle = state {
                    state = .head
                    if servedRequests > 0 { channel.setDeadline(afterSeconds: server.limits.headerTimeoutSeconds) }
                }
                switch parser.parseHead(inbound.readableBytes, into: &head) {
                case .incomplete:
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
                    channel.setDeadline(afterSeconds: server.limits.headerTimeoutSeconds)
                }
            case .chunkedBody:
                switch chunked.decode(inbound.readableBytes, appendingTo: &body) {
                case .incomplete(let consumed):
                    channel.consumeInbound(consumed)
                    channel.setDeadline(afterSeconds: server.limits.headerTimeoutSeconds)
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

    private func beginBody() {
        requestID = head.firstValue("x-request-id").flatMap { RequestIDGenerator.isSane($0) ? $0 : nil }
            ?? shared.requestIDs.next()
        switch head.framing {
        case .none, .contentLength(0):
            dispatch()
        case .contentLength(let length):
            state = .body(remaining: length)
            sendContinueIfExpected()
        case .chunked:
            state = .chunkedBody
            sendContinueIfExpected()
        }
    }

    /// `Expect: 100-continue` (RFC 9110 §10.1.1): the client waits for our go-ahead before
    /// sending the body. A body over the limit was already refused with 413 by the parser.
    private func sendContinueIfExpected() {
        guard head.expectsContinue, head.version == .http1_1, channel.inbound?.isEmpty ?? true else { return }
        channel.outboundBuffer.append("HTTP/1.1 100 Continue\r\n\r\n" as StaticString)
        channel.flush()
    }

    private func dispatch() {
        state = .inFlight
        sequence &+= 1
        channel.clearDeadline() // the responder's own deadlines (upstream timeout) govern now
        let request = HTTPRequest(head: head, body: body, requestID: requestID, isTLS: channel.isTLS)
        server.responder.respond(to: request, exchange: HTTPExchange(connection: self, sequence: sequence))
    }

    private func reject(_ error: HTTPParseError) {
        server.statistics.recordRejection()
        // A head that failed to parse has no id of its own yet; a body that failed does.
        if requestID.isEmpty { requestID = shared.requestIDs.next() }
        var response = server.responder.rejection(for: error, requestID: requestID)
        response.closeConnection = true
        state = .inFlight
        write(response, isHead: false)
        state = .closing
        channel.close()
    }

    // MARK: Responding

    func complete(sequence: UInt64, with response: HTTPResponse) {
        guard sequence == self.sequence, case .inFlight = state, channel.isOpen else { return }
        let close = response.closeConnection || !head.keepAlive || draining || channel.peerClosed
        var response = response
        response.closeConnection = close
        write(response, isHead: head.method == .head)
        finishExchange(close: close)
    }

    func completeRaw(sequence: UInt64, bytes: [UInt8], close: Bool) {
        guard sequence == self.sequence, case .inFlight = state, channel.isOpen else { return }
        channel.outboundBuffer.append(bytes)
        channel.flush()
        finishExchange(close: close)
    }

    /// After an answer is written: close, or get ready for the next request on the connection.
    private func finishExchange(close: Bool) {
        servedRequests += 1
        server.statistics.recordResponse()
        if close {
            state = .closing
            // The request was read whole; only bytes already behind it (a pipeline the client
            // sent anyway) are worth a lingering close.
            channel.close(lingering: !(channel.inbound?.isEmpty ?? true))
            return
        }
        state = .idle
        parser.reset()
        chunked.reset()
        head.reset()
        body.removeAll(keepingCapacity: body.capacity <= 64 * 1024)
        requestID = ""
        channel.setDeadline(afterSeconds: server.limits.idleTimeoutSeconds)
        process()              // a pipelined request may already be waiting
        channel.readMore()     // and the socket may hold more
    }

    func reset(sequence: UInt64) {
        guard sequence == self.sequence, case .inFlight = state else { return }
        state = .closing
        channel.abort()
    }

    private func write(_ response: HTTPResponse, isHead: Bool) {
        let out = channel.outboundBuffer
        if let line = HTTPStatus.statusLines[response.status] {
            out.append(line)
        } else {
            out.append("HTTP/1.1 \(response.status) \(HTTPStatus.reasonPhrase(response.status))\r\n")
        }
        out.append("date: " as StaticString)
        out.append(shared.dates.current())
        out.append("\r\nserver: switchyard\r\ncontent-length: " as StaticString)
        out.append(decimal: response.body.count)
        out.append("\r\nx-request-id: " as StaticString)
        out.append(requestID)
        if response.closeConnection { out.append("\r\nconnection: close" as StaticString) }
        out.appendFieldLines(response.headers)
        out.append("\r\n\r\n" as StaticString)
        if !isHead { out.append(response.body) }
        channel.flush()
    }

    // MARK: Shutdown

    /// Graceful shutdown: an idle connection closes now; one with a request under way finishes
    /// it and closes after the response.
    func drain() {
        draining = true
        switch state {
        case .idle where channel.inbound?.isEmpty ?? true:
            state = .closing
            channel.close(lingering: false)
        default:
            break
        }
    }
}
