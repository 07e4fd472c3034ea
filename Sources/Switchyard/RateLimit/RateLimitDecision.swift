import SwitchyardIO

/// What the tenant limiter said about one request, and the response headers that say it to the client.
///
/// Headers (draft-ietf-httpapi-ratelimit-headers; names lowercase as elsewhere in the gateway):
/// - `ratelimit-policy: "tenant";q=<requests>;w=<perSeconds>` and
///   `ratelimit: "tenant";r=<remaining>;t=<resetSeconds>` on every `/devices` response of a limited tenant;
/// - `retry-after: <seconds>` as well when the request was refused (429 `rate_limited`).
/// An unlimited tenant (no `rateLimit`) gets none of them.
public struct RateLimitDecision: Sendable, Equatable {
    /// False only when the tenant is over its limit: answer 429 `rate_limited`.
    public let admitted: Bool
    /// The tenant's policy; nil for a tenant without one.
    public let policy: RatePolicy?
    /// Requests that would still be admitted at this instant (see `GCRA`).
    public let remaining: Int
    /// Whole seconds until the full burst is available again (the `t` of `RateLimit`).
    public let resetSeconds: Int
    /// Whole seconds, ≥ 1, for `Retry-After` when refused; nil when admitted.
    public let retryAfterSeconds: Int?
    /// The precomputed `RateLimit-Policy` value, shared with every decision for this tenant.
    public let policyHeaderValue: String?
    /// The policy's name as it appears in both headers, quoted (`"tenant"`).
    let quotedPolicyName: String
    /// Admitted for later (a vendor quota's `maxWaitSeconds`): nanoseconds to wait before the
    /// call goes, its slot reserved meanwhile. 0: go now.
    public let delay: UInt64

    public static let policyHeaderName = "ratelimit-policy"
    public static let rateLimitHeaderName = "ratelimit"
    public static let retryAfterHeaderName = "retry-after"

    /// Admitted, no headers: the tenant has no `rateLimit`, or the limiter is not in use.
    public static let unlimited = RateLimitDecision(
        admitted: true, policy: nil, remaining: 0, resetSeconds: 0, retryAfterSeconds: nil,
        policyHeaderValue: nil, quotedPolicyName: "")

    init(admitted: Bool, policy: RatePolicy?, remaining: Int, resetSeconds: Int, retryAfterSeconds: Int?,
         policyHeaderValue: String?, quotedPolicyName: String, delay: UInt64 = 0) {
        self.delay = delay
        self.admitted = admitted
        self.policy = policy
        self.remaining = remaining
        self.resetSeconds = resetSeconds
        self.retryAfterSeconds = retryAfterSeconds
        self.policyHeaderValue = policyHeaderValue
        self.quotedPolicyName = quotedPolicyName
    }

    public var isUnlimited: Bool { policy == nil }

    /// `"tenant";r=<remaining>;t=<resetSeconds>`, or nil when unlimited.
    public var rateLimitHeaderValue: String? {
        guard policy != nil else { return nil }
        // Written in place, digits included: interpolation and `String(Int)` format through
        // generic code, at over a thousand instructions for this one value on every response.
        let name = quotedPolicyName.utf8
        return String(unsafeUninitializedCapacity: name.count + 6 + 2 * ASCII.maxDecimalBytes) { buffer in
            let start = UnsafeMutableRawPointer(buffer.baseAddress!)
            var end = buffer.initialize(fromContentsOf: name)
            func append(_ parameter: StaticString, _ number: Int) {
                (start + end).copyMemory(from: parameter.utf8Start, byteCount: parameter.utf8CodeUnitCount)
                end += parameter.utf8CodeUnitCount
                end += ASCII.writeDecimal(number, to: start + end)
            }
            append(";r=", remaining)
            append(";t=", resetSeconds)
            return end
        }
    }

    /// Appends `ratelimit-policy` and `ratelimit` (and `retry-after` when refused) to a response's headers;
    /// nothing when unlimited. One string is built per call; the policy value is shared.
    public func appendHeaders(to headers: inout [(name: String, value: String)]) {
        guard let policyHeaderValue, let rateLimit = rateLimitHeaderValue else { return }
        headers.reserveCapacity(headers.count + (retryAfterSeconds == nil ? 2 : 3))
        headers.append((Self.policyHeaderName, policyHeaderValue))
        headers.append((Self.rateLimitHeaderName, rateLimit))
        if let retryAfterSeconds {
            headers.append((Self.retryAfterHeaderName, String(retryAfterSeconds)))
        }
    }

    /// The same headers as a new array, for `Problem(_:detail:headers:)` or `HTTPResponse(headers:)`.
    public var headers: [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        appendHeaders(to: &headers)
        return headers
    }

    /// This decision turned into an admission (same policy headers, no `Retry-After`): what
    /// `onStoreFailure: open` answers while the shared store can't decide. API.md §2: the policy
    /// is still stated; `remaining` is this process's own view, the only one it has.
    public func admittedAnyway() -> RateLimitDecision {
        RateLimitDecision(admitted: true, policy: policy, remaining: remaining, resetSeconds: resetSeconds,
                          retryAfterSeconds: nil, policyHeaderValue: policyHeaderValue, quotedPolicyName: quotedPolicyName)
    }

    /// This decision turned into a refusal (same policy headers, nothing remaining): what
    /// `onStoreFailure: closed` answers while the shared store can't decide.
    public func refused(retryAfterSeconds: Int) -> RateLimitDecision {
        RateLimitDecision(admitted: false, policy: policy, remaining: 0, resetSeconds: max(resetSeconds, retryAfterSeconds),
                          retryAfterSeconds: retryAfterSeconds, policyHeaderValue: policyHeaderValue,
                          quotedPolicyName: quotedPolicyName)
    }
}
