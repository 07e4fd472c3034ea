import Foundation
import Yams

/// Reads composed YAML nodes into typed values, collecting every problem instead of stopping at the
/// first.
///
/// Each reader returns `nil` (or the caller keeps its default) after reporting what is wrong, so
/// decoding always walks the whole document; the loader throws if anything was reported. All scalar
/// values pass through `${VAR}` and `${file:…}` substitution here, before they are typed.
final class ConfigurationDecoder {
    let source: String
    let baseDirectory: String
    let environment: [String: String]
    private(set) var problems: [ConfigurationProblem] = []

    init(source: String, baseDirectory: String, environment: [String: String]) {
        self.source = source
        self.baseDirectory = baseDirectory
        self.environment = environment
    }

    /// Records a problem at `node`'s position (for a missing key, the mapping that lacks it).
    func report(_ message: String, at path: ConfigurationKeyPath, node: Node) {
        problems.append(ConfigurationProblem(
            source: source, keyPath: path.description, line: node.mark?.line, column: node.mark?.column,
            message: message))
    }

    // MARK: Structure

    func mapping(_ node: Node, at path: ConfigurationKeyPath) -> MappingReader? {
        guard case .mapping(let mapping) = node else {
            report("expected a mapping, found \(node.kindDescription)", at: path, node: node)
            return nil
        }
        var entries: [MappingReader.Entry] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                report("keys must be plain strings, found \(key.kindDescription)", at: path, node: key)
                continue
            }
            entries.append(MappingReader.Entry(key: scalar.string, keyNode: key, value: value))
        }
        return MappingReader(node: node, path: path, entries: entries, decoder: self)
    }

    func sequence(_ node: Node, at path: ConfigurationKeyPath) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            report("expected a list, found \(node.kindDescription)", at: path, node: node)
            return nil
        }
        return Array(sequence)
    }

    // MARK: Scalars

    /// The scalar's text after substitution; `expected` names the type for the error message.
    func text(_ node: Node, at path: ConfigurationKeyPath, expected: String) -> String? {
        guard case .scalar(let scalar) = node, !scalar.isNull else {
            report("expected \(expected), found \(node.kindDescription)", at: path, node: node)
            return nil
        }
        var failures: [ValueSubstitution.Failure] = []
        let sources = ValueSubstitution.Sources(environment: environment, baseDirectory: baseDirectory)
        let text = ValueSubstitution.substitute(scalar.string, from: sources, failures: &failures)
        for failure in failures { report(failure.description, at: path, node: node) }
        return failures.isEmpty ? text : nil
    }

    /// A non-empty string without control characters: every string ends up in a path, a header or a
    /// log line, where an empty value or a stray newline (often from a secret file) only fails later.
    func string(_ node: Node, at path: ConfigurationKeyPath) -> String? {
        guard let text = text(node, at: path, expected: "a string") else { return nil }
        if text.isEmpty {
            report("must not be empty", at: path, node: node)
            return nil
        }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            report("must not contain control characters (a trailing newline?)", at: path, node: node)
            return nil
        }
        return text
    }

    func secret(_ node: Node, at path: ConfigurationKeyPath) -> Secret? {
        string(node, at: path).map(Secret.init)
    }

    func integer(_ node: Node, at path: ConfigurationKeyPath, in range: ClosedRange<Int>) -> Int? {
        guard let text = text(node, at: path, expected: "an integer") else { return nil }
        guard let value = Int(text) else {
            report("expected an integer, found \(quoted(text))", at: path, node: node)
            return nil
        }
        guard range.contains(value) else {
            report("must be from \(range.lowerBound) to \(range.upperBound), found \(value)", at: path, node: node)
            return nil
        }
        return value
    }

    /// A duration in seconds, fractional allowed; `allowsZero` for waits that may be skipped entirely.
    func seconds(_ node: Node, at path: ConfigurationKeyPath, allowsZero: Bool = false, maximum: Double = 3600) -> Double? {
        guard let text = text(node, at: path, expected: "a number of seconds") else { return nil }
        guard let value = Double(text), value.isFinite else {
            report("expected a number of seconds, found \(quoted(text))", at: path, node: node)
            return nil
        }
        guard allowsZero ? value >= 0 : value > 0, value <= maximum else {
            let bounds = allowsZero ? "from 0 to" : "more than 0 and at most"
            report("must be \(bounds) \(Int(maximum)) seconds, found \(text)", at: path, node: node)
            return nil
        }
        return value
    }

    /// A share from 0 to 1 (`sampleRatio`, `failureRatio`); `allowsZero` false for a share that
    /// must be positive.
    func ratio(_ node: Node, at path: ConfigurationKeyPath, allowsZero: Bool = true) -> Double? {
        let expected = allowsZero ? "a number from 0 to 1" : "a number more than 0 and at most 1"
        guard let text = text(node, at: path, expected: expected) else { return nil }
        guard let value = Double(text), value.isFinite, (0...1).contains(value), allowsZero || value > 0 else {
            report("expected \(expected), found \(quoted(text))", at: path, node: node)
            return nil
        }
        return value
    }

    /// One of a closed set of names; `noun` says what the value is ("vendor", "scope").
    func choice<Value: RawRepresentable & CaseIterable>(
        _ node: Node, at path: ConfigurationKeyPath, noun: String
    ) -> Value? where Value.RawValue == String {
        guard let text = text(node, at: path, expected: "a string") else { return nil }
        if let value = Value(rawValue: text) { return value }
        let names = Value.allCases.map(\.rawValue).joined(separator: ", ")
        report("unknown \(noun) \(quoted(text)) (expected one of: \(names))", at: path, node: node)
        return nil
    }

    /// A file the server will open later, resolved against the configuration file's directory and
    /// checked now, so that `check` and a reload catch a wrong path before the server tries to use it.
    func filePath(_ node: Node, at path: ConfigurationKeyPath) -> String? {
        guard let text = string(node, at: path) else { return nil }
        let resolved = ConfigurationFilePath.resolve(text, against: baseDirectory)
        if let unusable = ConfigurationFilePath.whyUnreadable(resolved) {
            report(unusable, at: path, node: node)
            return nil
        }
        return resolved
    }

    /// Non-secret values only: the callers quote numbers, names and addresses, never credentials.
    func quoted(_ text: String) -> String {
        let limit = 60
        return (text.count > limit ? String(text.prefix(limit)) + "…" : text).debugDescription
    }
}

extension Node {
    var kindDescription: String {
        switch self {
        case .scalar(let scalar): scalar.isNull ? "null" : "a string"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}

extension Node.Scalar {
    /// YAML's null spellings, recognised only unquoted: `""` and `"null"` are strings.
    var isNull: Bool {
        style == .plain && ["", "~", "null", "Null", "NULL"].contains(string)
    }
}
