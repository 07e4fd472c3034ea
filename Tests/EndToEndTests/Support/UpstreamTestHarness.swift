import SwitchyardTestSupport
import Foundation
import SwitchyardHTTP
import SwitchyardIO
import XCTest

/// An in-process HTTP server on its own loop thread, standing in for a vendor: each request goes
/// to a handler the test gives, which answers (or misbehaves) through the `HTTPExchange`.
final class UpstreamTestServer: @unchecked Sendable {
    let loop: EventLoop
    private let thread: EventLoopThread
    let server: HTTPServer
    let responder: ScriptedResponder

    var port: UInt16 { server.address.port }
    var acceptedConnections: Int { server.statistics.acceptedCount }

    /// `certificate` and `key` name PEM files; nil serves plain HTTP.
    init(certificate: String? = TestEnvironment.serverCertificate, key: String? = TestEnvironment.serverKey,
         idleTimeoutSeconds: Double = 60, handler: @escaping ScriptedResponder.Handler) throws {
        loop = try EventLoop(index: 0)
        responder = ScriptedResponder(handler)
        let tls = try certificate.map { try TLSContext.server(certificateChain: $0, privateKey: key!) }
        server = try HTTPServer(
            address: SocketAddress(numericHost: "127.0.0.1", port: 0)!, loops: [loop], tls: tls,
            limits: ServerLimits(headerTimeoutSeconds: 10, idleTimeoutSeconds: idleTimeoutSeconds),
            connectionLimit: ConnectionLimit(maximum: 100), responder: responder
        )
        thread = loop.start(name: "test-upstream")
    }

    func stop() {
        loop.stop()
        thread.join()
    }

    /// An HTTPS target for this server: connects to 127.0.0.1 and verifies `host`.
    func target(host: String = "127.0.0.1", caFile: String = TestEnvironment.caFile) throws -> UpstreamTarget {
        try UpstreamTarget(scheme: .https, host: host, port: port,
                           addresses: [SocketAddress(numericHost: "127.0.0.1", port: port)!], caFile: caFile)
    }

    func plainTarget() throws -> UpstreamTarget {
        try UpstreamTarget(scheme: .http, host: "127.0.0.1", port: port, addresses: [SocketAddress(numericHost: "127.0.0.1", port: port)!])
    }
}

/// Hands each request to the test's handler with its index (0 for the first request the server
/// saw), after recording it. Called on the server's loop only; the record is read by the test
/// thread under a lock, which is why it is `@unchecked Sendable`.
final class ScriptedResponder: HTTPResponder, @unchecked Sendable {
    typealias Handler = (_ request: HTTPRequest, _ exchange: HTTPExchange, _ index: Int) -> Void

    struct Seen {
        var method: String
        var target: String
        var headers: [String: String]
        var body: [UInt8]
    }

    private let handler: Handler
    private let lock = NSLock()
    private var seen: [Seen] = []

    init(_ handler: @escaping Handler) {
        self.handler = handler
    }

    var requests: [Seen] {
        lock.lock()
        defer { lock.unlock() }
        return seen
    }

    func respond(to request: inout HTTPRequest, exchange: HTTPExchange) {
        var headers: [String: String] = [:]
        for field in request.head.fields {
            headers[request.head.name(of: field).lowercased()] = request.head.value(of: field)
        }
        lock.lock()
        let index = seen.count
        seen.append(Seen(method: request.head.methodName, target: request.head.targetString, headers: headers, body: request.body))
        lock.unlock()
        handler(request, exchange, index)
    }

    func rejection(for error: HTTPParseError, requestID: RequestID) -> HTTPResponse {
        HTTPResponse(status: error.status)
    }
}

/// A client loop thread driving one `UpstreamClient`, with blocking helpers for the test thread.
/// The client is touched on its loop only (through `execute`), hence `@unchecked Sendable`.
final class UpstreamClientHarness: @unchecked Sendable {
    let loop: EventLoop
    private let thread: EventLoopThread
    let client: UpstreamClient

    init(limits: UpstreamLimits = UpstreamLimits(connectTimeoutSeconds: 2, timeoutSeconds: 5)) throws {
        loop = try EventLoop(index: 1)
        client = UpstreamClient(loop: loop, limits: limits)
        thread = loop.start(name: "test-client")
    }

    var statistics: UpstreamStatistics { client.statistics }

    /// What a completion reported, and whether it ran while `send` was still on the stack.
    final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var results: [Result<UpstreamResponse, UpstreamError>] = []
        private(set) var completedInsideSend = false
        let done = DispatchSemaphore(value: 0)

