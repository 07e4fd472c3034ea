import SwitchyardHTTP

/// An RFC 9457 problem document: how every error leaves the gateway.
public struct Problem: Sendable, Error {
    public var code: ProblemCode
    public var detail: String
    /// Extra response headers the problem needs (`Allow`, `Retry-After`, `WWW-Authenticate`).
    public var headers: [(name: String, value: String)]

    public init(_ code: ProblemCode, detail: String, headers: [(name: String, value: String)] = []) {
        self.code = code
        self.detail = detail
        self.headers = headers
    }

    public static let contentType = "application/problem+json"

    /// The document as JSON: `type`, `title`, `status`, `detail`, `code`, `requestId`.
    public func body(requestID: String) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.member("type", code.type)
        json.member("title", code.title)
        json.member("status", code.status)
        json.member("detail", detail)
        json.member("code", code.rawValue)
        json.member("requestId", requestID)
        json.endObject()
        return json.bytes
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
