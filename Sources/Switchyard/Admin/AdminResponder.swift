import Synchronization
import SwitchyardHTTP

/// The admin listener's endpoints (plain HTTP, loopback by default): `/healthz` says the
/// process is alive; `/readyz` says it takes traffic (503 once draining, so a load balancer
/// stops sending before the listener closes).
public final class AdminResponder: HTTPResponder {
    private let draining = Atomic<Bool>(false)

    public init() {}

    public func markDraining() {
        draining.store(true, ordering: .relaxed)
    }

    public func respond(to request: HTTPRequest, exchange: HTTPExchange) {
        let response: HTTPResponse
        switch (request.head.method, request.head.path) {
        case (.get, "/healthz"), (.head, "/healthz"):
            response = AdminResponder.status(200, "ok")
        case (.get, "/readyz"), (.head, "/readyz"):
            response = draining.load(ordering: .relaxed)
                ? AdminResponder.status(503, "draining")
                : AdminResponder.status(200, "ready")
        case (_, "/healthz"), (_, "/readyz"):
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
