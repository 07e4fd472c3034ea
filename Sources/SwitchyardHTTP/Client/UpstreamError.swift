#if canImport(Glibc)
import Glibc
#endif

/// Why an upstream call produced no usable response, classified for API.md's problem codes.
///
/// `kind` is what the gateway maps: `.unavailable` → 503 `upstream_unavailable`, `.timeout` → 504
/// `upstream_timeout`, `.malformed` → 502 `upstream_error` (a 5xx *response* is not an error here:
/// it arrives as an `UpstreamResponse` and the caller maps it). `cause` says exactly what happened,
/// for logs and metrics; its text never contains the request's or the response's bytes.
public struct UpstreamError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable, CaseIterable {
        /// Refused, reset, closed before answering, unresolvable, TLS failure (including a
        /// certificate that does not verify).
        case unavailable
        /// The connect deadline (TCP and TLS handshake) or the call's total deadline passed.
        case timeout
        /// An answer that is not valid HTTP/1.1 by our rules, too large, cut short, or whose body
        /// cannot be decoded.
        case malformed
        /// The gateway's own request could not be written (a reserved or invalid header, a path
        /// that is not origin-form, an unknown method): a bug in the caller, never sent.
        case invalidRequest
    }

    public enum Cause: Sendable, Equatable {
        /// The host name has not resolved (resolving happens off the loops, see `UpstreamTarget`);
        /// the text names the host and says why.
        case resolutionFailed(String)
        /// The TCP connect failed (`ECONNREFUSED`, `ENETUNREACH`, …).
        case connectFailed(errno: Int32)
        /// The TLS handshake failed: OpenSSL's reason, e.g. `certificate verification failed:
        /// certificate has expired`, or a context that could not be set up.
        case tlsFailed(String)
        /// Reset (or a failed read or write) before any byte of the answer.
        case connectionReset(errno: Int32)
        /// The server closed the connection before any byte of the answer.
        case closedBeforeResponse
        case connectTimedOut
        case timedOut
        case malformedResponse(ResponseParseError)
        /// The connection ended (closed or reset) after part of the answer.
        case truncatedResponse
        /// A close-delimited body over `maxResponseBodyBytes`.
        case bodyTooLarge
        /// More interim (1xx) answers than `UpstreamLimits.maxInterimResponses` before the final one:
        /// a vendor that never gets to its answer must not keep a loop parsing until the deadline.
        case tooManyInterimResponses
        /// `Content-Encoding: gzip` that is not gzip, is cut short, or decodes past the body limit.
        case undecodableBody(GzipError)
        /// A content coding we did not ask for.
        case unsupportedContentEncoding
        case invalidRequest(String)
    }

    public var cause: Cause

    public init(_ cause: Cause) {
        self.cause = cause
    }

    public var kind: Kind {
        switch cause {
        case .resolutionFailed, .connectFailed, .tlsFailed, .connectionReset, .closedBeforeResponse: .unavailable
        case .connectTimedOut, .timedOut: .timeout
        case .malformedResponse, .truncatedResponse, .bodyTooLarge, .tooManyInterimResponses, .undecodableBody,
             .unsupportedContentEncoding: .malformed
        case .invalidRequest: .invalidRequest
        }
    }

    public var description: String {
        switch cause {
        case .resolutionFailed(let reason): reason
        case .connectFailed(let errno): "connecting failed: \(Self.text(errno))"
        case .tlsFailed(let reason): "TLS handshake failed: \(reason)"
        case .connectionReset(let errno): "the connection failed before the response: \(Self.text(errno))"
        case .closedBeforeResponse: "the upstream closed the connection before responding"
        case .connectTimedOut: "connecting (TCP and TLS handshake) timed out"
        case .timedOut: "no complete response within the upstream timeout"
        case .malformedResponse(let error): "malformed response: \(error)"
        case .truncatedResponse: "the connection ended before the response was complete"
        case .bodyTooLarge: "the response body is larger than the limit"
        case .tooManyInterimResponses: "more than \(UpstreamLimits.maxInterimResponses) interim (1xx) responses before the final one"
        case .undecodableBody(let error): "the gzip response body could not be decoded: \(error)"
        case .unsupportedContentEncoding: "the response uses a content coding other than gzip"
        case .invalidRequest(let reason): "the request could not be sent: \(reason)"
        }
    }

    private static func text(_ errno: Int32) -> String {
        "\(String(cString: strerror(errno))) (errno \(errno))"
    }
}
