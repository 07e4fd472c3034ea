import SwitchyardIO

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

    /// "HTTP/1.1 404 Not Found\r\n" for the common statuses, encoded once into one array, and where
    /// each lies in it by status − 100 (empty for the others): an index where a dictionary would
    /// hash the status on every response, and one array read in place where a line of its own
    /// would be retained and released for each.
    private static let statusLines: (bytes: [UInt8], ranges: [Range<Int32>]) = {
        var bytes: [UInt8] = []
        var ranges = [Range<Int32>](repeating: 0..<0, count: 500)
        for status in [100, 200, 201, 202, 204, 207, 400, 401, 403, 404, 405, 406, 408, 409, 413, 415, 417,
                       422, 429, 431, 500, 501, 502, 503, 504, 505] {
            let start = Int32(bytes.count)
            bytes.append(contentsOf: "HTTP/1.1 \(status) \(reasonPhrase(status))\r\n".utf8)
            ranges[status - 100] = start..<Int32(bytes.count)
        }
        return (bytes, ranges)
    }()

    /// Appends the status line of `status`: a common one as encoded once, any other formatted.
    static func appendStatusLine(_ status: Int, to buffer: ByteBuffer) {
        if (100..<600).contains(status) {
            let range = statusLines.ranges[status - 100]
            if !range.isEmpty {
                statusLines.bytes.withUnsafeBytes { lines in
                    buffer.append(UnsafeRawBufferPointer(rebasing: lines[Int(range.lowerBound)..<Int(range.upperBound)]))
                }
                return
            }
        }
        buffer.append("HTTP/1.1 \(status) \(reasonPhrase(status))\r\n")
    }
}
