/// One metric the gateway publishes on `/metrics` (API.md §6, docs/OPERATIONS.md): its name, what
/// it means (the `# HELP` line), and its labels in order.
///
/// The catalogue is the one place a metric is declared. `DocumentedMetricsFactory` refuses any
/// other name and any other label set, so a metric can't reach `/metrics` without its help text,
/// and `MetricsTests` checks that OPERATIONS.md lists every name here.
public struct MetricFamily: Sendable, Hashable {
    public let name: String
    public let help: String
    public let labels: [String]

    /// API.md §6's buckets for every duration histogram, in seconds: 0.0005, 0.001, 0.0025, 0.005,
    /// 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10. Counted in nanoseconds (`BucketCounts`), so
    /// made from those: one list, each bound exactly its decimal.
    public static let durationBuckets: [Double] = {
        let bounds = BucketCounts.boundsNanoseconds
        precondition(zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 }, "the buckets' bounds grow")
        return bounds.map { Double($0) / 1e9 }
    }()

    public static let serverRequestDuration = MetricFamily(
        name: "http_server_request_duration_seconds",
        help: "Time from a /devices request's head to its answer, by method, route, status, tenant (empty before authentication) and vendor.",
        labels: ["http_request_method", "http_route", "http_response_status_code", "tenant", "vendor"])
    public static let clientRequestDuration = MetricFamily(
        name: "http_client_request_duration_seconds",
        help: "Time of each call to a vendor (token fetches included), by tenant, vendor, host, status (empty on a transport failure) and outcome.",
        labels: ["tenant", "vendor", "server_address", "http_response_status_code", "outcome"])
    public static let problems = MetricFamily(
        name: "switchyard_problems_total",
        help: "Problem answers the gateway gave, by API.md error code and tenant (empty before authentication).",
        labels: ["code", "tenant"])
    public static let rateLimitDecisions = MetricFamily(
        name: "switchyard_rate_limit_decisions_total",
        help: "Rate-limit decisions, by tenant, policy (tenant: the tenant's rateLimit; vendor: its vendorQuota; concurrency: its vendorConcurrency) and decision.",
        labels: ["tenant", "policy", "decision"])
    public static let quotaWait = MetricFamily(
        name: "switchyard_vendor_quota_wait_seconds",
        help: "How long vendor calls waited for their slot (0 for most), by tenant and policy (vendor: its vendorQuota; concurrency: its vendorConcurrency).",
        labels: ["tenant", "policy"])
    public static let circuitState = MetricFamily(
        name: "switchyard_circuit_state",
        help: "Each tenant's circuit breaker: 0 closed, 1 half-open, 2 open.",
        labels: ["tenant"])
    public static let idempotentReplays = MetricFamily(
        name: "switchyard_idempotent_replays_total",
        help: "Writes answered again from their Idempotency-Key's stored answer, without a vendor call, by tenant.",
        labels: ["tenant"])
    public static let tokenFetches = MetricFamily(
        name: "switchyard_vendor_token_fetches_total",
        help: "Access-token fetches from a vendor's token endpoint, by tenant and result (ok, or the problem code it ended in).",
        labels: ["tenant", "result"])
    public static let migrationComparisons = MetricFamily(
        name: "switchyard_migration_comparisons_total",
        help: "Changes of migrating tenants sent to both vendors, by tenant and result (match, mismatch, not_portable, target_error; dropped: the mirror queue was full).",
        labels: ["tenant", "result"])
    public static let connectionsActive = MetricFamily(
        name: "switchyard_connections_active",
        help: "Open client connections, by listener (tls: the /devices listener; admin).",
        labels: ["listener"])
    public static let tlsHandshakes = MetricFamily(
        name: "switchyard_tls_handshakes_total",
        help: "TLS handshakes on the client listener, by result and whether a session was resumed.",
        labels: ["result", "resumed"])
    public static let upstreamConnectionsOpened = MetricFamily(
        name: "switchyard_upstream_connections_opened_total",
        help: "Vendor calls that opened a new connection, by tenant.",
        labels: ["tenant"])
    public static let upstreamConnectionsReused = MetricFamily(
        name: "switchyard_upstream_connections_reused_total",
        help: "Vendor calls sent on a pooled keep-alive connection, by tenant.",
        labels: ["tenant"])
    public static let upstreamFailures = MetricFamily(
        name: "switchyard_upstream_failures_total",
        help: "Vendor calls that ended without an answer, by kind (unavailable, timeout, malformed, invalidRequest).",
        labels: ["kind"])
    public static let upstreamRetries = MetricFamily(
        name: "switchyard_upstream_retries_total",
        help: "Idempotent vendor calls sent again on a new connection after a pooled one failed before answering.",
        labels: [])
    public static let upstreamRetriesRefused = MetricFamily(
        name: "switchyard_upstream_retries_refused_total",
        help: "Vendor calls not sent again because retries in flight to that vendor were at their budget (20 % of its calls, at least 3).",
        labels: [])
    public static let storeFailures = MetricFamily(
        name: "switchyard_rate_limit_store_failures_total",
        help: "Rate-limit decisions the Redis store could not make in time, decided by onStoreFailure instead.",
        labels: [])
    public static let configReloads = MetricFamily(
        name: "switchyard_config_reloads_total",
        help: "Configuration reloads (SIGHUP or POST /-/reload), by result.",
        labels: ["result"])
    public static let buildInfo = MetricFamily(
        name: "switchyard_build_info",
        help: "Always 1; the labels say which build runs.",
        labels: ["version", "commit"])
    public static let pendingBodyBytes = MetricFamily(
        name: "switchyard_client_pending_body_bytes",
        help: "Bytes held for request bodies that have not arrived whole (limits.maxPendingBodyBytes bounds it).",
        labels: [])
    public static let clientTimeouts = MetricFamily(
        name: "switchyard_client_timeouts_total",
        help: "Client connections closed by the header, body or idle timeout.",
        labels: [])
    public static let clientRejections = MetricFamily(
        name: "switchyard_client_rejections_total",
        help: "Requests refused before they parsed (400, 408, 413, 431, 503 overloaded), answered and closed.",
        labels: [])
    public static let undocumentedAnswers = MetricFamily(
        name: "switchyard_vendor_undocumented_answers_total",
        help: "Vendor answers whose error code the vendor does not document, answered as 502.",
        labels: [])

    public static let traceSpansExported = MetricFamily(
        name: "switchyard_trace_spans_exported_total",
        help: "Spans the trace collector accepted (observability.tracing).",
        labels: [])
    public static let traceSpansDropped = MetricFamily(
        name: "switchyard_trace_spans_dropped_total",
        help: "Spans lost to a full export queue, a failed export or the shutdown deadline.",
        labels: [])
    public static let traceExportsFailed = MetricFamily(
        name: "switchyard_trace_exports_failed_total",
        help: "Span exports that failed: no connection, a timeout, or an answer other than 2xx.",
        labels: [])
    public static let traceSpansQueued = MetricFamily(
        name: "switchyard_trace_spans_queued",
        help: "Spans handed to the exporter and not yet exported or dropped.",
        labels: [])

    /// Every metric, in the order OPERATIONS.md lists them.
    public static let all: [MetricFamily] = [
        serverRequestDuration, clientRequestDuration, problems, rateLimitDecisions, quotaWait, circuitState, idempotentReplays, tokenFetches,
        migrationComparisons, connectionsActive,
        tlsHandshakes, upstreamConnectionsOpened, upstreamConnectionsReused, upstreamFailures, upstreamRetries, upstreamRetriesRefused, storeFailures,
        configReloads, buildInfo, pendingBodyBytes, clientTimeouts, clientRejections, undocumentedAnswers,
        traceSpansExported, traceSpansDropped, traceExportsFailed, traceSpansQueued,
    ]

    static let byName: [String: MetricFamily] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
}
