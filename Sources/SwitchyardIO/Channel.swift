#if canImport(Glibc)
import Glibc
#endif

/// What a protocol (HTTP) does with a channel's bytes. Called on the channel's loop only.
public protocol ChannelDelegate: AnyObject {
    /// The TLS handshake finished (at once for plain sockets); bytes may follow.
    func channelActive(_ channel: Channel)
    /// New bytes are in `channel.inbound`; consume what you can. Bytes you leave stay for next time.
    func channelRead(_ channel: Channel)
    /// The peer will send nothing more (FIN or close_notify). Outbound still works.
    func channelReadEOF(_ channel: Channel)
    /// Output that was held up by a full socket has all been written.
    func channelWritable(_ channel: Channel)
    /// The deadline set with `setDeadline` passed.
    func channelDeadline(_ channel: Channel)
    /// The fd is closed; drop every reference to the channel.
    func channelClosed(_ channel: Channel)
}

/// One accepted stream socket, TLS or plain, on one loop: reads into a pooled buffer, writes from
/// another, closes gracefully (flush, close_notify, FIN, linger) or abortively.
///
/// Registered with epoll once, edge-triggered, for both directions. Every read loops until
/// `EAGAIN` (or `WANT_READ`), because bytes already inside OpenSSL raise no new event; when the
/// inbound buffer is full it stops and remembers (`readPending`) until the delegate consumed
/// some and calls `readMore()`.
public final class Channel: EventHandler {
    /// Strong, though the loop holds the channel too (its handler, until the channel closes):
    /// a strong `let` is lent to each call on it as it is, where an `unowned(unsafe)` one is
    /// retained and released around every use, the checked `unowned` dearer still.
    public let loop: EventLoop
    public let fd: Int32
    public var delegate: (any ChannelDelegate)?

    private var tls: TLSConnection?
    private var registration: Registration?
    /// Why the channel closed; set before `channelClosed` is called, for the layer above to
    /// classify (an upstream call maps these to `upstream_unavailable`).
    public private(set) var closeReason: CloseReason?

    public enum CloseReason: Sendable, Equatable, CustomStringConvertible {
        /// `close()` or `abort()` on our side.
        case local
        /// The peer closed (FIN or close_notify) and we finished with it.
        case peerClosed
        /// The TCP connect failed (`ECONNREFUSED`, `ENETUNREACH`, …).
        case connectFailed(errno: Int32)
        /// The TLS handshake failed: a bad chain, an expired certificate, a name mismatch, a
        /// protocol error. The text is OpenSSL's own.
        case handshakeFailed(String)
        /// Reading or writing failed (reset by peer, broken pipe).
        case ioFailed(errno: Int32)

        public var description: String {
            switch self {
            case .local: "closed here"
            case .peerClosed: "closed by the peer"
            case .connectFailed(let errno): "connect failed: \(String(cString: strerror(errno))) (errno \(errno))"
            case .handshakeFailed(let reason): "TLS handshake failed: \(reason)"
            case .ioFailed(let errno): "\(String(cString: strerror(errno))) (errno \(errno))"
            }
        }
    }
    /// Bytes received and not yet consumed. Its storage is the loop's, lent while it holds bytes
    /// (`ByteBuffer`), so idle connections hold none.
    public let inbound: ByteBuffer
    /// The output to send: append to it, then `flush()`. Its storage is lent like `inbound`'s.
    public let outbound: ByteBuffer

    private enum State { case connecting, handshaking, open, lingering, closed }
    private var state: State
    private var readPending = false
    /// The reads one round of the loop may make (`readsPerRound`); past them reading waits for
    /// the next round (`readYielded`, `resumeAfterYield`).
    private var reads = RoundShare(limit: Channel.readsPerRound)
    private var readYielded = false
    private var readBlockedOnWrite = false
    private var writeBlockedOnRead = false
    private var writeBlocked = false
    private var closeAfterFlush = false
    private var lingerAfterFlush = true
    public private(set) var peerClosed = false

    /// How long a closing connection keeps draining what the peer still sends, so that our last
    /// response is not destroyed by a reset (RFC 9112 §9.6); bounded so it can't pin a slot.
    public static let lingerSeconds = 2.0
    private static let lingerDiscardLimit = 1 << 20
    private var lingerDiscarded = 0

