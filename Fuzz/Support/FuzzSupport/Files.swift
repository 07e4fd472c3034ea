import Foundation

/// Files the configuration-reading targets need on disk (certificate paths, a JWKS), made at
/// start-up in a fresh temporary directory: nothing here is committed or a real credential.
public enum FuzzFiles {
    /// Creates `$TMPDIR/switchyard-fuzz-<label>-<pid>/` holding `files` (relative path → content)
    /// and returns its absolute path; it is removed when the process exits.
    public static func makeDirectory(_ label: String, files: [String: String]) -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        let directory = "\(base)/switchyard-fuzz-\(label)-\(getpid())"
        let manager = FileManager.default
        do {
            for (path, content) in files {
                let url = URL(fileURLWithPath: directory + "/" + path)
                try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(content.utf8).write(to: url)
            }
        } catch {
            fatalError("fuzz set-up: cannot write \(directory): \(error)")
        }
        if made.isEmpty { atexit { FuzzFiles.removeAll() } }
        made.append(directory)
        return directory
    }

    /// The directories to remove when the process exits (libFuzzer ends with `exit`).
    nonisolated(unsafe) private static var made: [String] = []

    private static func removeAll() {
        for directory in made { try? FileManager.default.removeItem(atPath: directory) }
    }
}

/// base64url without padding (RFC 7515 §2), the harness's own, so the JWT target does not check
/// the gateway's decoder against itself.
public enum FuzzBase64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let input = Array(bytes)
        var output: [UInt8] = []
        var index = 0
        while index + 3 <= input.count {
            let n = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            output += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            index += 3
        }
        switch input.count - index {
        case 1:
            let n = UInt32(input[index]) << 16
            output += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)]]
        case 2:
            let n = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
            output += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)]]
        default:
            break
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// No padding and no other characters; `strict` also wants the unused low bits of the last
    /// character zero (the one canonical spelling of the bytes).
    public static func decode(_ text: some Sequence<UInt8>, strict: Bool = true) -> [UInt8]? {
        var bits: UInt32 = 0
        var count = 0
        var output: [UInt8] = []
        for byte in text {
            guard let value = alphabet.firstIndex(of: byte) else { return nil }
            bits = bits << 6 | UInt32(value)
            count += 6
            if count >= 8 {
                count -= 8
                output.append(UInt8(truncatingIfNeeded: bits >> UInt32(count)))
                bits &= (1 << UInt32(count)) - 1
            }
        }
        guard count != 6, !strict || bits == 0 else { return nil }
        return output
    }
}
