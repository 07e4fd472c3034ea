import SwitchyardHTTP

/// The bytes of the faults that are not a well-formed `HTTPResponse`: written raw with
/// `HTTPExchange.respondRaw`, bypassing the server's own framing on purpose.
enum FaultResponses {
    /// Bytes no HTTP client can take for a status line. Never starts with `H`, so the first
    /// bytes cannot be read as the beginning of `HTTP/`.
    static func garbage(byteCount: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<byteCount).map { _ in UInt8.random(in: 0...255, using: &generator) }
        if bytes[0] == UInt8(ascii: "H") { bytes[0] = 0 }
        return bytes
    }

    /// `response` with `Transfer-Encoding: chunked` framing, chunks of `chunkSize`, then the
    /// last chunk; the connection stays open for the next request, as a real vendor's would.
    static func chunked(_ response: HTTPResponse, chunkSize: Int) -> [UInt8] {
        var out = head(response, framing: "transfer-encoding: chunked", close: false)
        var offset = 0
        while offset < response.body.count {
            let end = min(offset + chunkSize, response.body.count)
            out += Array(String(end - offset, radix: 16).utf8) + crlf
            out += response.body[offset..<end]
            out += crlf
            offset = end
        }
        out += Array("0\r\n\r\n".utf8)
        return out
    }

    /// The status line and headers with the full `Content-Length`, then only the first half of
    /// the body (at least one byte short, even for an empty body).
    static func truncated(_ response: HTTPResponse) -> [UInt8] {
        let declared = max(response.body.count, 1)
        return head(response, framing: "content-length: \(declared)", close: true) + response.body.prefix(response.body.count / 2)
    }

    /// `answers` interim heads, one after another, with no final answer after them.
    static func interim(answers: Int) -> [UInt8] {
        let one = Array("HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(one.count * answers)
        for _ in 0..<answers { out += one }
        return out
    }

    private static let crlf: [UInt8] = [13, 10]

    private static func head(_ response: HTTPResponse, framing: String, close: Bool) -> [UInt8] {
        var lines = ["HTTP/1.1 \(response.status) \(HTTPStatus.reasonPhrase(response.status))", "server: switchyard-simulator"]
        lines += response.headers.map { "\($0.name): \($0.value)" }
        lines += [framing] + (close ? ["connection: close"] : []) + ["", ""]
        return Array(lines.joined(separator: "\r\n").utf8)
    }
}