    /// How long an accepted TLS connection waits at one deadline (no request begun or answered
    /// meanwhile, since each sets a deadline) before it gives OpenSSL's record buffers back: 16 KiB
    /// or more each way, otherwise kept from one request to the next (`SSL_MODE_RELEASE_BUFFERS`,
    /// which gives them back after every record, cost two allocations of 16 KiB and 1.7% of a
    /// request's instructions). A body still arriving then makes them again at its next record, once
    /// a second at most. Vendors' own connections keep theirs: they are few, pooled and busy.
    public static let quietSeconds = 1.0
    /// Accepted TLS connections give their record buffers back once quiet (`quietSeconds`).
    private let releasesRecordBuffersWhenQuiet: Bool
    /// OpenSSL may hold record buffers: set by a handshake, a read or a write, cleared when they
    /// are given back.
    private var recordBuffersHeld = false
    /// The deadline the delegate set (0 for none).
    private var deadline: UInt64 = 0
    /// The loop holds the quiet mark (`quietSeconds` on), earlier than `deadline`: when it passes,
    /// the record buffers go back and `deadline` is armed in its place.
    private var quietMarkArmed = false

    /// Takes ownership of an accepted `fd` and registers it with `loop`.
    /// On failure the fd is closed.
    public convenience init(fd: Int32, loop: EventLoop, tls context: TLSContext?) throws {
        let connection: TLSConnection?
        do {
            connection = try context.map { try $0.makeServerConnection(fd: fd) }
        } catch {
            Socket.close(fd)
            throw error
        }
        try self.init(fd: fd, loop: loop, tls: connection, connecting: false, releasesRecordBuffersWhenQuiet: connection != nil)
    }

    /// Starts a non-blocking connect to `address`; with `tls`, a TLS client handshake follows
    /// that verifies the peer's chain and `serverName` (never optional). `channelActive` says
    /// when both are done; a failure closes the channel with its `closeReason`. Throws only when
    /// the connect fails at once (no socket, or refused synchronously on loopback).
    public static func connect(
        to address: SocketAddress, loop: EventLoop, tls: (context: TLSContext, serverName: String)?
    ) throws -> Channel {
        let fd = try Socket.connect(to: address)
        let connection: TLSConnection?
        do {
            connection = try tls.map { try $0.context.makeClientConnection(fd: fd.descriptor, serverName: $0.serverName) }
        } catch {
            Socket.close(fd.descriptor)
            throw error
        }
        return try Channel(fd: fd.descriptor, loop: loop, tls: connection, connecting: fd.inProgress, releasesRecordBuffersWhenQuiet: false)
    }

    private init(fd: Int32, loop: EventLoop, tls: TLSConnection?, connecting: Bool, releasesRecordBuffersWhenQuiet: Bool) throws {
        self.fd = fd
        self.loop = loop
        self.inbound = ByteBuffer(lendingFrom: loop.readBuffers)
        self.outbound = ByteBuffer(lendingFrom: loop.writeBuffers)
        self.tls = tls
        self.releasesRecordBuffersWhenQuiet = releasesRecordBuffersWhenQuiet
        self.state = connecting ? .connecting : (tls == nil ? .open : .handshaking)
        Socket.setNoDelay(fd)
        do {
            self.registration = try loop.register(fd: fd, events: .stream, handler: self)
        } catch {
            tls?.free()
            Socket.close(fd)
            throw error
        }
    }

    public var isOpen: Bool { state == .open || state == .handshaking || state == .connecting }
    public var isTLS: Bool { tls != nil }
    /// The TLS handshake resumed a session; false for plain sockets and before the handshake.
    public var tlsSessionReused: Bool { tls?.sessionReused ?? false }
    public var pendingOutboundBytes: Int { outbound.readableCount }
    /// What the peer had acknowledged when output last blocked or was last checked
    /// (`peerReadSinceLastCheck`).
    private var acknowledgedAtCheck: UInt64 = 0

    // MARK: Events

