import SwitchyardHTTP
import W3CTraceContext

/// Where one request stands in its trace (API.md §2, §6), decided once from its head: the trace
/// it continues or starts, whether the gateway records it, and what the vendor is told.
///
/// - A valid incoming `traceparent` (any version but `ff`, read as 00) is continued: same trace
///   id, its sampled flag decides whether spans are recorded, and its `tracestate` goes on as it
///   came. Otherwise a trace starts here with random ids, sampled with `sampleRatio`, and an
///   incoming `tracestate` is dropped (W3C: it is invalid without its `traceparent`).
/// - Recorded: the server span has its own id and each vendor call's client span is the vendor's
///   parent. Not recorded, nothing is made beyond the header: the vendor sees the client's
///   `traceparent` unchanged (a version-00 one byte for byte), or the new trace's.
/// - Tracing off: nothing is recorded, and a new trace is flagged sampled so that the vendor's own
///   tracing may keep it (what the gateway did before it made spans).
struct RequestTrace {
    let traceID: TraceID
    /// The client's span: the incoming `traceparent`'s parent id; nil when the trace starts here.
    let callerSpanID: SpanID?
    /// The gateway's span for this request: the server span when recorded, else the parent id
    /// the vendor is told (the caller's, for a continued trace).
    let spanID: SpanID
    let flags: TraceFlags
    /// Whether this request's spans are recorded (tracing on and sampled).
    let isRecorded: Bool
    /// The client's `tracestate`, for a continued trace: passed on unchanged, never parsed.
    let traceState: String?

    /// `sampler` is nil when tracing is off.
    init(head: borrowing HTTPRequestHead, sampler: TraceSampler?, ids: RequestIDGenerator) {
        if let value = head.firstValue(.traceparent), let parent = TraceParent(value) {
            traceID = parent.traceID
            callerSpanID = parent.parentID
            flags = parent.flags
            isRecorded = sampler != nil && parent.flags.contains(.sampled)
            spanID = isRecorded ? ids.spanID() : parent.parentID
            let states = head.values(.tracestate)
            traceState = states.isEmpty ? nil : states.joined(separator: ",")
        } else {
            traceID = ids.traceID()
            callerSpanID = nil
            isRecorded = sampler?.samples(traceID) ?? false
            flags = sampler == nil || isRecorded ? .sampled : []
            spanID = ids.spanID()
            traceState = nil
        }
    }

    /// The `traceparent` for a vendor call: with `clientSpan` (a recorded call) as the parent,
    /// else the request's own value.
    func upstreamTraceParent(clientSpan: SpanID?) -> TraceParent {
        TraceParent(traceID: traceID, parentID: clientSpan ?? spanID, flags: flags)
    }

    /// The trace id as the access log writes it.
    var traceIDText: String { Hex.string(traceID.bytes) }
}
