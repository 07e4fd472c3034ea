import COpenSSL
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately simple, blocking TLS client for tests: it sends exactly the bytes a test gives
/// it (malformed requests, dribbled heads, pipelines) over real TLS, verifying the gateway's
/// certificate against the test CA, and reads what comes back with a timeout.
final class TLSTestClient {
    enum Failure: Error, CustomStringConvertible {
        case connect(Int32)
        case handshake(String)
        var description: String {
            switch self {
            case .connect(let errno): "connect failed: errno \(errno)"
            case .handshake(let reason): "TLS handshake failed: \(reason)"
            }
        }
    }

    let fd: Int32
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    private var buffered: [UInt8] = []
    private(set) var peerClosed = false

    /// `receiveBufferBytes` sets `SO_RCVBUF` before connecting (so the window scale fits it): a
    /// small one leaves the answers a slow reader has not read in the gateway's send buffer.
    init(port: UInt16, caFile: String, maxVersion: Int32? = nil, session: OpaquePointer? = nil,
         receiveBufferBytes: Int32? = nil) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        if var size = receiveBufferBytes {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let error = errno
            Glibc.close(fd)
            throw Failure.connect(error)
        }
        context = SSL_CTX_new(TLS_client_method())!
        SSL_CTX_load_verify_locations(context, caFile, nil)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let maxVersion { _ = switchyard_SSL_CTX_set_max_proto_version(context, maxVersion) }
        ssl = SSL_new(context)!
        SSL_set_fd(ssl, fd)
        _ = switchyard_SSL_set_tlsext_host_name(ssl, "localhost")
        SSL_set1_host(ssl, "localhost")
        if let session { SSL_set_session(ssl, session) }
        setTimeout(5)
        ERR_clear_error()
        guard SSL_connect(ssl) == 1 else {
            var reasons: [String] = []
            while case let code = ERR_get_error(), code != 0 {
                var text = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(code, &text, text.count)
                reasons.append(text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
            }
            // Every stored property is set: Swift runs deinit for this instance, which frees
            // the SSL objects and closes the socket; freeing them here too would free them twice.
            throw Failure.handshake(reasons.joined(separator: "; "))
        }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
        Glibc.close(fd)
    }

    var protocolVersion: String { String(cString: SSL_get_version(ssl)) }
    var sessionReused: Bool { switchyard_SSL_session_reused(ssl) == 1 }
    /// The session to resume with on a new connection (a reference the caller must free).
    func session() -> OpaquePointer? { SSL_get1_session(ssl) }

    private func setTimeout(_ seconds: Double) {
        var interval = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends bytes; false if the connection is gone.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            ERR_clear_error()
            let n = bytes[offset...].withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
            if n <= 0 { return false }
            offset += Int(n)
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Sends each part as a TLS record of its own, all the records in one `write`, so they reach
    /// the peer together: OpenSSL writes them into a memory BIO put in place of the socket's.
    func sendRecords(_ parts: [String]) -> Bool {
        guard let socketBIO = SSL_get_rbio(ssl), let memory = BIO_new(BIO_s_mem()) else { return false }
        SSL_set0_wbio(ssl, memory) // drops the write side's reference to the socket BIO; the read side keeps it
        var written = true
        for part in parts {
            ERR_clear_error()
            written = written && Array(part.utf8).withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) } == Int32(part.utf8.count)
        }
        var records: UnsafeMutablePointer<CChar>?
        let count = BIO_ctrl(memory, BIO_CTRL_INFO, 0, &records)
        let bytes = records.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
        BIO_up_ref(socketBIO)
        SSL_set0_wbio(ssl, socketBIO) // frees the memory BIO
        var offset = 0
        while written, offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return false }
            offset += n
        }
        return written
    }

    /// Sends as much of `bytes` as the connection takes within `timeout` seconds (a peer that
    /// stopped reading makes the socket block), in records of at most 16 KiB; returns how many
    /// bytes went. After a short count the connection can still be read, not written.
    func send(_ bytes: [UInt8], timeout: Double) -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        var offset = 0
        while offset < bytes.count {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { break }
            setTimeout(remaining)
            let end = min(offset + 16384, bytes.count)
            ERR_clear_error()
            let n = bytes[offset..<end].withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
            if n <= 0 { break }
            offset += Int(n)
        }
        return offset
    }

    /// Ends the client's side: TLS close_notify, then a TCP half-close. Answers can still be read.
    func endSending() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Reads more bytes into the buffer; false on EOF, error or timeout.
    private func fill(deadline: Date) -> Bool {
        let remaining = deadline.timeIntervalSinceNow
        if remaining <= 0 { return false }
        setTimeout(max(0.01, remaining))
        var chunk = [UInt8](repeating: 0, count: 16384)
        ERR_clear_error()
        let n = chunk.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
        if n > 0 {
            buffered.append(contentsOf: chunk[0..<Int(n)])
            return true
        }
        let error = SSL_get_error(ssl, n)
        if error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && errno != EAGAIN && errno != EWOULDBLOCK) || error == SSL_ERROR_SSL {
            peerClosed = true
        }
        return false
    }

    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
        var bodyText: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
    }

    /// Reads one response (head, then `content-length` bytes), or nil on timeout or close.
    func readResponse(timeout: Double = 5, isHeadRequest: Bool = false) -> Response? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let end = headEnd() {
                let head = String(decoding: buffered[0..<end], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst()
                let parts = statusLine.split(separator: " ", maxSplits: 2)
                guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
                let headers: [(String, String)] = lines.compactMap { line in
                    guard let colon = line.firstIndex(of: ":") else { return nil }
                    return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
                }
                let length = isHeadRequest || status == 100 ? 0 : Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
                while buffered.count < end + 4 + length {
                    guard fill(deadline: deadline) else { return nil }
                }
                let body = Array(buffered[(end + 4)..<(end + 4 + length)])
                buffered.removeFirst(end + 4 + length)
                return Response(status: status, headers: headers, body: body)
            }
            guard fill(deadline: deadline) else { return nil }
        }
    }

    private func headEnd() -> Int? {
        guard buffered.count >= 4 else { return nil }
        for i in 0...(buffered.count - 4) where buffered[i] == 13 && buffered[i + 1] == 10 && buffered[i + 2] == 13 && buffered[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// Waits until the server closes the connection; true if it did within `timeout`. Bytes that
    /// arrive meanwhile are kept for `readResponse`.
    func waitForClose(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !peerClosed && Date() < deadline {
            _ = fill(deadline: deadline)
        }
        return peerClosed
    }

    /// Whatever has arrived and was not yet read as a response.
    var unreadBytes: [UInt8] { buffered }
}
