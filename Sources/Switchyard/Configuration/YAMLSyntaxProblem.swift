import Yams

/// Turns a Yams parse failure into a located problem.
///
/// Only libyaml's own wording and position are kept: Yams' descriptions append a snippet of the
/// offending line, which may hold a secret written inline.
enum YAMLSyntaxProblem {
    static func problem(for error: any Error, source: String) -> ConfigurationProblem {
        func problem(_ message: String, _ mark: (line: Int, column: Int)?) -> ConfigurationProblem {
            ConfigurationProblem(source: source, keyPath: "", line: mark?.line, column: mark?.column, message: message)
        }
        switch error as? YamlError {
        case .scanner(let context, let message, let mark, _),
             .parser(let context, let message, let mark, _),
             .composer(let context, let message, let mark, _):
            // libyaml pairs a context ("while parsing a flow mapping") with the problem found in it.
            let during = context.map { "\($0.text) at line \($0.mark.line), " } ?? ""
            return problem("invalid YAML: \(during)\(message)", (mark.line, mark.column))
        case .reader(let message, let offset, _, let yaml):
            return problem("invalid YAML: \(message)", offset.map { mark(atCharacterOffset: $0, in: yaml) })
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams orders the repeated keys with a comparison that is not total when plain and
            // complex (`? a:`) keys mix, so which key it names first, and the line it reports (the
            // first key's), could change from one read of a file to the next (found by fuzzing:
            // Fuzz/Corpus/config/finding-duplicate-complex-keys-nondeterministic.yaml). The names
            // are sorted here, and the line is given only when every repeated key is plain.
            let complex = "<uncovertable>" // Yams' stand-in for a key that is not a scalar
            var keys = duplicates.filter { $0 != complex }.sorted().map { "\"\($0)\"" }
            let hasComplex = keys.count < duplicates.count
            if hasComplex { keys.append("a key that is not a plain string") }
            let mark = hasComplex ? nil : (context.mark.line, context.mark.column)
            return problem("duplicate key \(keys.joined(separator: ", ")) in one mapping; each key may appear once", mark)
        default:
            return problem("invalid YAML: \(error)", nil)
        }
    }

    private static func mark(atCharacterOffset offset: Int, in yaml: String) -> (line: Int, column: Int) {
        let before = yaml.prefix(offset)
        let line = before.count(where: \.isNewline) + 1
        let column = before.reversed().prefix(while: { !$0.isNewline }).count + 1
        return (line, column)
    }
}
