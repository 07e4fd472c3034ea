import SwitchyardHTTP

/// The gateway's request pipeline: the `/devices` API behind the TLS listener.
///
/// `respond` reads as the request's way through the gateway (DESIGN.md): route, then —
/// as later steps land — authenticate, check scope, rate-limit, translate, call the vendor,
/// translate back; the server connection writes the answer and the access log records it.
public final class Gateway: HTTPResponder {
    public init() {}

    public func respond(to request: HTTPRequest, exchange: HTTPExchange) {
        let route = Route(method: request.head.method, path: request.head.path)
        let problem: Problem
        switch route {
        case .notFound:
            problem = Problem(.notFound, detail: "No resource at this path.")
        case .methodNotAllowed(let allow):
            problem = Problem(.methodNotAllowed, detail: "This resource does not take \(request.head.methodName).",
                              headers: [("allow", allow)])
        case .upsertDevice, .updateDevice, .bulkUpdate:
            problem = Problem(.unsupportedOperation, detail: "Device operations are not available yet on this gateway.")
        }
        exchange.respond(problem.response(requestID: request.requestID))
    }

    public func rejection(for error: HTTPParseError, requestID: String) -> HTTPResponse {
        Problem(parseError: error).response(requestID: requestID)
    }
}
