import SwitchyardHTTP
import SwitchyardIO
import W3CTraceContext
#if canImport(Glibc)
import Glibc
#endif

/// A vendor call of a recorded request, between the call going out and its answer: what its
/// client span needs from before the call.
struct VendorCallSpan {
    let spanID: SpanID
    /// Monotonic nanoseconds when the call went out.
    let started: UInt64
    let method: String
    let target: UpstreamTarget
    /// The call's path (the upstream's prefix and the request's own), query included: the span's
    /// `url.full` stops at the `?`, since a query may hold a vendor's credentials.
    let path: String
    /// 1 for the device call sent again after the vendor refused the token (`DeviceCall`).
    let resendCount: Int
}

extension GatewayRequest {
    /// The server span (API.md §6), once the answer is finished: named for the method and route
    /// template, an error when the gateway answered 5xx.
    func recordServerSpan(status: Int) {
        guard let recorder = context.spans, trace.isRecorded else { return }
        let method = head.methodName
        let route: String? = if case .notFound = route { nil } else { routeTemplate.rawValue }
        var span = recorder.span(kind: .server, traceID: trace.traceID, spanID: trace.spanID, parentID: trace.callerSpanID,
                                 name: method, nameSuffix: route,
                                 startUnixNanos: unixNanos(at: arrived), endUnixNanos: unixNanos(at: MonotonicClock.now()))
        span.attribute("http.request.method", method)
        if let route { span.attribute("http.route", route) }
        span.attribute("http.response.status_code", status)
        span.attribute("url.scheme", "https")
        if let client { span.attribute("client.address", address: client) }
        if let tenant { span.attribute("switchyard.tenant", tenant) }
        if let vendor { span.attribute("switchyard.vendor", vendor.rawValue) }
        if let problem { span.attribute("switchyard.problem.code", problem.rawValue) }
        recorder.record(span, isError: status >= 500)
    }

    /// Before a vendor call (the token fetch included): the trace headers on `upstream` (API.md
    /// §2), and the call's client span when the request is recorded.
    func beginVendorCall(_ upstream: inout UpstreamRequest, to target: UpstreamTarget, resendCount: Int) -> VendorCallSpan? {
        var span: VendorCallSpan?
        if context.spans != nil, trace.isRecorded {
            span = VendorCallSpan(spanID: context.traceIDs.spanID(), started: MonotonicClock.now(), method: upstream.method.metricLabel,
                                  target: target, path: upstream.requestTarget, resendCount: resendCount)
        }
        upstream.traceParent = trace.upstreamTraceParent(clientSpan: span?.spanID)
        if let state = trace.traceState { upstream.headers.append(("tracestate", state)) }
        return span
    }

    /// After a vendor call with a span (`beginVendorCall` gave one): its client span, an error on a
    /// transport failure or a vendor 5xx.
    func endVendorCall(_ call: VendorCallSpan, _ result: Result<UpstreamResponse, UpstreamError>) {
        guard let recorder = context.spans else { return }
        var span = recorder.span(kind: .client, traceID: trace.traceID, spanID: call.spanID, parentID: trace.spanID, name: call.method,
                                 startUnixNanos: unixNanos(at: call.started), endUnixNanos: unixNanos(at: MonotonicClock.now()))
        span.attribute("http.request.method", call.method)
        span.attribute("server.address", call.target.host)
        span.attribute("server.port", Int(call.target.port))
        // The path up to its query, found in the contiguous bytes by `memchr`: a search through
        // `String`'s indices (even its UTF-8 view's) costs more than the rest of the span.
        call.path.withContiguousUTF8 { bytes in
            let query = bytes.isEmpty ? nil : memchr(bytes.baseAddress!, Int32(UInt8(ascii: "?")), bytes.count)
            let end = query.map { UnsafeRawPointer($0) - UnsafeRawPointer(bytes.baseAddress!) } ?? bytes.count
            span.attribute("url.full", call.target.origin, UnsafeBufferPointer(rebasing: bytes[..<end]))
        }
        if call.resendCount > 0 { span.attribute("http.request.resend_count", call.resendCount) }
        let isError: Bool
        switch result {
        case .success(let response):
            span.attribute("http.response.status_code", response.status)
            isError = response.status >= 500
        case .failure(let error):
            span.attribute("error.type", "\(error.kind)")
            isError = true
        }
        recorder.record(span, isError: isError)
    }

    /// Wall-clock time of a monotonic reading: arrival's wall clock (read once, `now`) plus the
    /// monotonic time since, so a span's start and end never disagree with its duration.
    private func unixNanos(at monotonic: UInt64) -> UInt64 {
        UInt64(now * 1_000_000_000) &+ (monotonic &- arrived)
    }
}
