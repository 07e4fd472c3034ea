import Foundation
import SwitchyardHTTP

/// The gateway's request pipeline: the `/devices` API behind the TLS listener.
///
/// `respond` reads as the request's way through the gateway (API.md's order): route,
/// authenticate, check scope, tenant rate limit, then (step 4) translate, vendor quota, call the
/// vendor, translate back. Each step is one call into the module that owns it.
///
/// `@unchecked Sendable`: everything is immutable after `init` except the per-loop token caches,
/// and each of those is touched only on its own loop (`caches[exchange.loop.index]`).
public final class Gateway: HTTPResponder, @unchecked Sendable {
    let authenticator: Authenticator
    let rateLimiter: TenantRateLimiter
    private let caches: [AuthenticationCache]

    /// Builds the credentials and limits of `configuration`; throws when a key can't be used
    /// (an unreadable JWKS file, a malformed key), which must stop startup.
    public init(configuration: GatewayConfiguration, loopCount: Int) throws {
        authenticator = try Authenticator(settings: configuration.auth, tenantNames: Set(configuration.tenants.keys))
        rateLimiter = TenantRateLimiter(tenants: configuration.tenants)
        caches = (0..<loopCount).map { _ in AuthenticationCache() }
    }

    public func respond(to request: HTTPRequest, exchange: HTTPExchange) {
        exchange.respond(handle(request, loop: exchange.loop.index))
    }

    private func handle(_ request: HTTPRequest, loop: Int) -> HTTPResponse {
        let requestID = request.requestID
        // 1. Route: a path that is no resource, or a method it doesn't take, needs no credential.
        let route = Route(method: request.head.method, path: request.head.path)
        let scope: Scope
        switch route {
        case .notFound:
            return Problem(.notFound, detail: "No resource at this path.").response(requestID: requestID)
        case .methodNotAllowed(let allow):
            return Problem(.methodNotAllowed, detail: "This resource does not take \(request.head.methodName).",
                           headers: [("allow", allow)]).response(requestID: requestID)
        case .upsertDevice, .updateDevice:
            scope = .devicesWrite
        case .bulkUpdate:
            scope = .devicesBulk
        }

        // 2. Authenticate: the tenant comes from the credential and nowhere else.
        let credential: Credential
        switch authenticator.authenticate(
            authorizationHeader: request.head.firstValue("authorization"),
            now: Date().timeIntervalSince1970, cache: caches[loop]
        ) {
        case .success(let found):
            credential = found
        case .failure(let failure):
            return Problem(.unauthenticated, detail: failure.detail,
                           headers: [("www-authenticate", failure.wwwAuthenticate)]).response(requestID: requestID)
        }

        // 3. Scope. The rate limit is only peeked at: a refused request costs no budget.
        guard credential.scopes.contains(scope) else {
            var headers: [(name: String, value: String)] = [
                ("www-authenticate", "Bearer error=\"insufficient_scope\", scope=\"\(scope.rawValue)\""),
            ]
            rateLimiter.peek(tenant: credential.tenant).appendHeaders(to: &headers)
            return Problem(.insufficientScope, detail: "This operation needs the \(scope.rawValue) scope.",
                           headers: headers).response(requestID: requestID)
        }

        // 4. Tenant rate limit (GCRA); only admitted requests count.
        let limit = rateLimiter.check(tenant: credential.tenant)
        guard limit.admitted else {
            return Problem(.rateLimited, detail: "The tenant's rate limit is spent; retry after \(limit.retryAfterSeconds ?? 1) s.",
                           headers: limit.headers).response(requestID: requestID)
        }

        // 5. Translate, call the vendor, translate back: step 4.
        var response = Problem(.unsupportedOperation, detail: "Device operations are not available yet on this gateway.")
            .response(requestID: requestID)
        limit.appendHeaders(to: &response.headers)
        return response
    }

    public func rejection(for error: HTTPParseError, requestID: String) -> HTTPResponse {
        Problem(parseError: error).response(requestID: requestID)
    }
}
