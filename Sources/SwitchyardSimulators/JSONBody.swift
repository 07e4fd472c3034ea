import SwitchyardJSON

/// How the simulators read JSON from their clients: one JSON text of any kind (a bare `2` too),
/// strictly as SwitchyardJSON reads it, but as deep as a vendor's own parser goes.
enum JSONBody {
    /// PHP's `json_decode` default (Jackson and Python go deeper still): the gateway's limit of 32
    /// is its own defence, not a vendor's.
    static let maxDepth = 512

    /// The parsed value, or nil when the bytes are not JSON (empty ones included).
    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONParser.parse(bytes, maxDepth: maxDepth)
    }

    /// A string, or a number as its value's text: whole numbers as integers, others in the shortest
    /// form of their `Double` (`2.0` → `"2.0"`, `2.50` → `"2.5"`); nil for anything else. For
    /// vendors whose servers (PHP, say) take `2.0` and `"2.0"` alike.
    static func scalarString(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text.description
        case .number: value.intValue.map(String.init) ?? value.doubleValue?.description
        default: nil
        }
    }
}
