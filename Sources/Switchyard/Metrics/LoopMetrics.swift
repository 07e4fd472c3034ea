/// One loop's metric events since they were last collected, tallied by series on the loop with no
/// lock (`MetricTally`), handed to `GatewayMetrics` when a scrape or the once-a-second collection
/// asks, or by the loop itself when `capacity` events have piled up (so a loop that is never asked
/// holds a bounded amount).
final class LoopMetrics {
    static let capacity = 4096

    private var tally = MetricTally()
    private let sink: GatewayMetrics?

    /// `sink` nil: nothing is recorded (a gateway built for a test that reads no metrics).
    init(sink: GatewayMetrics?) {
        self.sink = sink
    }

    /// The sink is tested and called in place: `guard let sink` would copy it, a retain and a
    /// release on every event.
    @inline(__always)
    func record(_ event: MetricEvent) {
        guard sink != nil else { return }
        tally.add(event)
        if tally.size >= Self.capacity { sink?.deliver(take()) }
    }

    /// The tally so far, leaving an empty one.
    func take() -> MetricTally {
        var taken = MetricTally()
        swap(&taken, &tally)
        return taken
    }
}
