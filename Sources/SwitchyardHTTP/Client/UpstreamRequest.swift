import SwitchyardIO

/// A request for an upstream, as a vendor adapter builds it.
///
/// The client writes the framing itself: `Host` (from the target), `Content-Length`,
/// `Accept-Encoding: gzip`; persistence is HTTP/1.1's default. Those names (and the other
/// hop-by-hop ones) are therefore refused in `headers`, as is anything that could split a line:
/// such a request fails with `.invalidRequest` before a byte is sent.
public struct UpstreamRequest: Sendable {
    /// A known method; `.other` cannot be sent (its name is not kept).
    public var method: HTTPMethod
    /// Origin-form: `/path?query`, visible ASCII only (percent-encode the rest).
    public var path: String
    /// The upstream's own path (a tenant's `upstream` URL's, `/api/v1`), written just before `path`:
    /// empty, or `/` and visible ASCII without a query. Kept apart so that no string joins the two on
    /// every call: an adapter's path names only the vendor's resource.
    public var pathPrefix = ""
    /// A last segment from a request (a device id), written after `path` percent-encoded
    /// (`PercentEncoding`: no value can add a segment, a query or a line), so that an adapter joins
    /// no strings for it on every call. `path` then has no query. An empty segment is none: both
    /// write nothing.
    public var pathSegment: CompactString? {
        get { segment.isEmpty ? nil : segment }
        set { segment = newValue ?? CompactString() }
    }
    /// `pathSegment`'s text, empty for none, stored without an optional: a stored optional with a
    /// reference-counted payload made Swift 6.3 copy the whole request and destroy the original
    /// wherever one was returned (an adapter's `request`, the vendor call's), some 400
    /// instructions each (callgrind).
    var segment: CompactString
    /// What goes on the request line (RFC 9112 §3.2, origin-form): `pathPrefix`, `path`, then the
    /// encoded `pathSegment`.
    public var requestTarget: String {
        pathPrefix + path + (pathSegment.map { PercentEncoding.encode($0, spaceAsPlus: false).description } ?? "")
    }
    /// The account's constant lines, checked once (`UpstreamHeaderBlock`); written first.
    public var fixedHeaders: UpstreamHeaderBlock
    /// The id of the request this call serves, passed on as `x-request-id`: written from its value
    /// (a made id's hex), after `fixedHeaders`. Checked where it was made.
    public var requestID: RequestID? {
        @inlinable get { hasRequestID ? propagatedID : nil }
        @inlinable set {
            hasRequestID = newValue != nil
            propagatedID = newValue ?? .placeholder
        }
    }
    /// `requestID` stored without an optional, as `segment` is: the placeholder when
    /// `hasRequestID` is false.
    @usableFromInline var propagatedID = RequestID.placeholder
    @usableFromInline var hasRequestID = false
    /// The trace this call is part of, passed on as a version-00 `traceparent` written from its ids
    /// (API.md §2), after the request id.
    public var traceParent: TraceParent?
    /// This call's own lines, checked on every call; written last.
    public var headers: [(name: String, value: String)]
    /// Every line the request carries besides the client's framing, in the order written.
    public var fields: [(name: String, value: String)] {
        var propagated: [(name: String, value: String)] = []
        if let requestID { propagated.append(("x-request-id", requestID.description)) }
        if let traceParent { propagated.append(("traceparent", traceParent.headerValue)) }
        return fixedHeaders.lines + propagated + headers
    }
    public var body: [UInt8]

    public init(method: HTTPMethod, path: String, pathSegment: CompactString? = nil, fixedHeaders: UpstreamHeaderBlock = .none,
                headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.path = path
        segment = pathSegment ?? CompactString()
        self.fixedHeaders = fixedHeaders
        self.headers = headers
        self.body = body
    }

