import SwitchyardHTTP
import SwitchyardIO

/// API.md §2's media rules: bodies are JSON (else 415), `Accept` must admit JSON or problem
/// JSON (else 406), `Content-Encoding: gzip` bodies are inflated within the body limit, and
/// `Accept-Encoding: gzip` gets gzip answers of 1 KiB or more.
enum ContentNegotiation {
    /// Answers smaller than this go out as they are: below it gzip saves too little to pay for
    /// itself.
    static let minimumGzipBytes = 1024

    /// Whether `Accept` (every field line, comma lists) admits one of the types we answer with.
    /// No `Accept` admits everything.
    static func acceptsJSON(_ head: HTTPRequestHead) -> Bool {
        // No Accept, or what nearly every client sends, decided without a string.
        let common = head.withFirstValue(.accept) { value, count in
            guard let value else { return true }
            return count == 1 && (value.bytesEqual("*/*") || value.bytesEqual("application/json"))
        }
        if common { return true }
        for value in head.values(.accept) {
            for range in value.split(separator: ",") {
                let parts = range.split(separator: ";")
                let type = parts.first.map { $0.trimmingWhitespace().lowercased() } ?? ""
                guard ["*/*", "application/*", "application/json", "application/problem+json"].contains(type) else { continue }
                let refused = parts.dropFirst().contains { parameter in
                    let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
                    return pair.count == 2 && pair[0].lowercased() == "q" && (Double(pair[1]) ?? 1) <= 0
                }
                if !refused { return true }
            }
        }
        return false
    }

    /// Whether `Content-Type` is `application/json`, with at most a UTF-8 `charset`.
    static func isJSON(_ head: HTTPRequestHead) -> Bool {
        // What nearly every client sends, decided without a string.
        switch head.withFirstValue(.contentType, { value, _ in value?.bytesEqual("application/json") }) {
        case nil: return false
        case true?: return true
        case false?: break
        }
        guard let value = head.firstValue(.contentType) else { return false }
        let parts = value.split(separator: ";")
        guard parts.first?.trimmingWhitespace().lowercased() == "application/json" else { return false }
        return parts.dropFirst().allSatisfy { parameter in
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace().lowercased() }
            return pair.count == 2 && pair[0] == "charset" && (pair[1] == "utf-8" || pair[1] == "\"utf-8\"")
        }
    }

    /// Whether the client takes gzip (`Accept-Encoding` naming gzip without `q=0`).
    static func acceptsGzip(_ head: HTTPRequestHead) -> Bool {
        for value in head.values(.acceptEncoding) {
            for coding in value.split(separator: ",") {
                let parts = coding.split(separator: ";")
                guard parts.first?.trimmingWhitespace().lowercased() == "gzip" else { continue }
                let refused = parts.dropFirst().contains { parameter in
                    let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
                    return pair.count == 2 && pair[0].lowercased() == "q" && (Double(pair[1]) ?? 1) <= 0
                }
                return !refused
            }
        }
        return false
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    func trimmingWhitespace() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
