/// Header lines an adapter sends on every call of an account (its credentials, the media types),
/// checked and encoded once, when the tenant is configured: a call then writes them with one copy
/// and checks none of their bytes again. Per-call values (a request id, an access token) stay in
/// `UpstreamRequest.headers`.
public struct UpstreamHeaderBlock: Sendable {
    /// The lines as given.
    public let lines: [(name: String, value: String)]
    /// `\r\nname: value` for each line, in order: what goes on the wire after the request line.
    let bytes: [UInt8]
    /// Why the lines can't be sent (as `UpstreamRequest.validationProblem` says it), or nil:
    /// every request carrying them then fails with `.invalidRequest`, as it would with the same
    /// lines in `headers`.
    let problem: String?

    public static let none = UpstreamHeaderBlock([])

    public init(_ headers: [(name: String, value: String)]) {
        lines = headers
        problem = UpstreamRequest.problem(with: headers)
        var bytes: [UInt8] = []
        for (name, value) in headers { FieldLines.append(name, value, to: &bytes) }
        self.bytes = bytes
    }
}
