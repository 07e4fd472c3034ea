/// One thing wrong with a configuration file, located as precisely as the YAML allows.
///
/// Operators fix a file from the top down, so each problem carries the file, line and column of the
/// offending node together with the dotted key path (`tenants.acme.rateLimit.burst`), which stays
/// meaningful where a line number is not (values that came from the environment, cross-references).
/// Messages never contain the value of a secret.
public struct ConfigurationProblem: Sendable, Equatable, CustomStringConvertible {
    /// The file name as the operator gave it, so messages match what they typed.
    public var source: String
    /// Dotted key path with list indices (`auth.apiKeys[0].tenant`); empty for the document itself.
    public var keyPath: String
    /// 1-based line, when the problem belongs to a node of the document.
    public var line: Int?
    /// 1-based column in Unicode scalars, when the problem belongs to a node of the document.
    public var column: Int?
    public var message: String

    /// `file:line:column: key.path: message`, the shape editors and CI logs turn into links.
    public var description: String {
        var location = source
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return keyPath.isEmpty ? "\(location): \(message)" : "\(location): \(keyPath): \(message)"
    }
}
