import SwitchyardHTTP

/// An RFC 9457 problem document: how every error leaves the gateway.
public struct Problem: Sendable, Error {
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
    }

    public static let contentType = "application/problem+json"

    /// The document as JSON: `type`, `title`, `status`, `detail`, `code`, `requestId`, then
    /// `fields` and `upstream` when present.
    public func body(requestID: String) -> [UInt8] {
        var json = JSONWriter()
        write(to: &json, requestID: requestID)
        return json.bytes
    }

    /// Writes the document as one JSON object (also how a bulk result embeds it).
    public func write(to json: inout JSONWriter, requestID: String) {
        json.beginObject()
        json.member("type", code.type)
        json.member("title", code.title)
        json.member("status", code.status)
        json.member("detail", detail)
        json.member("code", code.rawValue)
        json.member("requestId", requestID)
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

    public func response(requestID: String) -> HTTPResponse {
        HTTPResponse(
            status: code.status,
            headers: [("content-type", Problem.contentType)] + headers,
            body: body(requestID: requestID)
        )
    }
}

extension Problem {
    /// The problem for a request the HTTP layer could not parse: 431 for an oversized head,
    /// 413 for an oversized body, 400 for everything malformed.
    public init(parseError: HTTPParseError) {
        switch parseError.status {
        case 431: self.init(.requestHeaderTooLarge, detail: parseError.detail)
        case 413: self.init(.payloadTooLarge, detail: parseError.detail)
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
        self.code = code
        self.message = message
    }
}
