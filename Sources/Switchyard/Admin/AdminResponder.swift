import Dispatch
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON
import Synchronization

/// The admin listener's endpoints (plain HTTP, loopback by default): `/healthz` says the
/// process is alive; `/readyz` says it takes traffic (503 once draining, so a load balancer
/// stops sending before the listener closes); `/metrics` is the counters in Prometheus' text
/// format; `/-/version` the build's version.
public final class AdminResponder: HTTPResponder {
    private let draining = Atomic<Bool>(false)
    private let metrics: @Sendable () -> String
    private let reload: (@Sendable () -> (succeeded: Bool, message: String))?

    /// `metrics` renders the counters (Prometheus text exposition format) when scraped;
    /// `reload` re-reads the configuration (nil: no `/-/reload`). It blocks (files, DNS), so it
    /// runs off the loop.
    public init(metrics: @escaping @Sendable () -> String = { "" },
                reload: (@Sendable () -> (succeeded: Bool, message: String))? = nil) {
        self.metrics = metrics
        self.reload = reload
    }

    public func markDraining() {
        draining.store(true, ordering: .relaxed)
    }

    public func respond(to request: HTTPRequest, exchange: HTTPExchange) {
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
            // Off the loop (a reload reads files and resolves names), then back to it to answer.
            let exchange = LoopBound(exchange, loop: exchange.loop)
            let requestID = request.requestID
            DispatchQueue.global().async {
                let outcome = reload()
                exchange.loop.execute { _ in
                    exchange.value.respond(outcome.succeeded
                        ? AdminResponder.status(200, outcome.message)
                        : Problem(.validationFailed, detail: outcome.message).response(requestID: requestID))
                }
            }
            return
        case (_, "/-/reload") where reload != nil:
            response = Problem(.methodNotAllowed, detail: "Use POST.", headers: [("allow", "POST")])
                .response(requestID: request.requestID)
        case (.get, "/metrics"), (.head, "/metrics"):
            response = HTTPResponse(status: 200, headers: [("content-type", "text/plain; version=0.0.4")], body: Array(metrics().utf8))
        case (_, "/healthz"), (_, "/readyz"), (_, "/metrics"), (_, "/-/version"):
            response = Problem(.methodNotAllowed, detail: "Use GET.", headers: [("allow", "GET, HEAD")])
                .response(requestID: request.requestID)
        default:
            response = Problem(.notFound, detail: "No resource at this path.").response(requestID: request.requestID)
        }
        exchange.respond(response)
    }

    public func rejection(for error: HTTPParseError, requestID: String) -> HTTPResponse {
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
