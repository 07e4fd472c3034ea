import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// An OpenSSL `SSL_CTX` configured once and shared by every loop.
///
/// `@unchecked Sendable` because OpenSSL documents an `SSL_CTX` as safe to use from many threads
/// once configured: we never change it after `init`, and each `SSL` made from it belongs to one
/// loop. A reload builds a new context; connections keep the one they were accepted with (each
/// `SSL` holds a reference count on its context).
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer

    /// The TLS 1.2 suites we allow: forward-secret AEAD only (Mozilla's "intermediate" list).
    /// TLS 1.3 suites are OpenSSL's defaults, all of which are AEAD.
    static let tls12Ciphers = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    /// A server context: TLS 1.2 minimum (1.0 and 1.1 are refused at the handshake), TLS 1.3
    /// preferred, ALPN `http/1.1`, stateless session tickets for resumption, an RSA or ECDSA
    /// certificate chain and its key from PEM files.
    public static func server(certificateChain: String, privateKey: String) throws -> TLSContext {
        OpenSSLError.clearQueue()
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw OpenSSLError.drain(operation: "SSL_CTX_new")
        }
        let tls = TLSContext(context: context)
        try tls.applyCommonSettings()
        // No `SSL_MODE_RELEASE_BUFFERS`: a client's connection keeps its record buffers from one
        // request to the next, and gives them back once quiet for a second (`Channel.quietSeconds`).
        // Resumption is by stateless session tickets (TLS 1.2 and 1.3; on by default in OpenSSL 3,
        // keys shared by every loop through this one context). The stateful session-id cache is
        // off: every full handshake paid for a locked insert into it, and OpenSSL walked all of it
        // every 255 handshakes, for the few TLS 1.2 clients that resume without tickets.
        _ = switchyard_SSL_CTX_set_session_cache_mode(context, switchyard_SSL_SESS_CACHE_OFF)
        _ = SSL_CTX_set_options(context, switchyard_SSL_OP_CIPHER_SERVER_PREFERENCE)
        SSL_CTX_set_alpn_select_cb(context, selectHTTP11, nil)

        OpenSSLError.clearQueue()
        guard SSL_CTX_use_certificate_chain_file(context, certificateChain) == 1 else {
            throw OpenSSLError.drain(operation: "loading the certificate chain \(certificateChain)")
        }
        guard SSL_CTX_use_PrivateKey_file(context, privateKey, SSL_FILETYPE_PEM) == 1 else {
            throw OpenSSLError.drain(operation: "loading the private key \(privateKey)")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw OpenSSLError.drain(operation: "matching the private key to the certificate")
        }
        return tls
    }

    /// A client context for upstream calls: TLS 1.2 minimum, the peer's chain verified against
    /// `caFile` (a PEM bundle) or, without one, the system trust store. There is deliberately no
    /// way to turn verification off.
    public static func client(caFile: String?) throws -> TLSContext {
        OpenSSLError.clearQueue()
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw OpenSSLError.drain(operation: "SSL_CTX_new")
        }
        let tls = TLSContext(context: context)
        try tls.applyCommonSettings()
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let caFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw OpenSSLError.drain(operation: "loading the CA bundle \(caFile)")
            }
        } else {
            guard SSL_CTX_set_default_verify_paths(context) == 1 else {
                throw OpenSSLError.drain(operation: "loading the system trust store")
            }
        }
        guard SSL_CTX_set_alpn_protos(context, http11Protocol, UInt32(http11Protocol.count)) == 0 else {
            throw OpenSSLError.drain(operation: "SSL_CTX_set_alpn_protos")
        }
        return tls
    }

    private init(context: OpaquePointer) {
        self.context = context
    }

    deinit {
        SSL_CTX_free(context)
    }

    private func applyCommonSettings() throws {
        guard switchyard_SSL_CTX_set_min_proto_version(context, switchyard_TLS1_2_VERSION) == 1 else {
            throw OpenSSLError.drain(operation: "SSL_CTX_set_min_proto_version")
        }
        _ = SSL_CTX_set_options(
            context,
            switchyard_SSL_OP_NO_COMPRESSION | switchyard_SSL_OP_NO_RENEGOTIATION
        )
        // Partial writes and a moving buffer let a connection hand SSL_write whatever its output
        // buffer holds after a compaction.
        _ = switchyard_SSL_CTX_set_mode(
            context,
            switchyard_SSL_MODE_ENABLE_PARTIAL_WRITE | switchyard_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
        )
        // Read whole socket buffers rather than a record header and then its body: one `read`
        // per burst instead of two per record (the connection reads until WANT_READ anyway, so
        // records buffered inside OpenSSL are never left behind).
        switchyard_SSL_CTX_set_read_ahead(context, 1)
        guard SSL_CTX_set_cipher_list(context, TLSContext.tls12Ciphers) == 1 else {
            throw OpenSSLError.drain(operation: "SSL_CTX_set_cipher_list")
        }
    }

    /// The socket BIO's method with its read noting whether it emptied the socket
    /// (`TLSConnection.socketDrained`): one for the process, made at the first connection. Shared
    /// by every loop's thread: OpenSSL only reads a method once it is made.
    nonisolated(unsafe) static let socketMethod: OpaquePointer = {
        guard let method = switchyard_socket_bio_method() else { preconditionFailure("BIO_meth_new failed") }
        return method
    }()

    /// A new `SSL` for an accepted socket, in server mode, reading and writing `fd` directly.
    func makeServerConnection(fd: Int32) throws -> TLSConnection {
        OpenSSLError.clearQueue()
        guard let ssl = SSL_new(context) else { throw OpenSSLError.drain(operation: "SSL_new") }
        guard switchyard_SSL_set_socket(ssl, fd, Self.socketMethod) == 1 else {
            SSL_free(ssl)
            throw OpenSSLError.drain(operation: "SSL_set_bio")
        }
        SSL_set_accept_state(ssl)
        return TLSConnection(ssl: ssl)
    }
}

