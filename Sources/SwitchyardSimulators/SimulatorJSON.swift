import Foundation
import SwitchyardHTTP

/// JSON for the simulators, on Foundation's `JSONSerialization`: they are test doubles, not the
/// gateway's hot path, and a vendor's quirks (a number where a string belongs) are easiest to
/// see on the untyped tree.
enum SimulatorJSON {
    /// The parsed document, or nil when the bytes are not JSON.
    static func parse(_ bytes: [UInt8]) -> Any? {
        guard !bytes.isEmpty else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    /// The parsed document when it is an object.
    static func object(_ bytes: [UInt8]) -> [String: Any]? {
        parse(bytes) as? [String: Any]
    }

    /// Sorted keys, so that answers and the control API's listings are stable byte for byte.
    static func encode(_ value: Any) -> [UInt8] {
        guard JSONSerialization.isValidJSONObject(value) || value is String || value is NSNumber,
              let data = try? JSONSerialization.data(
                  withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else {
            preconditionFailure("not encodable as JSON: \(value)")
        }
        return Array(data)
    }

    private static let booleanType = type(of: NSNumber(value: true))

    /// Whether a parsed value is `true` or `false` (Foundation gives booleans and numbers the
    /// same `NSNumber` face, and `1 as? Bool` succeeds).
    static func isBoolean(_ value: Any) -> Bool {
        type(of: value) == booleanType
    }

    /// A number that is not a boolean.
    static func isNumber(_ value: Any) -> Bool {
        value is NSNumber && !isBoolean(value)
    }

    /// A string, or a number written as its shortest decimal form; nil for anything else. For
    /// vendors whose servers (PHP, say) take `2.0` and `"2.0"` alike.
    static func scalarString(_ value: Any) -> String? {
        if let string = value as? String { return string }
        if isNumber(value), let number = value as? NSNumber { return number.stringValue }
        return nil
    }
}

extension HTTPResponse {
    /// A JSON answer with the vendor's content type.
    static func json(_ status: Int, _ value: Any, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [("content-type", "application/json")] + headers,
            body: SimulatorJSON.encode(value)
        )
    }
}
