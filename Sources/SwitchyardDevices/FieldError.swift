/// One field a request got wrong: where (an RFC 6901 pointer into the request body) and why.
/// Problems carry these as `fields` on 422 (and on 400 for wrong types). The reason never
/// repeats the value, which may be a password.
public struct FieldError: Sendable, Equatable, CustomStringConvertible {
    public var pointer: String
    public var reason: String

    public init(pointer: String, reason: String) {
        self.pointer = pointer
        self.reason = reason
    }

    public var description: String { "\(pointer): \(reason)" }
}
