import W3CTraceContext

/// A finished span, as the loops record it and the exporter sends it: the parts of OTLP's `Span`
/// the gateway fills (API.md §6); not called `Span`, which would hide the standard library's. Made
/// only for a recorded request, so its strings and array are never paid for on the unsampled path.
struct RecordedSpan: Sendable {
    /// OTLP's `SpanKind` numbers.
    enum Kind: Int, Sendable {
        case server = 2
        case client = 3
    }

    /// OTLP's `AnyValue`, the two kinds the gateway's attributes use.
    enum Value: Sendable, Equatable {
        case string(String)
        case int(Int)
    }

    var traceID: TraceID
    var spanID: SpanID
    /// Nil for a root span (a trace started here has none).
    var parentID: SpanID?
    var name: String
    var kind: Kind
    var startUnixNanos: UInt64
    var endUnixNanos: UInt64
    /// Keys are OpenTelemetry's attribute names, constants that need no escaping: OTLP JSON is written
    /// with them as they are, the values quoted (`OTLPJSON`).
    var attributes: [(key: StaticString, value: Value)] = []
    /// OTLP's status code 2 (error); unset otherwise, as instrumentation leaves it.
    var isError = false
}
