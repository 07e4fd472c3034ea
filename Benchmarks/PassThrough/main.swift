// switchyard-passthrough: the gateway's I/O core as a plain reverse proxy, for the pass-through
// benchmark only (Benchmarks/run.sh --only passthrough). TLS in with `HTTPServer`, keep-alive out
// with `UpstreamClient`, the request forwarded unchanged: what every translated request will
// cost before any translation, measured beside nginx's `proxy_pass` on the same upstream.
//
// Usage: switchyard-passthrough LISTEN_PORT CERT KEY UPSTREAM_HOST UPSTREAM_PORT [WORKERS [POOL]]
// POOL is the idle upstream connections kept per loop (nginx's `keepalive N`), 32 by default.
// Prints "listening on PORT" when ready; on SIGTERM prints the upstream connection counts and exits.
import SwitchyardHTTP
import SwitchyardIO
#if canImport(Glibc)
import Glibc
#endif

/// Hop-by-hop fields (RFC 9110 §7.6.1) and the ones the client sets itself.
let notForwarded: Set<String> = ["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade",
                                 "host", "content-length", "proxy-connection"]

/// `@unchecked Sendable`: the server calls it from every loop, and each call touches only the
/// client of its own loop (`clients[exchange.loop.index]`), which never leaves that loop.
final class PassThrough: HTTPResponder, @unchecked Sendable {
    let clients: [UpstreamClient]
    let target: UpstreamTarget

    init(clients: [UpstreamClient], target: UpstreamTarget) {
        self.clients = clients
        self.target = target
    }

    func respond(to request: inout HTTPRequest, exchange: HTTPExchange) {
        let head = request.head
        var headers: [(name: String, value: String)] = []
        for field in head.fields {
            let name = head.name(of: field)
            if !notForwarded.contains(name.lowercased()) { headers.append((name, head.value(of: field))) }
        }
        var upstream = UpstreamRequest(method: head.method, path: head.targetString, headers: headers, body: request.body)
        upstream.requestID = request.requestID
        clients[exchange.loop.index].send(upstream, to: target) { result in
            switch result {
            case .success(let response):
                var headers: [(name: String, value: String)] = []
                if let type = response.head.firstValue("content-type") { headers.append(("content-type", type)) }
                exchange.respond(HTTPResponse(status: response.status, headers: headers, body: response.body))
            case .failure(let error):
                exchange.respond(HTTPResponse(status: 502, headers: [("content-type", "text/plain")],
                                              body: Array("\(error)\n".utf8)))
            }
        }
    }

    func rejection(for error: HTTPParseError, requestID: RequestID) -> HTTPResponse {
        HTTPResponse(status: error.status, headers: [("content-type", "text/plain")], body: Array("\(error.detail)\n".utf8))
    }
}

/// stdout unbuffered, so the benchmark script sees each line as it is written.
func say(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { _ = write(1, $0.baseAddress, $0.count) }
}

let arguments = CommandLine.arguments
guard arguments.count >= 6, let listenPort = UInt16(arguments[1]), let upstreamPort = UInt16(arguments[5]) else {
    say("usage: switchyard-passthrough LISTEN_PORT CERT KEY UPSTREAM_HOST UPSTREAM_PORT [WORKERS [POOL]]")
    exit(2)
}
let workers = arguments.count > 6 ? Int(arguments[6]) ?? 1 : 1
let pool = arguments.count > 7 ? Int(arguments[7]) ?? 32 : 32
Signals.blockTermination()
Signals.ignoreBrokenPipe()
do {
    let loops = try (0..<workers).map { try EventLoop(index: $0) }
    let limits = UpstreamLimits(connectTimeoutSeconds: 2, timeoutSeconds: 10, maxIdlePerKey: pool)
    let statistics = UpstreamStatistics()
    let clients = loops.map { UpstreamClient(loop: $0, limits: limits, statistics: statistics) }
    let target = try UpstreamTarget(scheme: .http, host: arguments[4], port: upstreamPort)
    let server = try HTTPServer(
        address: SocketAddress(numericHost: "127.0.0.1", port: listenPort)!, loops: loops,
        tls: TLSContext.server(certificateChain: arguments[2], privateKey: arguments[3]),
        limits: ServerLimits(headerTimeoutSeconds: 300, idleTimeoutSeconds: 300),
        connectionLimit: ConnectionLimit(maximum: 20_000),
        responder: PassThrough(clients: clients, target: target)
    )
    let threads = loops.map { $0.start(name: "passthrough-\($0.index)") }
    say("listening on \(server.address.port)")
    _ = Signals.wait()
    say("upstream requests=\(statistics.requestCount) connectionsOpened=\(statistics.connectionsOpened) connectionsReused=\(statistics.connectionsReused)")
    for loop in loops { loop.stop() }
    for thread in threads { thread.join() }
} catch {
    say("switchyard-passthrough: \(error)")
    exit(1)
}