    /// Why the request cannot be written, or nil. Every byte that goes on the wire from the
    /// caller's strings is checked once: here, or for `fixedHeaders` when the block was made.
    func validationProblem() -> String? {
        guard method.token != nil else { return "the method is not one the client can send" }
        // Eight bytes a step: an adapter's path is a constant, checked again on every call.
        let (pathIsVisible, hasQuery) = path.withContiguousUTF8 { bytes in
            let bytes = UnsafeRawBufferPointer(bytes)
            return (bytes.first == UInt8(ascii: "/") && bytes.isVisibleASCII, bytes.containsByte(UInt8(ascii: "?")))
        }
        guard pathIsVisible else {
            return "the path must start with / and contain only visible ASCII"
        }
        guard pathSegment == nil || !hasQuery else {
            return "a path with a query can have no segment after it"
        }
        guard pathPrefix.isEmpty || pathPrefix.withContiguousUTF8({ bytes in
            let bytes = UnsafeRawBufferPointer(bytes)
            return bytes.first == UInt8(ascii: "/") && bytes.isVisibleASCII && !bytes.containsByte(UInt8(ascii: "?"))
        }) else {
            return "the path prefix must be empty or start with / and contain only visible ASCII, without a query"
        }
        return fixedHeaders.problem ?? Self.problem(with: headers)
    }

    /// Why `headers` can't be sent, or nil. Every call's own lines pass here (the request id and
    /// the trace's among them), so their bytes are scanned where they lie.
    static func problem(with headers: [(name: String, value: String)]) -> String? {
        for (name, value) in headers {
            guard !name.isEmpty, name.allUTF8(HTTPSyntax.isTokenCharacter) else { return "a header name is not a token" }
            // Field-value bytes exclude CR and LF, so a value can never end the line early.
            guard value.withContiguousUTF8({ HTTPSyntax.isFieldValue(UnsafeRawBufferPointer($0)) }) else {
                return "the value of \(name) contains a control character"
            }
            if Self.isReserved(name) { return "\(name) is written by the client itself" }
        }
        return nil
    }

    private static let reservedNames: [StaticString] = [
        "host", "content-length", "transfer-encoding", "connection", "keep-alive", "accept-encoding",
        "te", "trailer", "upgrade", "expect", "proxy-connection",
    ]
    /// A bit per length of a reserved name: most names are no reserved name's length.
    private static let reservedLengths: UInt64 = reservedNames.reduce(0) { $0 | 1 << $1.utf8CodeUnitCount }

    /// Compared in place, ignoring ASCII case, so checking a header allocates nothing.
    private static func isReserved(_ name: String) -> Bool {
        let count = name.utf8.count
        guard count < 64, reservedLengths >> count & 1 == 1 else { return false }
        return name.withContiguousUTF8 { bytes in
            reservedNames.contains { HTTPSyntax.equalsIgnoringCase(UnsafeRawBufferPointer(bytes), 0..<count, $0) }
        }
    }

    /// Whether the request carries a `Content-Length` even when the body is empty: methods that
    /// define a meaning for a body (RFC 9110 §8.6: a user agent SHOULD send one then).
    var sendsContentLength: Bool {
        !body.isEmpty || method == .post || method == .put || method == .patch
    }
}

/// A complete upstream answer: its head and its body, gzip already undone (the head still shows
/// what the server sent, `Content-Encoding` included). Any status, 5xx included: deciding what a
/// status means is the caller's job.
public struct UpstreamResponse: Sendable {
    public var head: HTTPResponseHead
    public var body: [UInt8]
    /// The answer came on a pooled keep-alive connection rather than a new one.
    public var reusedConnection = false

    public var status: Int { head.status }

    public init(head: HTTPResponseHead, body: [UInt8]) {
        self.head = head
        self.body = body
    }

    /// A whole answer from its bytes, head then body (everything after the head, as it is): for
    /// the vendors scripted in tests and fuzz targets, never for the wire, where `UpstreamClient`
    /// frames and decodes. nil when the head does not parse, is cut short or is interim.
    public init?(parsing bytes: UnsafeRawBufferPointer, requestMethod: HTTPMethod = .put, limits: HTTPLimits = HTTPLimits()) {
        var parser = ResponseParser(limits: limits)
        var head = HTTPResponseHead()
        guard case .complete(let headLength) = parser.parseHead(bytes, requestMethod: requestMethod, into: &head), !head.isInterim else {
            return nil
        }
        self.init(head: head, body: Array(bytes[headLength...]))
    }
}

extension HTTPMethod {
    /// The method's name as written on the wire; nil for `.other`, and for CONNECT, whose success
    /// turns the connection into a tunnel.
    public var token: StaticString? {
        self == .connect ? nil : name
    }
}
