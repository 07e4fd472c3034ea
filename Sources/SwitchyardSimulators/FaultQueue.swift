/// The faults waiting for requests, in the order they were added. A request takes the first one
/// that matches its path; a fault leaves the queue when its count is spent.
struct FaultQueue {
    private(set) var pending: [SimulatorFault] = []

    mutating func add(_ fault: SimulatorFault) {
        pending.append(fault)
    }

    /// The fault for a request to `path`, counted as used; nil to answer normally.
    mutating func take(forPath path: String) -> SimulatorFault.Kind? {
        guard let index = pending.firstIndex(where: { $0.matches(path: path) }) else { return nil }
        let kind = pending[index].kind
        pending[index].count -= 1
        if pending[index].count == 0 { pending.remove(at: index) }
        return kind
    }

    mutating func removeAll() {
        pending.removeAll()
    }
}
