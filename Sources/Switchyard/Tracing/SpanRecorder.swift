import SwitchyardIO
import W3CTraceContext

/// One loop's finished spans on their way to the exporter, written as an OTLP JSON body with no
/// lock (the loop owns this) and handed over with at most `SpanExporter.batchSize` spans or
/// `handOffBytes`, when it is full or a second after its first span, so the buffer is bounded
/// and idle loops run no timer.
final class SpanRecorder {
    private let loop: EventLoop
    let tracer: Tracer
    private var body: OTLPBody
    private var handOffScheduled = false
    /// The longest a span waits on its loop.
    static let handOffSeconds = 1.0
    /// A body is handed over once it holds this many bytes, however few spans: spans with long
    /// names or URLs never grow the buffer without bound.
    static let handOffBytes = 1 << 20

    init(loop: EventLoop, tracer: Tracer) {
        self.loop = loop
        self.tracer = tracer
        body = OTLPBody(serviceName: tracer.settings.serviceName)
    }

    /// A span written into the body; `record` ends it.
    func span(kind: OTLPSpanWriter.Kind, traceID: TraceID, spanID: SpanID, parentID: SpanID?, name: String,
              nameSuffix: String? = nil, startUnixNanos: UInt64, endUnixNanos: UInt64) -> OTLPSpanWriter {
        body.span(kind: kind, traceID: traceID, spanID: spanID, parentID: parentID, name: name, nameSuffix: nameSuffix,
                  startUnixNanos: startUnixNanos, endUnixNanos: endUnixNanos)
    }

    func record(_ span: consuming OTLPSpanWriter, isError: Bool) {
        body.record(span, isError: isError)
        if body.spanCount >= SpanExporter.batchSize || body.byteCount >= Self.handOffBytes {
            handOff()
        } else if !handOffScheduled {
            handOffScheduled = true
            loop.schedule(afterSeconds: Self.handOffSeconds) { [self] in
                handOffScheduled = false
                handOff()
            }
        }
    }

    /// Gives what is waiting to the exporter; also at shutdown, once the loop has stopped.
    func handOff() {
        if let spans = body.take() { tracer.exporter.submit(spans) }
    }
}
