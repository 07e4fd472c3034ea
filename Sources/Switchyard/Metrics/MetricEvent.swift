import SwitchyardIO
import SwitchyardDevices
import SwitchyardHTTP

/// One thing that happened on a loop and that `/metrics` counts: appended to the loop's
/// `LoopMetrics` as it happens, turned into swift-metrics calls off the loop by `GatewayMetrics`.
///
/// Every label value comes from a bounded set (methods, route templates, the configured
/// tenants and vendors, statuses the gateway or a vendor gave, problem codes), so no client
/// can grow the number of series by sending something new.
enum MetricEvent: Sendable {
    /// A `/devices` request answered (`GatewayRequest.finished`).
    case serverRequest(ServerRequestSample)
    /// One call to a vendor, token fetches included.
    case clientRequest(ClientRequestSample)
    /// A problem answered, and the tenant it was for, if known.
    case problem(ProblemCode, tenant: String?)
    /// A limit's decision; the tenant as its `MetricLabels` number (`TenantRoute.tenantLabel`).
    case rateLimit(tenant: UInt32, policy: RateLimitPolicy, decision: RateLimitOutcome)
    /// A vendor call admitted by its tenant's vendor quota or concurrency cap (`policy`), and how
    /// long it waits for its slot.
    case quotaWait(tenant: String, policy: RateLimitPolicy, nanoseconds: UInt64)
    /// A write answered again from its `Idempotency-Key`.
    case idempotentReplay(tenant: String)
    /// A token fetch: nil for a token, else the problem it ended in.
    case tokenFetch(tenant: String, problem: ProblemCode?)
    /// A migrating tenant's change, compared or dropped (`result` is the metric's label).
    case migrationComparison(tenant: String, result: String)
}

/// Tenants and hosts as their `MetricLabels` numbers (0: none), so that the loop finds the series
/// of a sample by hashing one integer.
struct ServerRequestSample: Sendable {
    var method: HTTPMethod
    var route: Route.Template
    var status: Int
    var tenant: UInt32
    var vendor: Vendor?
    var nanoseconds: UInt64
}

struct ClientRequestSample: Sendable {
    var tenant: UInt32
    var vendor: Vendor
    /// The upstream's host.
    var serverAddress: UInt32
    /// Nil when the call ended without an answer.
    var status: Int?
    var outcome: ClientOutcome
    var reusedConnection: Bool
    var nanoseconds: UInt64
}

/// API.md §6's `outcome` of a vendor call.
enum ClientOutcome: String, Sendable, CaseIterable, CaseKeyed {
    /// The vendor answered below 400.
    case ok
    /// The vendor answered 400 or above.
    case vendorError = "vendor_error"
    /// No connection, or it broke (refused, reset, TLS, a name that does not resolve).
    case unavailable
    case timeout
    /// An answer that could not be read, or a request the client refused to send.
    case malformed

    init(status: Int) {
        self = status < 400 ? .ok : .vendorError
    }

    init(failure: UpstreamError.Kind) {
        switch failure {
        case .unavailable: self = .unavailable
        case .timeout: self = .timeout
        case .malformed, .invalidRequest: self = .malformed
        }
    }
}

/// Which limit decided (API.md §6's `policy`).
enum RateLimitPolicy: String, Sendable, CaseIterable, CaseKeyed {
    /// The tenant's `rateLimit`.
    case tenant
    /// The vendor account's `vendorQuota`.
    case vendor
    /// The vendor account's `vendorConcurrency`.
    case concurrency
}

enum RateLimitOutcome: String, Sendable, CaseIterable, CaseKeyed {
    case admitted
    case refused
    /// The shared store could not decide; `onStoreFailure` did.
    case storeFailure = "store_failure"
}

extension HTTPMethod {
    /// The method as OpenTelemetry's `http.request.method` names it: `_OTHER` for any method the
    /// gateway does not know, so that made-up methods can't add series.
    var metricLabel: String {
        // `description` of a name this short is a small String: no allocation per event.
        name?.description ?? "_OTHER"
    }
}
