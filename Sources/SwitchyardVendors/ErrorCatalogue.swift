import Synchronization
import SwitchyardDevices
import SwitchyardHTTP

/// Every vendor answer and transport failure the gateway can meet, mapped to API.md's problem
/// codes: the one table an operator reads (`docs/ERRORS.md` is rendered from it, and a test
/// keeps the two identical).
///
/// Rows are matched most specific first: vendor, status and vendor code; then vendor and status;
/// then the deliberate fallbacks for answers no document lists, by status alone. Every answer
/// that matches an undocumented row is counted (`undocumentedAnswers`), so an operator sees when a
/// vendor starts saying something new. A vendor 5xx is never a gateway 500: `internal_error` is for our own bugs.
public enum ErrorCatalogue {
    public struct Row: Sendable, Equatable {
        /// nil: any vendor (transport failures and fallbacks).
        public var vendor: Vendor?
        /// The HTTP status the vendor answered; nil for a transport failure.
        public var status: Int?
        /// The vendor's own error code (`errorCode`, `code`), nil when the row matches by status.
        public var vendorCode: String?
        public var problem: ProblemCode
        /// Whether a vendor document (or another public source, docs/VENDORS.md) lists this answer.
        public var documented: Bool
        /// What the answer means, in an operator's words.
        public var meaning: String

        public init(_ vendor: Vendor?, status: Int?, code: String? = nil, _ problem: ProblemCode,
                    documented: Bool = true, _ meaning: String) {
            self.vendor = vendor
            self.status = status
            self.vendorCode = code
            self.problem = problem
            self.documented = documented
            self.meaning = meaning
        }
    }

    /// The gateway's own answers for calls that produced no usable answer.
    public static let transportRows: [Row] = [
        Row(nil, status: nil, code: "connection refused, reset or TLS failure", .upstreamUnavailable,
            "The vendor could not be reached; answered with Retry-After: 1."),
        Row(nil, status: nil, code: "connect or response timeout", .upstreamTimeout,
            "No complete answer within upstreamConnectTimeoutSeconds / upstreamTimeoutSeconds."),
        Row(nil, status: nil, code: "malformed HTTP, truncated or undecodable body", .upstreamError,
            "The vendor's answer was not valid HTTP/1.1 or its body could not be read."),
        Row(nil, status: nil, code: "unreadable success body", .upstreamError,
            "A success status whose body is not the vendor's documented shape."),
        Row(nil, status: nil, code: "request the gateway could not write", .internalError,
            "A bug in an adapter (an invalid header or path); nothing was sent."),
    ]

    /// Answers no document lists, by status: deliberate, and counted.
    public static let fallbackRows: [Row] = [
        Row(nil, status: 400, .validationFailed, documented: false, "An undocumented 400: the vendor refused a value."),
        Row(nil, status: 401, .upstreamAuthFailed, documented: false, "The vendor refused the gateway's credentials."),
        Row(nil, status: 403, .upstreamAuthFailed, documented: false, "The vendor refused the gateway's credentials."),
        Row(nil, status: 404, .deviceNotFound, documented: false, "The vendor does not know the device."),
        Row(nil, status: 409, .conflict, documented: false, "The vendor reports a conflict."),
        Row(nil, status: 422, .validationFailed, documented: false, "The vendor refused a value."),
        Row(nil, status: 429, .upstreamRateLimited, documented: false, "The vendor's rate limit; its Retry-After is passed on (else 1)."),
        Row(nil, status: nil, code: "any other status", .upstreamError, documented: false,
            "Any other undocumented answer (other 4xx, every 5xx, 1xx/3xx, a 2xx where none is expected)."),
    ]

    private static let undocumented = Atomic<Int>(0)

    /// Answers from any vendor that matched a row no vendor document lists, since the process started.
    public static var undocumentedAnswers: Int { undocumented.load(ordering: .relaxed) }

    /// The problem for a vendor's error answer, looked up in `rows` (the vendor's documented
    /// rows) and then the fallbacks. `code` and `message` are the vendor's own, and go into the
    /// problem's `upstream` diagnostic as sent.
    public static func problem(
        for response: UpstreamResponse, vendor: Vendor, rows: [Row], code: String?, message: String?
    ) -> Problem {
        let status = response.status
        let row = code.flatMap { code in rows.first { $0.status == status && $0.vendorCode == code } }
            ?? rows.first { $0.status == status && $0.vendorCode == nil }
        let matched = row ?? fallbackRows.first { $0.status == status } ?? fallbackRows[fallbackRows.count - 1]
        if !matched.documented { undocumented.add(1, ordering: .relaxed) }
        var headers: [(name: String, value: String)] = []
        if matched.problem == .upstreamRateLimited {
            headers.append(("retry-after", retryAfter(response.head.firstValue("retry-after"))))
        }
        return Problem(matched.problem, detail: matched.meaning, headers: headers,
                       upstream: UpstreamDiagnostic(status: status, code: code, message: message))
    }

    /// The problem for a success status whose body is not what the vendor documents.
    public static func unreadable(_ response: UpstreamResponse, _ reason: String) -> Problem {
        Problem(.upstreamError, detail: "The vendor's answer could not be read: \(reason).",
                upstream: UpstreamDiagnostic(status: response.status))
    }

    /// The problem for a call that got no answer.
    public static func problem(for failure: UpstreamError) -> Problem {
        switch failure.kind {
        case .unavailable:
            Problem(.upstreamUnavailable, detail: "The vendor could not be reached: \(failure).", headers: [("retry-after", "1")])
        case .timeout:
            Problem(.upstreamTimeout, detail: "The vendor did not answer in time: \(failure).")
        case .malformed:
            Problem(.upstreamError, detail: "The vendor's answer could not be read: \(failure).")
        case .invalidRequest:
            Problem(.internalError, detail: "The gateway could not write the vendor request: \(failure).")
        }
    }

    /// A vendor's `Retry-After` when it is delay-seconds (1 to 3600), else 1: an HTTP date
    /// or nonsense from a vendor should not be passed on as is.
    static func retryAfter(_ value: String?) -> String {
        guard let value, let seconds = Int(value), (1...3600).contains(seconds) else { return "1" }
        return String(seconds)
    }
}

extension VendorAdapter {
    public func problem(for failure: UpstreamError) -> Problem {
        ErrorCatalogue.problem(for: failure)
    }

    public func accessTokenRequest() -> UpstreamRequest? { nil }

    public func accessToken(from response: UpstreamResponse) -> Result<AccessToken, Problem> {
        .failure(Problem(.internalError, detail: "\(vendor.rawValue) does not use access tokens."))
    }
}
