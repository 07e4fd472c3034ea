import COpenSSL

/// Errors drained from OpenSSL's per-thread error queue, rendered once, at the boundary.
///
/// OpenSSL reports failures through `SSL_get_error` plus a queue of packed error codes; this type
/// turns both into one value whose description names what went wrong (`certificate verify failed`,
/// `wrong version number`). The queue is per thread and a stale entry would blame the wrong
/// connection, so every failure drains it and setup calls clear it first; the hot `SSL_read` and
/// `SSL_write` rely on the queue being empty (see `TLSConnection.read`).
public struct OpenSSLError: Error, CustomStringConvertible, Sendable, Equatable {
    public var operation: String
    public var reasons: [String]

    public init(operation: String, reasons: [String]) {
        self.operation = operation
        self.reasons = reasons
    }

    /// Takes every queued error off this thread's queue.
    public static func drain(operation: String) -> OpenSSLError {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        return OpenSSLError(operation: operation, reasons: reasons)
    }

    @inlinable
    public static func clearQueue() {
        ERR_clear_error()
    }

    public var description: String {
        reasons.isEmpty ? "\(operation) failed" : "\(operation) failed: \(reasons.joined(separator: "; "))"
    }
}

/// What `SSL_get_error` said after a handshake, read or write, as a Swift enum.
enum TLSStatus {
    case wantRead
    case wantWrite
    /// The peer sent close_notify.
    case closed
    /// The transport failed (reset, EOF without close_notify) or the protocol did.
    case failed(OpenSSLError)

    static func after(_ ssl: OpaquePointer, returnCode: Int32, operation: String) -> TLSStatus {
        switch SSL_get_error(ssl, returnCode) {
        // These three push nothing on the error queue, which therefore stays empty.
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            let error = OpenSSLError.drain(operation: operation)
            return .failed(error.reasons.isEmpty ? OpenSSLError(operation: operation, reasons: ["connection closed by peer"]) : error)
        default:
            return .failed(OpenSSLError.drain(operation: operation))
        }
    }
}
