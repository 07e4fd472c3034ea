import SwitchyardHTTP

/// A rate policy as its answers state it (draft-ietf-httpapi-ratelimit-headers): the policy under
/// its name, with the constant part of its header lines encoded once, when the limiter is built.
///
/// Every answer of a limited tenant carries `ratelimit-policy` and `ratelimit`; formatted per answer
/// from the name and the policy's numbers they cost over a thousand instructions. Only a
/// decision's own numbers are written per answer now (`RateLimitDecision.appendHeaderLines`).
public final class RateLimitLines: Sendable, Equatable {
    public let policy: RatePolicy
    /// `\r\nratelimit-policy: "<name>";q=<requests>;w=<perSeconds>\r\nratelimit: "<name>";r=`:
    /// a decision's remaining requests follow.
    let prefix: [UInt8]

    /// `name` is the policy's name in both headers (`tenant`, `vendor`): a token, as the
    /// configuration's own names are.
    public init(name: String, policy: RatePolicy) {
        self.policy = policy
        let quoted = "\"\(name)\""
        var prefix: [UInt8] = []
        FieldLines.append("ratelimit-policy", "\(quoted);q=\(policy.requests);w=\(policy.perSeconds)", to: &prefix)
        FieldLines.append("ratelimit", "\(quoted);r=", to: &prefix)
        self.prefix = prefix
    }

    public static func == (left: RateLimitLines, right: RateLimitLines) -> Bool {
        left === right || (left.policy == right.policy && left.prefix == right.prefix)
    }
}
