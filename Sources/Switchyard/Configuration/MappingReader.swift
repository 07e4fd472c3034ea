import Yams

/// One YAML mapping being decoded: looks keys up, reports missing and unknown ones, and hands each
/// value to the decoder with its key path.
struct MappingReader {
    struct Entry {
        let key: String
        let keyNode: Node
        let value: Node
    }

    let node: Node
    let path: ConfigurationKeyPath
    let entries: [Entry]
    let decoder: ConfigurationDecoder

    var keys: [String] { entries.map(\.key) }

    func value(_ key: String) -> Node? {
        entries.first { $0.key == key }?.value
    }

    /// Reports every key not in `known`, with the closest known key when one is near.
    ///
    /// Unknown keys are errors rather than warnings: a misspelt `burst` or `caFile` would otherwise
    /// silently fall back to a default, which is the mistake an operator least expects.
    func rejectUnknownKeys(known: [String]) {
        for entry in entries where !known.contains(entry.key) {
            let hint = KeySuggestion.closest(to: entry.key, among: known).map { "did you mean \"\($0)\"?" }
                ?? "expected one of: \(known.joined(separator: ", "))"
            decoder.report("unknown key (\(hint))", at: path.appending(entry.key), node: entry.keyNode)
        }
    }

    /// Decodes `key` with `read`; `nil` when the key is absent (reported if `required`) or invalid.
    func decode<Value>(
        _ key: String, required: Bool = false,
        _ read: (Node, ConfigurationKeyPath) -> Value?
    ) -> Value? {
        guard let value = value(key) else {
            if required {
                decoder.report("missing required key", at: path.appending(key), node: node)
            }
            return nil
        }
        return read(value, path.appending(key))
    }

    func string(_ key: String, required: Bool = false) -> String? {
        decode(key, required: required) { decoder.string($0, at: $1) }
    }

    func secret(_ key: String, required: Bool = false) -> Secret? {
        decode(key, required: required) { decoder.secret($0, at: $1) }
    }

    func integer(_ key: String, required: Bool = false, in range: ClosedRange<Int>) -> Int? {
        decode(key, required: required) { decoder.integer($0, at: $1, in: range) }
    }

    func filePath(_ key: String, required: Bool = false) -> String? {
        decode(key, required: required) { decoder.filePath($0, at: $1) }
    }

    func mapping(_ key: String, required: Bool = false) -> MappingReader? {
        decode(key, required: required) { decoder.mapping($0, at: $1) }
    }
}
