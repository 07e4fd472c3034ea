/// A device document: which fields are present and their values.
///
/// Storage is one slot per `DeviceField`, so reading or setting a field is an array index, and
/// iterating `fields` yields them in the document's canonical order (the order responses use).
public struct DeviceDocument: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case string(String)
        case bool(Bool)

        public var string: String? {
            if case .string(let text) = self { text } else { nil }
        }
    }

    private var slots: [Value?] = Array(repeating: nil, count: DeviceField.allCases.count)
    /// How many slots are set, so `isEmpty` and `count` cost nothing.
    public private(set) var count = 0

    public init() {}

    public subscript(field: DeviceField) -> Value? {
        get { slots[field.rawValue] }
        set {
            count += (newValue == nil ? 0 : 1) - (slots[field.rawValue] == nil ? 0 : 1)
            slots[field.rawValue] = newValue
        }
    }

    /// The field's value when it is a string.
    public func string(_ field: DeviceField) -> String? { slots[field.rawValue]?.string }

    public var isEmpty: Bool { count == 0 }

    /// The fields present, in canonical order.
    public var fields: [DeviceField] { DeviceField.allCases.filter { slots[$0.rawValue] != nil } }

    /// `other`'s fields over these: how a vendor's confirmation overlays what was sent.
    public func merging(_ other: DeviceDocument) -> DeviceDocument {
        var merged = self
        for field in other.fields { merged[field] = other[field] }
        return merged
    }

    /// The document without write-only fields: what may appear in a response or a log.
    public var redacted: DeviceDocument {
        var copy = self
        for field in fields where field.access == .writeOnly { copy[field] = nil }
        return copy
    }

    /// Writes the document as the response's JSON object: `id` first, then the fields, each
    /// group as a nested object; write-only fields never.
    public func write(to json: inout JSONWriter, id: DeviceIdentifier?) {
        json.beginObject()
        if let id { json.member("id", id.description) }
        var openGroup: String?
        for field in DeviceField.allCases where field.access != .writeOnly {
            guard let value = slots[field.rawValue] else { continue }
            if field.group != openGroup {
                if openGroup != nil { json.endObject() }
                if let group = field.group {
                    json.key(group)
                    json.beginObject()
                }
                openGroup = field.group
            }
            json.key(field.member)
            switch value {
            case .string(let text): json.string(text)
            case .bool(let flag): json.bool(flag)
            }
        }
        if openGroup != nil { json.endObject() }
        json.endObject()
    }
}
