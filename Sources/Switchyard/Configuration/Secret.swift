/// A credential read from the configuration.
///
/// Configuration values travel into log lines, `print` calls and crash reports; wrapping every secret
/// makes the safe rendering the default one, so a stray `print(configuration)` or `dump` shows
/// `<redacted>` and only code that asks for ``revealed`` on purpose (an adapter building an upstream
/// request) ever sees the value.
public struct Secret: Sendable, Equatable {
    /// The secret itself; use it only where it leaves for its upstream.
    public let revealed: String

    /// Wraps a value; the loader does this for every credential, tests and tools for their own.
    public init(_ value: String) {
        revealed = value
    }
}

extension Secret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    // `dump` and `Mirror` walk stored properties; an empty mirror keeps them from reaching `revealed`.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
