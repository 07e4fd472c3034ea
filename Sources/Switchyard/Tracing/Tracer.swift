/// The gateway's tracing (API.md §6), made when `observability.tracing` names a collector: the
/// sampling rule the loops apply, the exporter their spans go to, and its counters.
///
/// The counters are for `/metrics` and for operators: every span a loop handed over ends as
/// exported or dropped (a full queue, a failed export, shutdown's deadline), and is queued until then.
public final class Tracer: Sendable {
    public let settings: TracingSettings
    let sampler: TraceSampler
    let exporter: SpanExporter
    /// How long shutdown waits for the last spans to be exported.
    static let flushTimeoutSeconds = 2.0

    /// Resolves the collector's name (blocking: call it off the loops, as `Gateway.init` is);
    /// `exporterLoopIndex` numbers the exporter's own loop after the gateway's.
    init(settings: TracingSettings, exporterLoopIndex: Int, log: (@Sendable (String) -> Void)?) throws {
        self.settings = settings
        sampler = TraceSampler(ratio: settings.sampleRatio)
        exporter = try SpanExporter(settings: settings, loopIndex: exporterLoopIndex, log: log)
    }

    /// Spans the collector accepted (a 2xx answer).
    public var exportedSpanCount: Int { exporter.exported.load(ordering: .relaxed) }
    /// Spans lost: the export queue was full, their export failed, or shutdown's deadline passed.
    public var droppedSpanCount: Int { exporter.dropped.load(ordering: .relaxed) }
    /// Exports that failed: no connection, a timeout, or an answer other than 2xx.
    public var failedExportCount: Int { exporter.failedExports.load(ordering: .relaxed) }
    /// Spans handed over by the loops and not yet exported or dropped.
    public var queuedSpanCount: Int { exporter.pending.load(ordering: .relaxed) }

    /// Starts the exporter's thread; until then spans handed over are dropped.
    public func start() {
        exporter.start()
    }

    /// Resolves the collector's name again (blocking), with the vendors' names.
    func refreshCollectorAddresses() {
        exporter.collector.refreshAddresses()
    }
}