    public func handleEvents(_ events: EpollEvents) {
        switch state {
        case .connecting:
            finishConnect()
        case .handshaking:
            continueHandshake()
        case .open:
            if events.contains(.writable) || (writeBlockedOnRead && events.contains(.readable)) {
                if outbound.hasStorage { flush() }
            }
            guard state == .open else { return }
            if !events.isDisjoint(with: [.readable, .readHangup, .hangup, .error])
                || (readBlockedOnWrite && events.contains(.writable)) {
                readBlockedOnWrite = false
                readAvailable(drainedEndsRound: events.isDisjoint(with: [.readHangup, .hangup, .error]))
            }
        case .lingering:
            drainLinger()
        case .closed:
            break
        }
    }

    public func handleDeadline() {
        switch state {
        case .lingering: closeNow()
        case .closed: break
        case .open where quietMarkArmed:
            giveRecordBuffersBack()
            armDeadline()
        case .connecting, .handshaking, .open: delegate?.channelDeadline(self)
        }
    }

    /// The connect finished one way or the other: epoll reports writable (or an error).
    private func finishConnect() {
        if let error = Socket.pendingError(fd) {
            closeReason = .connectFailed(errno: error)
            closeNow()
            return
        }
        if tls != nil {
            state = .handshaking
            continueHandshake()
        } else {
            state = .open
            delegate?.channelActive(self)
            if state == .open { readAvailable() }
        }
    }

    private func continueHandshake() {
        guard let tls else { return }
        recordBuffersHeld = true
        if let status = tls.handshake() {
            switch status {
            case .wantRead, .wantWrite:
                return
            case .closed:
                closeReason = .handshakeFailed("the peer closed the connection during the handshake")
                abort(keepingReason: true)
                return
            case .failed(let error):
                // Plain HTTP, garbage, TLS 1.1 or a failed negotiation: nothing can be said to
                // this peer in a protocol it understands, so it is dropped. On the client side
                // this is a bad chain, an expired certificate or a name mismatch.
                closeReason = .handshakeFailed(tls.verificationFailure ?? error.description)
                abort(keepingReason: true)
                return
            }
        }
        state = .open
        delegate?.channelActive(self)
        if state == .open { readAvailable() }
        // The handshake's buffers go back at once rather than when quiet: a burst of new
        // connections would otherwise hold a second's worth of them (a tenth more memory for each
        // of 10,000 connections opened together, `Benchmarks/run.sh --only idle`). The deadline set
        // during the handshake is armed again: with a quiet mark if the buffers could not go back.
        if releasesRecordBuffersWhenQuiet, state == .open {
            giveRecordBuffersBack()
            armDeadline()
        }
    }

    // MARK: Reading

    /// Reads what the socket (and OpenSSL) holds, then hands it to the delegate. With
    /// `drainedEndsRound` (an event that tells of no hang-up, whose end of file only a further read
    /// would find), a read that left the socket empty ends the round: bytes that come later raise a
    /// new edge. That saves the read that would only say EAGAIN — one system call a request. A
    /// plain socket is empty when a read comes back short of the space offered (TCP gives what is
    /// queued up to the space); a TLS one when OpenSSL's own read of it came back short and OpenSSL
    /// holds nothing unread (`TLSConnection.socketDrained`).
    private func readAvailable(drainedEndsRound: Bool = false) {
        guard state == .open, !peerClosed, !readYielded else { return }
        readPending = false
        recordBuffersHeld = true
        var eof = false
        var failure: Int32?
        while state == .open {
            inbound.attachStorage()
            let before = inbound.readableCount
            var full = false
            readLoop: while true {
                if inbound.writableCount == 0 { inbound.compact() }
                if inbound.writableCount == 0 {
                    full = true
                    break
                }
                guard reads.take(at: loop.now) else {
                    readYielded = true
                    break
                }
                let space = inbound.writableCount
                switch readOnce(into: inbound.writableBytes) {
                case .bytes(let count):
                    inbound.didWrite(count)
                    if drainedEndsRound && (tls.map(\.socketDrained) ?? (count < space)) { break readLoop }
                case .wouldBlock:
                    break readLoop
                case .endOfFile:
                    eof = true
                    break readLoop
                case .failed(let error):
                    failure = error
                    break readLoop
                }
            }
            // Bytes read before a reset are handed over first: a peer that answered and then
            // reset must be judged by its answer (a cut or garbled one is the peer's error, not a
            // connection that failed before answering).
            let received = inbound.readableCount > before
            if received { delegate?.channelRead(self) }
            if let failure, state == .open {
                closeReason = .ioFailed(errno: failure)
                closeNow()
            }
            guard state == .open else { return }
            if readYielded {
                loop.yield(self)
                break
            }
            // A full buffer the delegate drained may hide more bytes in the socket; with edge
            // triggering nobody would tell us, so go round again.
            if full {
                if inbound.writableCount == 0 && inbound.readerIndex == 0 {
                    readPending = true
                    break
                }
                continue
            }
            break
        }
        if eof {
            peerClosed = true
            delegate?.channelReadEOF(self)
        }
        releaseInboundIfEmpty()
    }

