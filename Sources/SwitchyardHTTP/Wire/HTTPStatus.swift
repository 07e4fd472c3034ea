/// Reason phrases for the status line. HTTP/1.1 clients ignore them (RFC 9112 §4), but people
/// reading a capture don't.
public enum HTTPStatus {
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 207: "Multi-Status"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }

    /// "HTTP/1.1 404 Not Found\r\n" for the common statuses, encoded once, by status − 100: an
    /// index where a dictionary would hash the status on every response.
    private static let statusLines: [[UInt8]?] = {
        var lines = [[UInt8]?](repeating: nil, count: 500)
        for status in [100, 200, 201, 202, 204, 207, 400, 401, 403, 404, 405, 406, 408, 409, 413, 415, 417,
                       422, 429, 431, 500, 501, 502, 503, 504, 505] {
            lines[status - 100] = Array("HTTP/1.1 \(status) \(reasonPhrase(status))\r\n".utf8)
        }
        return lines
    }()

    /// The encoded status line of `status`, when it is a common one.
    static func statusLine(_ status: Int) -> [UInt8]? {
        (100..<600).contains(status) ? statusLines[status - 100] : nil
    }
}
