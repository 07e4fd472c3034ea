import SwitchyardIO

/// Reason phrases for the status line. HTTP/1.1 clients ignore them (RFC 9112 §4), but people
/// reading a capture don't.
public enum HTTPStatus {
    /// The reason phrase of a common status (as its status line has it), "Status 299" for another.
    public static func reasonPhrase(_ status: Int) -> String {
        guard let line = statusLine(status) else { return "Status \(status)" }
        // `HTTP/1.1 404 ` before it, CRLF after.
        let bytes = UnsafeRawBufferPointer(start: line.utf8Start, count: line.utf8CodeUnitCount)
        return String(decoding: bytes[13..<(bytes.count - 2)], as: UTF8.self)
    }

    /// "HTTP/1.1 404 Not Found\r\n" for the common statuses, nil for the others: one list for the
    /// lines and their phrases. A switch of constants, which compiles to a table in the binary: a
    /// static table built at first use was a lazy global, a `swift_once` call on every response.
    private static func statusLine(_ status: Int) -> StaticString? {
        switch status {
        case 100: "HTTP/1.1 100 Continue\r\n"
        case 200: "HTTP/1.1 200 OK\r\n"
        case 201: "HTTP/1.1 201 Created\r\n"
        case 202: "HTTP/1.1 202 Accepted\r\n"
        case 204: "HTTP/1.1 204 No Content\r\n"
        case 207: "HTTP/1.1 207 Multi-Status\r\n"
        case 400: "HTTP/1.1 400 Bad Request\r\n"
        case 401: "HTTP/1.1 401 Unauthorized\r\n"
        case 403: "HTTP/1.1 403 Forbidden\r\n"
        case 404: "HTTP/1.1 404 Not Found\r\n"
        case 405: "HTTP/1.1 405 Method Not Allowed\r\n"
        case 406: "HTTP/1.1 406 Not Acceptable\r\n"
        case 408: "HTTP/1.1 408 Request Timeout\r\n"
        case 409: "HTTP/1.1 409 Conflict\r\n"
        case 413: "HTTP/1.1 413 Content Too Large\r\n"
        case 415: "HTTP/1.1 415 Unsupported Media Type\r\n"
        case 417: "HTTP/1.1 417 Expectation Failed\r\n"
        case 422: "HTTP/1.1 422 Unprocessable Content\r\n"
        case 429: "HTTP/1.1 429 Too Many Requests\r\n"
        case 431: "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        case 500: "HTTP/1.1 500 Internal Server Error\r\n"
        case 501: "HTTP/1.1 501 Not Implemented\r\n"
        case 502: "HTTP/1.1 502 Bad Gateway\r\n"
        case 503: "HTTP/1.1 503 Service Unavailable\r\n"
        case 504: "HTTP/1.1 504 Gateway Timeout\r\n"
        case 505: "HTTP/1.1 505 HTTP Version Not Supported\r\n"
        default: nil
        }
    }

    /// Appends the status line of `status`: a common one as written above, any other formatted.
    static func appendStatusLine(_ status: Int, to buffer: ByteBuffer) {
        if let line = statusLine(status) {
            buffer.append(line)
        } else {
            buffer.append("HTTP/1.1 \(status) \(reasonPhrase(status))\r\n")
        }
    }
}
