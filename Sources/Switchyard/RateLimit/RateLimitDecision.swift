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
    /// The tenant's policy and its header lines; nil for a tenant without one.
    public let lines: RateLimitLines?
    /// Requests that would still be admitted at this instant (see `GCRA`).
    public let remaining: Int
    /// Whole seconds until the full burst is available again (the `t` of `RateLimit`).
    public let resetSeconds: Int
    /// Whole seconds, ≥ 1, for `Retry-After` when refused; nil when admitted.
    public let retryAfterSeconds: Int?
    /// Admitted for later (a vendor quota's `maxWaitSeconds`): nanoseconds to wait before the
    /// call goes, its slot reserved meanwhile. 0: go now.
    public let delay: UInt64

    /// Admitted, no headers: the tenant has no `rateLimit`, or the limiter is not in use.
    public static let unlimited = RateLimitDecision(admitted: true, lines: nil, remaining: 0, resetSeconds: 0, retryAfterSeconds: nil)

    init(admitted: Bool, lines: RateLimitLines?, remaining: Int, resetSeconds: Int, retryAfterSeconds: Int?, delay: UInt64 = 0) {
        self.admitted = admitted
        self.lines = lines
        self.remaining = remaining
        self.resetSeconds = resetSeconds
        self.retryAfterSeconds = retryAfterSeconds
        self.delay = delay
    }

    /// The tenant's policy; nil for a tenant without one.
    public var policy: RatePolicy? { lines?.policy }

    public var isUnlimited: Bool { lines == nil }

    /// Appends `ratelimit-policy` and `ratelimit` (and `retry-after` when refused) as header lines
    /// (`HTTPResponse.encodedHeaders`); nothing when unlimited. The policy's constant part as it
    /// was encoded once (`RateLimitLines`), this decision's numbers written after it on the stack
    /// and the whole copied once: appending to an array piece by piece, or formatting the numbers
    /// through `String`, costs hundreds of instructions a piece.
    public func appendHeaderLines(to bytes: inout [UInt8]) {
        guard let lines else { return }
        lines.prefix.withUnsafeBytes { prefix in
            withUnsafeTemporaryAllocation(byteCount: prefix.count + 32 + 3 * ASCII.maxDecimalBytes, alignment: 1) { scratch in
                var writer = FieldLines.Writer(scratch)
                writer.append(prefix)
                writer.append(decimal: remaining)
                writer.append(";t=")
                writer.append(decimal: resetSeconds)
                if let retryAfterSeconds {
                    writer.begin("retry-after")
                    writer.append(decimal: retryAfterSeconds)
                }
                bytes.append(contentsOf: writer.written)
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
        RateLimitDecision(admitted: true, lines: lines, remaining: remaining, resetSeconds: resetSeconds, retryAfterSeconds: nil)
    }

    /// This decision turned into a refusal (same policy headers, nothing remaining): what
    /// `onStoreFailure: closed` answers while the shared store can't decide.
    public func refused(retryAfterSeconds: Int) -> RateLimitDecision {
        RateLimitDecision(admitted: false, lines: lines, remaining: 0, resetSeconds: max(resetSeconds, retryAfterSeconds),
                          retryAfterSeconds: retryAfterSeconds)
    }
}