        func record(_ result: Result<UpstreamResponse, UpstreamError>, insideSend: Bool) {
            lock.lock()
            results.append(result)
            if insideSend { completedInsideSend = true }
            lock.unlock()
            done.signal()
        }

        var completions: Int {
            lock.lock()
            defer { lock.unlock() }
            return results.count
        }

        var result: Result<UpstreamResponse, UpstreamError>? {
            lock.lock()
            defer { lock.unlock() }
            return results.first
        }
    }

    /// Starts `calls` in one turn of the client's loop (so they overlap) and waits for all.
    func sendAll(_ calls: [(UpstreamRequest, UpstreamTarget)], timeout: Double = 15) -> [Outcome] {
        let outcomes = calls.map { _ in Outcome() }
        loop.execute { [self] _ in
            let client = self.client
            for ((request, target), outcome) in zip(calls, outcomes) {
                var returned = false
                client.send(request, to: target) { result in
                    outcome.record(result, insideSend: !returned)
                }
                returned = true
            }
        }
        let deadline = DispatchTime.now() + timeout
        for outcome in outcomes { _ = outcome.done.wait(timeout: deadline) }
        return outcomes
    }

    func send(_ request: UpstreamRequest, to target: UpstreamTarget, timeout: Double = 15) -> Outcome {
        sendAll([(request, target)], timeout: timeout)[0]
    }

    /// Sends `requests` one after the other, each from the completion of the one before (as a bulk
    /// update's next batch goes), and waits for the last.
    func sendChained(_ requests: [UpstreamRequest], to target: UpstreamTarget, timeout: Double = 15) -> [Outcome] {
        let outcomes = requests.map { _ in Outcome() }
        nonisolated(unsafe) var sendNext: ((Int) -> Void)?
        loop.execute { [self] _ in
            let client = self.client
            sendNext = { index in
                guard index < requests.count else { return sendNext = nil }
                client.send(requests[index], to: target) { result in
                    outcomes[index].record(result, insideSend: false)
                    sendNext?(index + 1)
                }
            }
            sendNext?(0)
        }
        let deadline = DispatchTime.now() + timeout
        for outcome in outcomes { _ = outcome.done.wait(timeout: deadline) }
        return outcomes
    }

    /// Runs `body` on the client's loop and waits for its result.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable (UpstreamClient) -> T) -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        loop.execute { [self] _ in
            let client = self.client
            box.value = body(client)
            done.signal()
        }
        done.wait()
        return box.value!
    }

    var idleConnectionCount: Int { onLoop { $0.idleConnectionCount } }

    func stop() {
        loop.execute { [self] _ in self.client.shutdown() }
        loop.stop()
        thread.join()
    }

    private final class Box<T>: @unchecked Sendable {
        var value: T?
    }
}

/// Certificates beyond `TestEnvironment`'s: an expired leaf and a leaf for a DNS name from the same
/// CA, and a second CA with its own leaf (which the first CA's clients must refuse). Made once
/// per run with the project's script.
enum UpstreamCertificates {
    static let directory: URL = {
        let directory = TestEnvironment.temporaryDirectory("upstream-certs")
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("certs/make-dev-certs.sh").path
        let ca = TestEnvironment.certificates.path
        for arguments in [["--expired"], ["--prefix", "named", "--name", "upstream.test"]] {
            let result = TestEnvironment.run(script, ["--out", directory.path, "--ca-dir", ca] + arguments)
            precondition(result.status == 0, "make-dev-certs.sh \(arguments) failed: \(result.output) \(result.error)")
        }
        let other = TestEnvironment.run(script, ["--out", directory.appendingPathComponent("other-ca").path])
        precondition(other.status == 0, "make-dev-certs.sh (second CA) failed: \(other.output) \(other.error)")
        return directory
    }()

    static var expired: (certificate: String, key: String) {
        (directory.appendingPathComponent("expired.crt").path, directory.appendingPathComponent("expired.key").path)
    }

    static var named: (certificate: String, key: String) {
        (directory.appendingPathComponent("named.crt").path, directory.appendingPathComponent("named.key").path)
    }

    /// A leaf for localhost signed by a CA the tests' clients do not trust.
    static var otherCA: (certificate: String, key: String) {
        let other = directory.appendingPathComponent("other-ca")
        return (other.appendingPathComponent("server.crt").path, other.appendingPathComponent("server.key").path)
    }
}
