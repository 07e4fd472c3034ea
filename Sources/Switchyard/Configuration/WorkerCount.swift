import Yams

/// How many event-loop threads serve the listener.
///
/// `auto` stays symbolic here because the right number (online CPUs) belongs to the machine the
/// server starts on, not to the file: the same file is checked on a laptop and served on a larger host.
public enum WorkerCount: Sendable, Equatable {
    /// One per online CPU, resolved by the server at start.
    case auto
    /// Exactly this many, 1 to 256.
    case fixed(Int)
}

extension ConfigurationDecoder {
    func workerCount(_ node: Node, at path: ConfigurationKeyPath) -> WorkerCount? {
        guard let text = text(node, at: path, expected: "\"auto\" or an integer") else { return nil }
        if text == "auto" { return .auto }
        guard let count = Int(text), (1...256).contains(count) else {
            report("expected \"auto\" or an integer from 1 to 256, found \(quoted(text))", at: path, node: node)
            return nil
        }
        return .fixed(count)
    }
}
