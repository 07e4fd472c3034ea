import Foundation

/// `${VAR}` and `${file:PATH}` expansion in configuration values.
///
/// Secrets belong in the environment or in files a secret store writes (Kubernetes secrets and
/// systemd credentials arrive as files), not in a configuration that is committed or copied
/// around, so any value may embed `${NAME}` or `${file:PATH}`; the text is replaced before the
/// value is typed, which lets numbers and addresses come from outside too. `$${` stands for a
/// literal `${` (for a value that must contain one); any other `$` is kept as written.
/// Replacement text is not scanned again, so a variable's value or a file's content can never
/// pull in another reference.
enum ValueSubstitution {
    /// Where references are looked up.
    struct Sources {
        var environment: [String: String]
        /// What a relative `${file:…}` path is relative to: the configuration file's directory.
        var baseDirectory: String
    }

    enum Failure: Error, Equatable, CustomStringConvertible {
        /// The named variable is not in the environment.
        case missing(String)
        /// `${` without a valid name (or `file:` and a path) and a closing `}`; the text is not
        /// echoed since it may be a secret.
        case malformed
        /// A `${file:…}` that can't be used: the resolved path and why (the content is never echoed).
        case unusableFile(path: String, reason: String)

        var description: String {
            switch self {
            case .missing(let name): "environment variable \(name) is not set"
            case .malformed: "\"${\" must start a reference like ${NAME} (letters, digits, \"_\") or ${file:PATH}; write \"$${\" for a literal \"${\""
            case .unusableFile(_, let reason): "${file:…}: \(reason)"
            }
        }
    }

    /// A file's content is a secret or a short value, never a document: a larger file is a path
    /// given by mistake (a log, a binary) and would otherwise end up in a header.
    static let maxFileBytes = 65_536

    /// Returns `text` with every reference replaced and every `$${` turned into `${`, appending
    /// one failure per missing variable or unusable file (each reported, so all can be fixed at
    /// once) or malformed reference.
    static func substitute(_ text: String, from sources: Sources, failures: inout [Failure]) -> String {
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
                guard let close = body.firstIndex(of: "}") else {
                    failures.append(.malformed)
                    return text
                }
                let reference = body[..<close]
                if reference.hasPrefix("file:"), reference.count > 5 {
                    let path = ConfigurationFilePath.resolve(String(reference.dropFirst(5)), against: sources.baseDirectory)
                    switch readValue(at: path) {
                    case .success(let content): result += content
                    case .failure(let failure): failures.append(failure)
                    }
                } else if isVariableName(reference) {
                    if let value = sources.environment[String(reference)] {
                        result += value
                    } else {
                        failures.append(.missing(String(reference)))
                    }
                } else {
                    failures.append(.malformed)
                    return text
                }
                rest = body[body.index(after: close)...]
            } else {
                result += "$"
                rest = afterDollar
            }
        }
        return result + rest
    }

    /// The file's text without one trailing newline (what `echo` and editors add), read whole:
    /// at most `maxFileBytes`, UTF-8.
    private static func readValue(at path: String) -> Result<String, Failure> {
        if let unusable = ConfigurationFilePath.whyUnreadable(path) {
            return .failure(.unusableFile(path: path, reason: unusable))
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return .failure(.unusableFile(path: path, reason: "cannot open \(path)"))
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxFileBytes + 1) ?? Data()
        } catch {
            return .failure(.unusableFile(path: path, reason: "cannot read \(path): \(error.localizedDescription)"))
        }
        guard data.count <= maxFileBytes else {
            return .failure(.unusableFile(path: path, reason: "\(path) is larger than \(maxFileBytes / 1024) KiB"))
        }
        guard var content = String(validating: data, as: UTF8.self) else {
            return .failure(.unusableFile(path: path, reason: "\(path) is not UTF-8 text"))
        }
        if content.hasSuffix("\n") { content.removeLast() }
        return .success(content)
    }

    /// POSIX shell names: what `export` accepts, so every variable an operator can set can be named.
    private static func isVariableName(_ name: Substring) -> Bool {
        func isLetter(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) }
        func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || isDigit($0) }
    }
}