    /// How many reads one round of the loop makes on a channel before the rest waits for the next
    /// round, after the other channels' events. A read takes up to a buffer (32 KiB), so a peer
    /// sending at full speed gets 2 MiB a round; but one sending 1-byte TLS records gets a byte a
    /// read, at about a microsecond each: a 1 MiB body sent so would hold the loop for a second.
    static let readsPerRound = 64

    private func readOnce(into buffer: UnsafeMutableRawBufferPointer) -> Socket.IOResult {
        guard let tls else { return Socket.read(fd, into: buffer) }
        switch tls.read(into: buffer) {
        case .bytes(let count): return .bytes(count)
        case .status(.wantRead): return .wouldBlock
        case .status(.wantWrite):
            readBlockedOnWrite = true
            return .wouldBlock
        case .status(.closed): return .endOfFile
        case .status(.failed): return .failed(ECONNRESET)
        }
    }

    /// Resumes reading after the delegate consumed bytes from a full buffer.
    public func readMore() {
        if readPending { readAvailable() }
    }

    private func releaseInboundIfEmpty() {
        if inbound.isEmpty { inbound.releaseStorage() }
    }

    /// Drops `count` consumed bytes from `inbound`.
    public func consumeInbound(_ count: Int) {
        inbound.consume(count)
    }

    // MARK: Writing

    /// Writes as much of the output as the socket takes now; the rest goes when epoll says
    /// writable.
    public func flush() {
        guard state == .open, outbound.hasStorage else { return }
        recordBuffersHeld = true
        while outbound.readableCount > 0 {
            switch writeOnce(from: outbound.readableBytes) {
            case .bytes(let count):
                outbound.consume(count)
            case .wouldBlock:
                if !writeBlocked { acknowledgedAtCheck = Socket.bytesAcknowledged(fd) ?? 0 }
                writeBlocked = true
                return
            case .endOfFile:
                closeReason = .peerClosed
                closeNow()
                return
            case .failed(let error):
                closeReason = .ioFailed(errno: error)
                closeNow()
                return
            }
        }
        outbound.releaseStorage()
        writeBlockedOnRead = false
        let wasBlocked = writeBlocked
        writeBlocked = false
        if closeAfterFlush {
            beginLinger()
        } else if wasBlocked {
            delegate?.channelWritable(self)
        }
    }

    /// Whether the peer took in more of our output since it last blocked or since the last call:
    /// how a deadline tells a peer that reads slowly from one that reads nothing. Our own writes
    /// cannot tell: the two kernels buffer megabytes between them (4 MiB of send buffer by
    /// default), so a peer reading a few hundred KiB a second leaves no room for a write for
    /// many seconds. Its TCP acknowledges each byte it has room for, as it reads.
    public func peerReadSinceLastCheck() -> Bool {
        guard let acknowledged = Socket.bytesAcknowledged(fd), acknowledged != acknowledgedAtCheck else { return false }
        acknowledgedAtCheck = acknowledged
        return true
    }

    private func writeOnce(from buffer: UnsafeRawBufferPointer) -> Socket.IOResult {
        guard let tls else { return Socket.write(fd, from: buffer) }
        switch tls.write(from: buffer) {
        case .bytes(let count): return .bytes(count)
        case .status(.wantWrite): return .wouldBlock
        case .status(.wantRead):
            writeBlockedOnRead = true
            return .wouldBlock
        case .status(.closed): return .endOfFile
        case .status(.failed): return .failed(EPIPE)
        }
    }

