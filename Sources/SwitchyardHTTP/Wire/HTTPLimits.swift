/// The bounds a connection puts on one request, so that no client can make the gateway buffer or
/// scan without limit.
///
/// `maxHeaderBytes` bounds the whole head section (leading empty lines, request line, field lines
/// and the final empty line) and, separately, a chunked body's trailer section; `maxBodyBytes`
/// bounds the decoded payload, whether framed by `Content-Length` or chunked; `maxHeaderCount`
/// bounds the number of field lines, because each one costs an `HTTPField` and a comparison in
/// every lookup even when the section is small.
public struct HTTPLimits: Sendable, Equatable {
    public var maxHeaderBytes: Int
    public var maxBodyBytes: Int
    public var maxHeaderCount: Int

    public init(maxHeaderBytes: Int = 16384, maxBodyBytes: Int = 1_048_576, maxHeaderCount: Int = 100) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderCount = maxHeaderCount
    }
}
