import Dispatch
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON
import Synchronization

/// The admin listener's endpoints (plain HTTP, loopback by default): `/healthz` says the
/// process is alive; `/readyz` says it takes traffic (503 once draining, so a load balancer
/// stops sending before the listener closes); `/metrics` is the counters in Prometheus' text
/// format; `/-/migrations` the migrating tenants' reports (API.md §8); `/-/version` the build's
/// version.
public final class AdminResponder: HTTPResponder {
    private let draining = Atomic<Bool>(false)
    private let metrics: @Sendable () -> [UInt8]
    private let reload: (@Sendable () -> (succeeded: Bool, message: String))?
    private let migrations: @Sendable () -> [UInt8]

    /// `metrics` renders the counters (Prometheus text exposition format) when scraped;
    /// `reload` re-reads the configuration (nil: no `/-/reload`). Both block (one waits for every
    /// loop's events, the other reads files and resolves names), so they run off the loop.
    /// `migrations` writes the reports as JSON.
    public init(metrics: @escaping @Sendable () -> [UInt8] = { [] },
                reload: (@Sendable () -> (succeeded: Bool, message: String))? = nil,
                migrations: @escaping @Sendable () -> [UInt8] = { Array(#"{"migrations":[]}"#.utf8) }) {
        self.metrics = metrics
        self.reload = reload
        self.migrations = migrations
    }

    public func markDraining() {
        draining.store(true, ordering: .relaxed)
    }

    public func respond(to request: inout HTTPRequest, exchange: HTTPExchange) {
        let response: HTTPResponse
        switch (request.head.method, request.head.path) {
        case (.get, "/-/version"), (.head, "/-/version"):
            var json = JSONWriter()
            json.beginObject()
            json.member("version", SwitchyardVersion.number)
            if let commit = SwitchyardVersion.commit { json.member("commit", commit) }
            json.endObject()
            response = HTTPResponse(status: 200, headers: [("content-type", "application/json")], body: json.bytes)
        case (.get, "/healthz"), (.head, "/healthz"):
            response = AdminResponder.status(200, "ok")
        case (.get, "/readyz"), (.head, "/readyz"):
            response = draining.load(ordering: .relaxed)
                ? AdminResponder.status(503, "draining")
                : AdminResponder.status(200, "ready")
        case (.post, "/-/reload") where reload != nil:
            let reload = reload!
            let requestID = request.requestID
            return answerOffTheLoop(exchange) {
                let outcome = reload()
                return outcome.succeeded
                    ? AdminResponder.status(200, outcome.message)
                    : Problem(.validationFailed, detail: outcome.message).response(requestID: requestID)
            }
        case (_, "/-/reload") where reload != nil:
            response = Problem(.methodNotAllowed, detail: "Use POST.", headers: [("allow", "POST")])
                .response(requestID: request.requestID)
        case (.get, "/metrics"), (.head, "/metrics"):
            let metrics = metrics
            return answerOffTheLoop(exchange) {
                HTTPResponse(status: 200, headers: [("content-type", "text/plain; version=0.0.4; charset=utf-8")], body: metrics())
            }
        case (.get, "/-/migrations"), (.head, "/-/migrations"):
            response = HTTPResponse(status: 200, headers: [("content-type", "application/json")], body: migrations())
        case (_, "/healthz"), (_, "/readyz"), (_, "/metrics"), (_, "/-/version"), (_, "/-/migrations"):
            response = Problem(.methodNotAllowed, detail: "Use GET.", headers: [("allow", "GET, HEAD")])
                .response(requestID: request.requestID)
        default:
            response = Problem(.notFound, detail: "No resource at this path.").response(requestID: request.requestID)
        }
        exchange.respond(response)
    }

    /// Runs `work` on a thread of its own and answers with what it made, back on the loop.
    private func answerOffTheLoop(_ exchange: HTTPExchange, _ work: @escaping @Sendable () -> HTTPResponse) {
        let exchange = LoopBound(exchange, loop: exchange.loop)
        DispatchQueue.global().async {
            let response = work()
            exchange.loop.execute { _ in exchange.value.respond(response) }
        }
    }

    public func rejection(for error: HTTPParseError, requestID: RequestID) -> HTTPResponse {
        Problem(parseError: error).response(requestID: requestID)
    }

    private static func status(_ code: Int, _ text: String) -> HTTPResponse {
        var json = JSONWriter()
        json.beginObject()
        json.member("status", text)
        json.endObject()
        return HTTPResponse(status: code, headers: [("content-type", "application/json")], body: json.bytes)
    }
}