    // MARK: Deadlines

    /// An absolute deadline on the monotonic clock (`MonotonicClock.now()` nanoseconds).
    public func setDeadline(at deadline: UInt64) {
        self.deadline = deadline
        armDeadline()
    }

    public func setDeadline(afterSeconds seconds: Double) {
        setDeadline(at: loop.now &+ MonotonicClock.nanoseconds(seconds: seconds))
    }

    public func clearDeadline() {
        setDeadline(at: 0)
    }

    /// Arms the delegate's deadline, or the quiet mark before it while OpenSSL may hold record
    /// buffers. No deadline at all is a request in flight, which is not quiet.
    private func armDeadline() {
        guard let registration else { return }
        let quiet = loop.now &+ MonotonicClock.nanoseconds(seconds: Channel.quietSeconds)
        quietMarkArmed = releasesRecordBuffersWhenQuiet && recordBuffersHeld && state == .open && deadline > quiet
        loop.setDeadline(registration, at: quietMarkArmed ? quiet : deadline)
    }

    /// OpenSSL's record buffers back to the heap, unless a record is partly read or written (then
    /// at the next quiet mark). Nothing of ours is waiting to be written or read either.
    private func giveRecordBuffersBack() {
        guard let tls, !outbound.hasStorage, !inbound.hasStorage else { return }
        if tls.freeRecordBuffers() { recordBuffersHeld = false }
    }

    // MARK: Closing

    /// Sends what is queued, then close_notify and FIN. With `lingering`, it then drains the
    /// peer for a moment before closing, so the last response arrives even if the peer was still
    /// sending (closing with unread data makes the kernel send a reset, which can destroy a
    /// response the peer has not read yet). Without, it closes at once: right when the peer
    /// has sent everything it meant to (a complete request with `Connection: close`), and one
    /// wake-up and one read cheaper per connection.
    public func close(lingering: Bool = true) {
        switch state {
        case .connecting, .handshaking:
            abort()
        case .open:
            closeAfterFlush = true
            lingerAfterFlush = lingering
            if outbound.hasStorage { flush() } else { beginLinger() }
        case .lingering, .closed:
            break
        }
    }

    /// Closes at once with a reset: for peers that broke the protocol or timed out.
    public func abort() {
        abort(keepingReason: false)
    }

    private func abort(keepingReason: Bool) {
        guard state != .closed else { return }
        if !keepingReason { closeReason = .local }
        closeNow(reset: true)
    }

    private func beginLinger() {
        guard state == .open else { return }
        tls?.shutdown()
        Socket.shutdownWrite(fd)
        state = .lingering
        inbound.releaseStorage()
        if peerClosed || !lingerAfterFlush {
            closeNow()
            return
        }
        setDeadline(afterSeconds: Channel.lingerSeconds)
        drainLinger()
    }

    private func drainLinger() {
        // Read into `inbound`'s storage and never count it: the bytes are discarded as they come.
        inbound.attachStorage()
        defer { inbound.releaseStorage() }
        while state == .lingering {
            switch Socket.read(fd, into: inbound.writableBytes) {
            case .bytes(let count):
                lingerDiscarded += count
                if lingerDiscarded > Channel.lingerDiscardLimit { closeNow() }
            case .wouldBlock:
                return
            case .endOfFile, .failed:
                closeNow()
            }
        }
    }

    private func closeNow(reset: Bool = false) {
        guard state != .closed else { return }
        if closeReason == nil { closeReason = peerClosed ? .peerClosed : .local }
        state = .closed
        if let registration { loop.deregister(registration) }
        registration = nil
        tls?.free()
        tls = nil
        if reset { Socket.abort(fd) } else { Socket.close(fd) }
        inbound.releaseStorage()
        outbound.releaseStorage()
        let delegate = self.delegate
        self.delegate = nil
        delegate?.channelClosed(self)
    }
}

extension Channel: YieldingHandler {
    public func resumeAfterYield() {
        readYielded = false
        readAvailable()
    }
}
