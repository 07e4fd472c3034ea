/// One loop's metric events since they were last collected: appended on the loop with no lock,
/// handed to `GatewayMetrics` when a scrape or the once-a-second collection asks, or by the
/// loop itself when `capacity` events have piled up (so a loop that is never asked holds a
/// bounded amount).
///
/// The buffer keeps its storage between collections: taking the events swaps in a fresh array
/// of the same capacity, so a steady loop appends without growing.
final class LoopMetrics {
    static let capacity = 4096

    private var events: [MetricEvent] = []
    private let sink: GatewayMetrics?

    /// `sink` nil: nothing is recorded (a gateway built for a test that reads no metrics).
    init(sink: GatewayMetrics?) {
        self.sink = sink
        if sink != nil { events.reserveCapacity(Self.capacity) }
    }

    @inline(__always)
    func record(_ event: MetricEvent) {
        guard let sink else { return }
        events.append(event)
        if events.count >= Self.capacity { sink.deliver(take()) }
    }

    /// The events so far, leaving an empty buffer of the same capacity.
    func take() -> [MetricEvent] {
        var taken: [MetricEvent] = []
        taken.reserveCapacity(Self.capacity)
        swap(&taken, &events)
        return taken
    }
}
