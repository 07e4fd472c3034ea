import Crypto
import SwitchyardDevices
import SwitchyardHTTP

/// A write's `Idempotency-Key` (API.md §2, draft-ietf-httpapi-idempotency-key-header), and what
/// makes a repeat the same request: its fingerprint.
struct IdempotencyKey: Equatable {
    /// The key as the client gave it, quotes removed: `"k1"` and `k1` are one key.
    let value: String
    /// SHA-256 of method, target and body, hex: a repeat must match it to be replayed.
    let fingerprint: String

    /// The header's key, nil when there is none, or the 400 for one that is not 1 to 255 visible
    /// ASCII characters without spaces (bare, or as a structured-field string).
    static func read(_ head: HTTPRequestHead, body: [UInt8]) -> Result<IdempotencyKey, Problem>? {
        guard let raw = head.firstValue(.idempotencyKey) else { return nil }
        var bytes = Array(raw.utf8)
        if bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") {
            bytes = Array(bytes.dropFirst().dropLast())
            // A structured-field string may escape `"` and `\`; a key needs neither.
            if bytes.contains(UInt8(ascii: "\"")) || bytes.contains(UInt8(ascii: "\\")) { bytes = [] }
        }
        guard (1...255).contains(bytes.count), bytes.withUnsafeBytes(\.isVisibleASCII) else {
            return .failure(Problem(.invalidRequest,
                                    detail: "Idempotency-Key must be 1 to 255 visible ASCII characters without spaces, bare or quoted."))
        }
        var hash = SHA256()
        hash.update(data: Array(head.methodName.utf8))
        hash.update(data: [UInt8(ascii: " ")])
        hash.update(data: Array(head.targetString.utf8))
        hash.update(data: [UInt8(ascii: "\n")])
        hash.update(data: body)
        let fingerprint = hash.finalize().map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]], as: UTF8.self)
        }.joined()
        return .success(IdempotencyKey(value: String(decoding: bytes, as: UTF8.self), fingerprint: fingerprint))
    }

    /// Whether an answer may be kept for repeats: not one a retry could change (429, 5xx, and the
    /// gateway's own 401 and 403).
    static func keeps(status: Int) -> Bool {
        status < 500 && status != 429 && status != 401 && status != 403
    }
}

/// An answer kept for an idempotency key: what a repeat gets again.
struct IdempotentAnswer: Sendable, Equatable {
    var status: Int
    var contentType: String?
    var body: [UInt8]

    /// One string for the Redis store: `status`, a tab, the content type, a newline, the body.
    var encoded: [UInt8] {
        Array("\(status)\t\(contentType ?? "")\n".utf8) + body
    }

    init(status: Int, contentType: String?, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    init?(encoded: ArraySlice<UInt8>) {
        guard let tab = encoded.firstIndex(of: UInt8(ascii: "\t")),
              let newline = encoded[tab...].firstIndex(of: UInt8(ascii: "\n")),
              let status = Int(String(decoding: encoded[..<tab], as: UTF8.self)) else { return nil }
        let type = String(decoding: encoded[(tab + 1)..<newline], as: UTF8.self)
        self.init(status: status, contentType: type.isEmpty ? nil : type, body: Array(encoded[(newline + 1)...]))
    }

    /// The answer a repeat gets: the same status and body, and `Idempotent-Replayed: true`.
    var replay: HTTPResponse {
        var headers: [(name: String, value: String)] = [("idempotent-replayed", "true")]
        if let contentType { headers.append(("content-type", contentType)) }
        return HTTPResponse(status: status, headers: headers, body: body)
    }
}

/// What a store says of a request with a key.
enum IdempotencyClaim: Equatable {
    /// The first with this key: go on; the key is held for it until its answer is finished.
    case proceed
    case replay(IdempotentAnswer)
    /// 409 `idempotency_key_in_use`.
    case inUse
    /// 422 `idempotency_key_reused`.
    case reused
}
