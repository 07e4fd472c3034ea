import COpenSSL

/// One TLS session over one socket: the `SSL *` and its calls, each answering with a Swift enum.
///
/// Owned by exactly one `Channel` on one loop (so never shared between threads); `free()` is
/// called once, when the channel closes.
struct TLSConnection {
    let ssl: OpaquePointer

    enum Result {
        case bytes(Int)
        case status(TLSStatus)
    }

    /// The finished handshake resumed an earlier session (a ticket) instead of a full exchange.
    var sessionReused: Bool { switchyard_SSL_session_reused(ssl) == 1 }

    /// Drives the handshake. `nil` means it finished.
    func handshake() -> TLSStatus? {
        OpenSSLError.clearQueue()
        let rc = SSL_do_handshake(ssl)
        if rc == 1 { return nil }
        return TLSStatus.after(ssl, returnCode: rc, operation: "TLS handshake")
    }

    /// No `ERR_clear_error` before `SSL_read` and `SSL_write`: a loop thread's error queue is
    /// empty between calls, because every failure drains it (`TLSStatus.after`). Clearing it
    /// anyway cost about 2% of a keep-alive request.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Result {
        let rc = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        if rc > 0 { return .bytes(Int(rc)) }
        return .status(TLSStatus.after(ssl, returnCode: rc, operation: "SSL_read"))
    }

    /// Whether OpenSSL's last read left the socket empty and OpenSSL holds nothing unread either:
    /// only a new readable edge can bring more (`switchyard_SSL_socket_drained`).
    var socketDrained: Bool { switchyard_SSL_socket_drained(ssl) == 1 }

    func write(from buffer: UnsafeRawBufferPointer) -> Result {
        let rc = SSL_write(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        if rc > 0 { return .bytes(Int(rc)) }
        return .status(TLSStatus.after(ssl, returnCode: rc, operation: "SSL_write"))
    }

    /// Gives the read and write record buffers back to the heap; OpenSSL makes new ones at the
    /// next record. False, and nothing freed, while a record is partly read or written or read
    /// records are not yet consumed.
    func freeRecordBuffers() -> Bool {
        SSL_free_buffers(ssl) == 1
    }

    /// Sends close_notify once; we never wait for the peer's (RFC 8446 §6.1 allows it).
    func shutdown() {
        OpenSSLError.clearQueue()
        _ = SSL_shutdown(ssl)
        OpenSSLError.clearQueue()
    }

    /// Why certificate verification failed (`certificate has expired`, `hostname mismatch`…), nil
    /// when it did not fail: OpenSSL's error queue only says "certificate verify failed".
    var verificationFailure: String? {
        let result = SSL_get_verify_result(ssl)
        guard result != X509_V_OK else { return nil }
        return "certificate verification failed: " + String(cString: X509_verify_cert_error_string(result))
    }

    func free() {
        SSL_free(ssl)
    }
}
