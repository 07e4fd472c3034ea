import SwitchyardHTTP
import SwitchyardIO
import W3CTraceContext

/// A vendor call of a recorded request, between the call going out and its answer: what its
/// client span needs from before the call.
struct VendorCallSpan {
    let spanID: SpanID
    /// Monotonic nanoseconds when the call went out.
    let started: UInt64
    let method: String
    let host: String
    let port: UInt16
    /// Scheme, host, port (when not the scheme's) and path: never a query, which may hold a
    /// vendor's credentials, and never user information (the client does not send any).
    let url: String
    /// 1 for the device call sent again after the vendor refused the token (`DeviceCall`).
    let resendCount: Int
}

extension GatewayRequest {
    /// The server span (API.md §6), once the answer is finished: named for the method and route
    /// template, an error when the gateway answered 5xx.
    func recordServerSpan(status: Int) {
        guard let recorder = context.spans, trace.isRecorded else { return }
        let method = head.methodName
        let route: String? = if case .notFound = route { nil } else { routeTemplate }
        var attributes: [(key: StaticString, value: RecordedSpan.Value)] = [("http.request.method", .string(method))]
        if let route { attributes.append(("http.route", .string(route))) }
        attributes.append(("http.response.status_code", .int(status)))
        attributes.append(("url.scheme", .string("https")))
        if let client { attributes.append(("client.address", .string(client.host))) }
        if let tenant { attributes.append(("switchyard.tenant", .string(tenant))) }
        if let vendor { attributes.append(("switchyard.vendor", .string(vendor.rawValue))) }
        if let problem { attributes.append(("switchyard.problem.code", .string(problem.rawValue))) }
        recorder.record(RecordedSpan(traceID: trace.traceID, spanID: trace.spanID, parentID: trace.callerSpanID,
                             name: route.map { "\(method) \($0)" } ?? method, kind: .server,
                             startUnixNanos: unixNanos(at: arrived), endUnixNanos: unixNanos(at: MonotonicClock.now()),
                             attributes: attributes, isError: status >= 500))
    }

    /// Before a vendor call (the token fetch included): the trace headers on `upstream` (API.md
    /// §2), and the call's client span when the request is recorded.
    func beginVendorCall(_ upstream: inout UpstreamRequest, to target: UpstreamTarget, resendCount: Int) -> VendorCallSpan? {
        var span: VendorCallSpan?
        if context.spans != nil, trace.isRecorded {
            // The path up to its query, found in the contiguous bytes: a search through `String`'s
            // indices (even its UTF-8 view's) costs more than the rest of the span.
            var path = upstream.path
            let url = path.withUTF8 { bytes in
                let end = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.count
                return target.origin + String(decoding: UnsafeBufferPointer(rebasing: bytes[..<end]), as: UTF8.self)
            }
            span = VendorCallSpan(
                spanID: context.traceIDs.spanID(), started: MonotonicClock.now(),
                method: upstream.method.metricLabel, host: target.host, port: target.port,
                url: url, resendCount: resendCount)
        }
        upstream.headers.append(("traceparent", trace.upstreamTraceParent(clientSpan: span?.spanID)))
        if let state = trace.traceState { upstream.headers.append(("tracestate", state)) }
        return span
    }

    /// After a vendor call: its client span, an error on a transport failure or a vendor 5xx.
    func endVendorCall(_ span: VendorCallSpan?, _ result: Result<UpstreamResponse, UpstreamError>) {
        guard let span, let recorder = context.spans else { return }
        var attributes: [(key: StaticString, value: RecordedSpan.Value)] = [
            ("http.request.method", .string(span.method)), ("server.address", .string(span.host)),
            ("server.port", .int(Int(span.port))), ("url.full", .string(span.url)),
        ]
        if span.resendCount > 0 { attributes.append(("http.request.resend_count", .int(span.resendCount))) }
        let isError: Bool
        switch result {
        case .success(let response):
            attributes.append(("http.response.status_code", .int(response.status)))
            isError = response.status >= 500
        case .failure(let error):
            attributes.append(("error.type", .string("\(error.kind)")))
            isError = true
        }
        recorder.record(RecordedSpan(traceID: trace.traceID, spanID: span.spanID, parentID: trace.spanID, name: span.method, kind: .client,
                             startUnixNanos: unixNanos(at: span.started), endUnixNanos: unixNanos(at: MonotonicClock.now()),
                             attributes: attributes, isError: isError))
    }

    /// Wall-clock time of a monotonic reading: arrival's wall clock (read once, `now`) plus the
    /// monotonic time since, so a span's start and end never disagree with its duration.
    private func unixNanos(at monotonic: UInt64) -> UInt64 {
        UInt64(now * 1_000_000_000) &+ (monotonic &- arrived)
    }
}
