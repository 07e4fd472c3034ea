import W3CTraceContext

/// Which traces started at the gateway are recorded (API.md §6, `sampleRatio`): the trace id's
/// low 64 bits against a threshold, like OpenTelemetry's `TraceIdRatioBased`, so the decision
/// costs a comparison and no random draw of its own. A trace the client started is not asked:
/// its sampled flag decides (parent-based).
struct TraceSampler: Sendable {
    private let threshold: UInt64
    private let always: Bool

    init(ratio: Double) {
        always = ratio >= 1
        // 2^64 as a Double; a ratio below 1 gives a product below it, which converts exactly.
        threshold = ratio <= 0 || always ? 0 : UInt64(ratio * 18_446_744_073_709_551_616.0)
    }

    func samples(_ traceID: TraceID) -> Bool {
        if always { return true }
        let low = withUnsafeBytes(of: traceID.bytes) { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self) }
        return UInt64(bigEndian: low) < threshold
    }
}