extension TLSContext {
    /// A new `SSL` for a connecting socket, in client mode. `serverName` is sent as SNI (for a
    /// DNS name) and is what the certificate must match: a DNS SAN, or an IP SAN when it is an
    /// address literal.
    func makeClientConnection(fd: Int32, serverName: String) throws -> TLSConnection {
        OpenSSLError.clearQueue()
        guard let ssl = SSL_new(context) else { throw OpenSSLError.drain(operation: "SSL_new") }
        var ok = switchyard_SSL_set_socket(ssl, fd, Self.socketMethod) == 1
        let bare = serverName.hasPrefix("[") ? String(serverName.dropFirst().dropLast()) : serverName
        if SocketAddress(numericHost: bare, port: 0) != nil {
            ok = ok && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), bare) == 1
        } else {
            ok = ok && switchyard_SSL_set_tlsext_host_name(ssl, bare) == 1 && SSL_set1_host(ssl, bare) == 1
        }
        guard ok else {
            SSL_free(ssl)
            throw OpenSSLError.drain(operation: "preparing TLS for \(serverName)")
        }
        SSL_set_connect_state(ssl)
        return TLSConnection(ssl: ssl)
    }
}

/// The ALPN wire form of the one protocol we speak.
private let http11Protocol: [UInt8] = [8] + Array("http/1.1".utf8)

/// ALPN selection: `http/1.1` when the client offers it. A client that offers ALPN without
/// `http/1.1` (only `h2`, say) cannot talk to us, and RFC 7301 §3.2 says to end the handshake
/// with `no_application_protocol` rather than let it fail later on the first request.
private func selectHTTP11(
    _ ssl: OpaquePointer?,
    _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt8>?,
    _ offered: UnsafePointer<UInt8>?,
    _ offeredLength: UInt32,
    _ argument: UnsafeMutableRawPointer?
) -> Int32 {
    guard let offered, let out, let outLength else { return SSL_TLSEXT_ERR_NOACK }
    var index = 0
    let total = Int(offeredLength)
    while index < total {
        let length = Int(offered[index])
        let start = index + 1
        guard start + length <= total else { return SSL_TLSEXT_ERR_ALERT_FATAL }
        if length == 8 && memcmp(offered + start, http11Protocol.withUnsafeBufferPointer { $0.baseAddress! + 1 }, 8) == 0 {
            out.pointee = offered + start
            outLength.pointee = 8
            return SSL_TLSEXT_ERR_OK
        }
        index = start + length
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL
}
