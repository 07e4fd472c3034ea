/// Everything wrong with a configuration file, found in one pass.
///
/// Reporting only the first problem turns fixing a file into a loop of edit, check, repeat; the loader
/// therefore keeps going after a problem and throws them all at once, in document order.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    public var problems: [ConfigurationProblem]

    /// One problem per line, ready for stderr or a reload response.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
