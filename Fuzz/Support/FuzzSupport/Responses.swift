import SwitchyardHTTP

/// Reads a fuzz input as an upstream answer: an HTTP/1.1 response head (status line, fields,
/// empty line), then the body, which is every byte after the head whatever the framing says
/// (the client has already de-chunked and gunzipped what an adapter sees). `nil` when the head
/// does not parse: the response parser is fuzzed on its own (response-head).
public func upstreamResponse(
    _ input: UnsafeRawBufferPointer, requestMethod: HTTPMethod = .put, limits: HTTPLimits = HTTPLimits()
) -> UpstreamResponse? {
    var parser = ResponseParser(limits: limits)
    var head = HTTPResponseHead()
    guard case .complete(let headLength) = parser.parseHead(input, requestMethod: requestMethod, into: &head),
          !head.isInterim
    else { return nil }
    return UpstreamResponse(head: head, body: Array(input[headLength...]))
}
