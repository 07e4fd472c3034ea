import SwitchyardHTTP
import SwitchyardJSON

/// An RFC 9457 problem document: how every error leaves the gateway.
public struct Problem: Sendable, Error, CustomStringConvertible {
    public var code: ProblemCode
    public var detail: String
    /// Extra response headers the problem needs (`Allow`, `Retry-After`, `WWW-Authenticate`).
    public var headers: [(name: String, value: String)]
    /// The request's fields at fault (422 and type errors), as JSON pointers with reasons.
    public var fields: [FieldError]
    /// What the vendor answered, when the problem stems from its answer: a diagnostic for
    /// operators, never a success body.
    public var upstream: UpstreamDiagnostic?

    public init(_ code: ProblemCode, detail: String, headers: [(name: String, value: String)] = [],
                fields: [FieldError] = [], upstream: UpstreamDiagnostic? = nil) {
        self.code = code
        self.detail = detail
        self.headers = headers
        self.fields = fields
        self.upstream = upstream
        // A body of 85,000 unknown members is 85,000 errors; the client needs the first few to fix
        // its request, and the gateway must not build (and buffer) megabytes of answer for it.
        if fields.count > Problem.maxFields {
            self.fields = Array(fields.prefix(Problem.maxFields))
            self.detail += " (the first \(Problem.maxFields) of \(fields.count) are listed)"
        }
    }

    /// The code and the detail, for logs (the document itself is `ProblemDocument`'s).
    public var description: String { "\(code.rawValue): \(detail)" }

    /// The most `fields` a problem lists.
    public static let maxFields = 100

    public static let contentType = "application/problem+json"

    /// The document as JSON: `type`, `title`, `status`, `detail`, `code`, `requestId`, then
    /// `fields` and `upstream` when present.
    public func body(requestID: RequestID) -> [UInt8] {
        var json = JSONWriter()
        write(to: &json, requestID: requestID)
        return json.bytes
    }

    /// Writes the document as one JSON object (also how a bulk result embeds it).
    public func write(to json: inout JSONWriter, requestID: RequestID) {
        json.beginObject()
        json.member("type", code.type)
        json.member("title", code.title)
        json.member("status", code.status)
        json.member("detail", detail)
        json.member("code", code.rawValue)
        requestID.withUTF8 { json.member("requestId", utf8: $0) }
        if !fields.isEmpty {
            json.key("fields")
            json.beginArray()
            for field in fields {
                json.beginObject()
                json.member("pointer", field.pointer)
                json.member("reason", field.reason)
                json.endObject()
            }
            json.endArray()
        }
        if let upstream {
            json.key("upstream")
            json.beginObject()
            json.member("status", upstream.status)
            if let code = upstream.code { json.member("code", code) }
            if let message = upstream.message { json.member("message", message) }
            json.endObject()
        }
        json.endObject()
    }

    public func response(requestID: RequestID) -> HTTPResponse {
        HTTPResponse(
            status: code.status,
            headers: [("content-type", Problem.contentType)] + headers,
            body: body(requestID: requestID)
        )
    }
}

extension Problem {
    /// The problem for a request the HTTP layer refused before dispatch: 431 for an oversized head,
    /// 413 for an oversized body, 408 for a head or body that did not arrive in time, 503 when
    /// the pending-body budget is spent, 400 for everything malformed.
    public init(parseError: HTTPParseError) {
        switch parseError.status {
        case 431: self.init(.requestHeaderTooLarge, detail: parseError.detail)
        case 413: self.init(.payloadTooLarge, detail: parseError.detail)
        case 408: self.init(.requestTimeout, detail: parseError.detail)
        case 503: self.init(.overloaded, detail: parseError.detail, headers: [("retry-after", "1")])
        default: self.init(.invalidRequest, detail: parseError.detail)
        }
    }
}

/// A vendor's answer as the vendor sent it (`status`, its own error `code` and `message`), kept
/// in a problem so an operator can see what the vendor said without the gateway's logs.
public struct UpstreamDiagnostic: Sendable, Equatable {
    public var status: Int
    public var code: String?
    public var message: String?

    public init(status: Int, code: String? = nil, message: String? = nil) {
        self.status = status
        self.code = code.map { UpstreamDiagnostic.cut($0, to: UpstreamDiagnostic.maxCodeBytes) }
        self.message = message.map { UpstreamDiagnostic.cut($0, to: UpstreamDiagnostic.maxMessageBytes) }
    }

    /// API.md §2: a vendor's message is copied into a client's answer cut at 1 KiB, so a vendor
    /// that floods its error text can't make every answer that large.
    public static let maxMessageBytes = 1024
    static let maxCodeBytes = 128

    /// `text`'s longest prefix of at most `limit` UTF-8 bytes that ends on a scalar boundary.
    static func cut(_ text: String, to limit: Int) -> String {
        let utf8 = text.utf8
        guard utf8.count > limit else { return text }
        var bytes = Array(utf8.prefix(limit))
        // The byte after the cut continues a scalar: drop that scalar's bytes before the cut.
        if utf8[utf8.index(utf8.startIndex, offsetBy: limit)] & 0xC0 == 0x80 {
            while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }
            if !bytes.isEmpty { bytes.removeLast() }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
