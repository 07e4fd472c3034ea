import SwitchyardHTTP
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

    /// Appends `ratelimit-policy` and `ratelimit` (and `retry-after` when refused) as header lines
    /// (`HTTPResponse.encodedHeaders`); nothing when unlimited. Written on the stack and copied
    /// once, the numbers in place: interpolation and `String(Int)` format through generic code, at
    /// over a thousand instructions a value, and a `String` would be an allocation per answer.
    public func appendHeaderLines(to bytes: inout [UInt8]) {
        guard policy != nil, var policyValue = policyHeaderValue else { return }
        var name = quotedPolicyName
        policyValue.withUTF8 { policyValue in
            name.withUTF8 { name in
                let capacity = policyValue.count + name.count + 64 + 3 * ASCII.maxDecimalBytes
                withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 1) { scratch in
                    var lines = FieldLines.Writer(scratch)
                    lines.begin("ratelimit-policy")
                    lines.append(UnsafeRawBufferPointer(policyValue))
                    lines.begin("ratelimit")
                    lines.append(UnsafeRawBufferPointer(name))
                    lines.append(";r=")
                    lines.append(decimal: remaining)
                    lines.append(";t=")
                    lines.append(decimal: resetSeconds)
                    if let retryAfterSeconds {
                        lines.begin("retry-after")
                        lines.append(decimal: retryAfterSeconds)
                    }
                    bytes.append(contentsOf: lines.written)
                }
            }
        }
    }

    /// The same headers as pairs, for `Problem(_:detail:headers:)` or `HTTPResponse(headers:)`.
    public var headers: [(name: String, value: String)] {
        var lines: [UInt8] = []
        appendHeaderLines(to: &lines)
        return FieldLines.decode(lines)
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
