/// `${VAR}` expansion in configuration values.
///
/// Secrets belong in the environment (or a secret store that fills it), not in a file that is
/// committed or copied around, so any value may embed `${NAME}`; the text is replaced before the
/// value is typed, which lets numbers and addresses come from the environment too. `$${` stands for a
/// literal `${` (for a value that must contain one); any other `$` is kept as written. Replacement
/// text is not scanned again, so a variable's value can never pull in another variable.
enum EnvironmentSubstitution {
    enum Failure: Equatable {
        /// The named variable is not in the environment.
        case missing(String)
        /// `${` without a valid name and a closing `}`; the text is not echoed since it may be a secret.
        case malformed
    }

    /// Returns `text` with every `${NAME}` replaced and every `$${` turned into `${`, appending one
    /// failure per missing variable (each reported, so all can be fixed at once) or malformed reference.
    static func substitute(_ text: String, from environment: [String: String], failures: inout [Failure]) -> String {
        guard text.contains("$") else { return text }
        var result = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let afterDollar = rest[rest.index(after: dollar)...]
            if afterDollar.hasPrefix("${") {
                result += "${"
                rest = afterDollar.dropFirst(2)
            } else if afterDollar.hasPrefix("{") {
                let body = afterDollar.dropFirst()
                guard let close = body.firstIndex(of: "}"), isVariableName(body[..<close]) else {
                    failures.append(.malformed)
                    return text
                }
                let name = String(body[..<close])
                if let value = environment[name] {
                    result += value
                } else {
                    failures.append(.missing(name))
                }
                rest = body[body.index(after: close)...]
            } else {
                result += "$"
                rest = afterDollar
            }
        }
        return result + rest
    }

    /// POSIX shell names: what `export` accepts, so every variable an operator can set can be named.
    private static func isVariableName(_ name: Substring) -> Bool {
        func isLetter(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) }
        func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || isDigit($0) }
    }
}
