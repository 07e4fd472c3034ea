import SwitchyardTestSupport
import CLinux
import COpenSSL
import SwitchyardHTTP
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The TLS listener as real clients see it: curl over TLS 1.2 and 1.3, `openssl s_client`
/// refused at TLS 1.1, ALPN, resumption, and peers that don't speak TLS at all.
final class TLSTests: XCTestCase {
    static let gateway = Shared<GatewayProcess>()

    var gateway: GatewayProcess { get throws { try TLSTests.gateway.get { try GatewayProcess() } } }

    override class func tearDown() {
        gateway.reset()
    }

    func testCurlOverTLS13GetsAProblemDocument() throws {
        let result = try gateway.curl("/nowhere", ["-i", "-v", "--tlsv1.3"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertTrue(result.error.contains("SSL connection using TLSv1.3"), result.error)
        XCTAssertTrue(result.error.contains("ALPN: server accepted http/1.1"), result.error)
        XCTAssertTrue(result.output.hasPrefix("HTTP/1.1 404 Not Found\r\n"), result.output)
        XCTAssertTrue(result.output.contains("content-type: application/problem+json\r\n"), result.output)
        let body = try XCTUnwrap(result.output.components(separatedBy: "\r\n\r\n").last)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        XCTAssertEqual(json["status"] as? Int, 404)
        XCTAssertEqual(json["code"] as? String, "not_found")
        XCTAssertEqual(json["type"] as? String, "https://switchyard.dev/problems/not-found")
        XCTAssertEqual(json["title"] as? String, "Not found")
        XCTAssertNotNil(json["detail"] as? String)
        let requestID = try XCTUnwrap(json["requestId"] as? String)
        XCTAssertTrue(result.output.contains("x-request-id: \(requestID)\r\n"), result.output)
    }

    /// Idle TLS connections hold no record buffers of OpenSSL's (16 KiB and more each way): a new
    /// connection gives its handshake's back at once, and one that has been answered gives its own
    /// back once quiet for `Channel.quietSeconds`. 300 connections, one 14 KB request each and then
    /// idle, cost under 42 KiB each (30 measured; 51 with the handshake's buffers kept until quiet,
    /// and the test fails so). After the quiet mark each still takes its next request.
    func testIdleConnectionsHoldNoRecordBuffers() throws {
        let gateway = try GatewayProcess(configuration: GatewayProcess.configuration(
            limits: "maxHeaderBytes: 16384, headerTimeoutSeconds: 60, idleTimeoutSeconds: 60", workers: 1))
        defer { gateway.stop() }
        // A head of 14 KB fills most of a read record buffer, so that its pages are resident.
        let request = "GET /x HTTP/1.1\r\nHost: localhost\r\nX-Padding: \(String(repeating: "p", count: 14_000))\r\n\r\n"
        let first = try gateway.client()
        XCTAssertTrue(first.send(request))
        XCTAssertEqual(first.readResponse(timeout: 5)?.status, 404)
        let rest = gateway.residentKiB
        var idle: [TLSTestClient] = []
        for _ in 0..<300 {
            let client = try gateway.client()
            XCTAssertTrue(client.send(request))
            XCTAssertEqual(client.readResponse(timeout: 5)?.status, 404)
            idle.append(client)
        }
        var perConnection = 0.0
        // Shorter than the heap's trim period (10 s), which would hide buffers freed late.
        let small = eventually(5) {
            perConnection = Double(gateway.residentKiB - rest) / Double(idle.count)
            return perConnection < 42
        }
        XCTAssertTrue(small, "\(perConnection) KiB for each idle connection (rest \(rest) KiB)")
        // Past every connection's quiet mark (and a tick of the loop's wheel): given back, not lost.
        Thread.sleep(forTimeInterval: 1.5)
        for client in idle.prefix(20) {
            XCTAssertTrue(client.send(request))
            XCTAssertEqual(client.readResponse(timeout: 5)?.status, 404)
        }
        XCTAssertEqual(gateway.metric("switchyard_connections_active{listener=\"tls\"}"), idle.count + 1)
    }

    /// An answered connection keeps OpenSSL's record buffers while busy and gives them back once
    /// quiet for `Channel.quietSeconds`: the release itself, which the resident size above cannot
    /// tell apart within the heap's trim period. Server and clients run in this process, so the live
    /// heap (`mallinfo2`, every arena: `switchyard_malloc_used_bytes`) shows it. 40 connections, each answered once and then idle:
    /// the heap must shrink by at least one 16 KiB buffer a connection after the quiet mark (two are
    /// given back, about 34 KB; without the release it does not shrink at all). Then each connection
    /// still takes a request.
    func testAQuietConnectionGivesItsRecordBuffersBack() throws {
        let server = try UpstreamTestServer { _, exchange, _ in exchange.respond(HTTPResponse(status: 200, body: Array("ok".utf8))) }
        defer { server.stop() }
        let request = "GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n"
        var clients: [TLSTestClient] = []
        for _ in 0..<40 {
            let client = try TLSTestClient(port: server.port, caFile: TestEnvironment.caFile)
            // Twice: a first request that arrives with the handshake's last flight is answered
            // before the handshake's buffers go back, and goes with them.
            for _ in 0..<2 {
                XCTAssertTrue(client.send(request))
                XCTAssertEqual(client.readResponse(timeout: 5)?.status, 200)
            }
            clients.append(client)
        }
        let busy = Self.liveHeapBytes()
        var released = 0
        // The last connection's mark is a second after its answer, and the wheel ticks every 100 ms.
        let shrank = eventually(3) {
            released = busy - Self.liveHeapBytes()
            return released >= clients.count * 16_384
        }
        XCTAssertTrue(shrank, "the live heap shrank by \(released) bytes after the quiet mark, \(released / clients.count) a connection")
        for client in clients {
            XCTAssertTrue(client.send(request))
            XCTAssertEqual(client.readResponse(timeout: 5)?.status, 200)
        }
    }

    private static func liveHeapBytes() -> Int {
        Int(switchyard_malloc_used_bytes())
    }

    /// The socket BIO under every TLS connection says the kernel never carries its records and
    /// refuses to be switched to kernel TLS (so OpenSSL keeps the records in user space, where the
    /// gateway reads and writes them, and its answer to OpenSSL's questions stays true), and passes
    /// every other control on to the socket BIO: the descriptor it reports is the socket's.
    func testTheSocketBIORefusesKernelTLSAndPassesOtherControlsOn() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        let method = try XCTUnwrap(switchyard_socket_bio_method())
        defer { BIO_meth_free(method) }
        let bio = try XCTUnwrap(BIO_new(method))
        defer { BIO_free(bio) }
        var socket = fds[0]
        XCTAssertEqual(BIO_ctrl(bio, BIO_C_SET_FD, Int(BIO_NOCLOSE), &socket), 1)
        var reported: Int32 = -1
        XCTAssertEqual(BIO_ctrl(bio, BIO_C_GET_FD, 0, &reported), Int(fds[0]))
        XCTAssertEqual(reported, fds[0])
        XCTAssertEqual(BIO_ctrl(bio, BIO_CTRL_GET_KTLS_SEND, 0, nil), 0)
        XCTAssertEqual(BIO_ctrl(bio, BIO_CTRL_GET_KTLS_RECV, 0, nil), 0)
        XCTAssertEqual(BIO_ctrl(bio, SWITCHYARD_BIO_CTRL_SET_KTLS, 1, nil), 0, "switched to kernel TLS")
        XCTAssertEqual(BIO_ctrl(bio, BIO_CTRL_GET_KTLS_SEND, 0, nil), 0)
    }

    func testCurlOverTLS12() throws {
        let result = try gateway.curl("/devices", ["-i", "-v", "--tlsv1.2", "--tls-max", "1.2", "-X", "POST",
                                                   "-H", "content-type: application/json", "-d", "{}"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertTrue(result.error.contains("SSL connection using TLSv1.2"), result.error)
        XCTAssertTrue(result.output.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"), result.output)
        XCTAssertTrue(result.output.contains("\"code\":\"unauthenticated\""), result.output)
    }

    func testTLS11IsRefused() throws {
        let gateway = try self.gateway
        // SECLEVEL=0 lets the client offer TLS 1.1 at all; the refusal must come from the server.
        let result = TestEnvironment.run("openssl", ["s_client", "-connect", "127.0.0.1:\(gateway.port)", "-tls1_1",
                                                     "-cipher", "DEFAULT@SECLEVEL=0", "-servername", "localhost"],
                                         input: "", timeout: 10)
        XCTAssertNotEqual(result.status, 0)
        let transcript = result.output + result.error
        XCTAssertTrue(transcript.contains("alert protocol version") || transcript.contains("unsupported protocol"), transcript)
        XCTAssertTrue(transcript.contains("Cipher is (NONE)"), "no session was established: \(transcript)")
        // And the gateway still serves everyone else.
        XCTAssertEqual(gateway.curl("/x", ["-o", "/dev/null", "-w", "%{http_code}"]).output, "404")
    }

    func testPlainHTTPAndGarbageAreDroppedAndServiceContinues() throws {
        let gateway = try self.gateway
        for payload in ["GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "\u{16}\u{03}\u{01}\u{00}\u{05}garbage-garbage-garbage\r\n\r\n"] {
            let reply = try RawTCP.exchange(port: gateway.port, send: Array(payload.utf8), timeout: 5)
            XCTAssertFalse(String(decoding: reply.bytes, as: UTF8.self).contains("HTTP/1.1"), "no HTTP answer on the TLS port")
            XCTAssertTrue(reply.closed, "the connection is dropped")
        }
        let result = gateway.curl("/x", ["-o", "/dev/null", "-w", "%{http_code}"])
        XCTAssertEqual(result.output, "404", result.error)
    }

    func testOnlyH2OfferedIsRefusedByALPN() throws {
        let gateway = try self.gateway
        let result = TestEnvironment.run("openssl", ["s_client", "-connect", "127.0.0.1:\(gateway.port)", "-alpn", "h2",
                                                     "-servername", "localhost", "-CAfile", TestEnvironment.caFile],
                                         input: "", timeout: 10)
        XCTAssertTrue((result.output + result.error).contains("no application protocol"), result.output + result.error)
    }

    func testSessionResumption() throws {
        let gateway = try self.gateway
        for version in [TLS1_2_VERSION, TLS1_3_VERSION] {
            let first = try gateway.client(maxVersion: version)
            first.send("GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n")
            XCTAssertEqual(first.readResponse()?.status, 404) // TLS 1.3 tickets arrive after the handshake
            let session = try XCTUnwrap(first.session())
            defer { SSL_SESSION_free(session) }
            let second = try TLSTestClient(port: gateway.port, caFile: TestEnvironment.caFile, maxVersion: version, session: session)
            XCTAssertTrue(second.sessionReused, "resumed at version \(version)")
            second.send("GET /b HTTP/1.1\r\nHost: localhost\r\n\r\n")
            XCTAssertEqual(second.readResponse()?.status, 404)
        }
    }

    func testRSACertificate() throws {
        let directory = TestEnvironment.temporaryDirectory("rsa")
        let made = TestEnvironment.run(TestEnvironment.repositoryRoot.appendingPathComponent("certs/make-dev-certs.sh").path,
                                       ["--out", directory.path, "--rsa"])
        XCTAssertEqual(made.status, 0, made.error)
        let config = GatewayProcess.configuration()
            .replacingOccurrences(of: TestEnvironment.serverCertificate, with: directory.appendingPathComponent("server.crt").path)
            .replacingOccurrences(of: TestEnvironment.serverKey, with: directory.appendingPathComponent("server.key").path)
        let gateway = try GatewayProcess(configuration: config)
        let result = TestEnvironment.run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}",
                                                  "--cacert", directory.appendingPathComponent("ca.crt").path,
                                                  "--resolve", "localhost:\(gateway.port):127.0.0.1",
                                                  "https://localhost:\(gateway.port)/x"])
        XCTAssertEqual(result.output, "404", result.error)
        let handshake = TestEnvironment.run("openssl", ["s_client", "-connect", "127.0.0.1:\(gateway.port)", "-servername", "localhost",
                                                        "-CAfile", directory.appendingPathComponent("ca.crt").path], input: "", timeout: 10)
        XCTAssertTrue(handshake.output.contains("Server public key is 2048 bit"), handshake.output)
        XCTAssertTrue(handshake.output.contains("Verify return code: 0 (ok)"), handshake.output)
    }
}

/// A plain TCP exchange, for peers that don't speak TLS.
enum RawTCP {
    struct Reply {
        var bytes: [UInt8]
        var closed: Bool
    }

    static func exchange(port: UInt16, send bytes: [UInt8], timeout: Double) throws -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw NSError(domain: "RawTCP", code: Int(errno)) }
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var interval = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { received += chunk[0..<n]; continue }
            return Reply(bytes: received, closed: n == 0 || errno == ECONNRESET)
        }
    }
}

/// A lazily created value shared by the tests of one class (one gateway per class, not per test).
final class Shared<Value: AnyObject>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value?

    func get(_ make: () throws -> Value) throws -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let value { return value }
        let made = try make()
        value = made
        return made
    }

    /// The value if one was made, without making one.
    var current: Value? {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    func reset() {
        lock.lock()
        value = nil
        lock.unlock()
    }
}
