import SwitchyardIO

/// One loop's finished spans on their way to the exporter: recorded with no lock (the loop owns
/// this), handed over in batches of at most `SpanExporter.batchSize`, when a batch is full or a
/// second after the first span waiting, so the buffer is bounded and idle loops run no timer.
final class SpanRecorder {
    private unowned(unsafe) let loop: EventLoop
    let tracer: Tracer
    private var spans: [RecordedSpan] = []
    private var handOffScheduled = false
    /// The longest a span waits on its loop.
    static let handOffSeconds = 1.0

    init(loop: EventLoop, tracer: Tracer) {
        self.loop = loop
        self.tracer = tracer
    }

    func record(_ span: RecordedSpan) {
        spans.append(span)
        if spans.count >= SpanExporter.batchSize {
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
        guard !spans.isEmpty else { return }
        let batch = spans
        spans.removeAll(keepingCapacity: true)
        tracer.exporter.submit(batch)
    }
}
