/// A request to a simulator's control API (or its in-process equivalent) that it cannot carry
/// out: a malformed fault, a seed of the wrong shape. The message names the offending member.
public struct SimulatorError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// One header of a recorded request or of a fault's answer, as sent.
public struct SimulatorHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
