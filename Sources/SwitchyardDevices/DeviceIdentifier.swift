import SwitchyardIO

/// The kinds of identifier a device can be addressed by (`{id}` is `kind:value`).
public enum IdentifierKind: String, CaseIterable, Sendable, CaseKeyed, CaseSetElement {
    case iccid, imei, imsi, msisdn, mac, deviceId, ipv4

    public var caseBit: Int { Int(caseIndex) }

    /// The document field holding this kind of identifier.
    public var field: DeviceField {
        switch self {
        case .iccid: .iccid
        case .imei: .imei
        case .imsi: .imsi
        case .msisdn: .msisdn
        case .mac: .mac
        case .deviceId: .deviceId
        case .ipv4: .ipv4
        }
    }
}

/// A typed device identifier, `kind:value`, its value checked and in canonical form (a MAC as
/// twelve upper-case hex digits), so two spellings of one device are one identifier.
public struct DeviceIdentifier: Sendable, Hashable, CustomStringConvertible {
    public let kind: IdentifierKind
    public let value: String
    /// `kind:value`, as every response shows it: made once, since a request shows it more than once
    /// (the item's id, the answer's `id`).
    public let description: String

    public init(kind: IdentifierKind, value: String) {
        self.kind = kind
        self.value = value
        description = kind.rawValue + ":" + value
    }

    /// `description` already made: `text` as the client wrote it, when that was canonical.
    private init(kind: IdentifierKind, value: String, description: String) {
        self.kind = kind
        self.value = value
        self.description = description
    }

    public static func == (lhs: DeviceIdentifier, rhs: DeviceIdentifier) -> Bool {
        lhs.kind == rhs.kind && lhs.value == rhs.value
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(value)
    }

    /// The kind `text` names before its colon (`iccid` in `iccid:8988…`); nil for a bare value.
    public static func namedKind(_ text: String) -> IdentifierKind? {
        text.utf8.firstIndex(of: UInt8(ascii: ":")).flatMap { IdentifierKind(rawValue: String(decoding: text.utf8[..<$0], as: UTF8.self)) }
    }

    /// Reads `text` (already percent-decoded). A bare value means `primary`; without one it is
    /// refused. The value must pass its field's format rule. Errors are 400 `invalid_request`
    /// (API.md: "bad id syntax"), with the reason.
    public static func parse(_ text: String, primary: IdentifierKind?) -> Result<DeviceIdentifier, Problem> {
        // By bytes: the colon is ASCII, and a search by `Character` walks grapheme clusters.
        let colon = text.utf8.firstIndex(of: UInt8(ascii: ":"))
        let prefix = colon.map { String(decoding: text.utf8[..<$0], as: UTF8.self) }
        let kind: IdentifierKind
        let value: String
        let typed: Bool
        if let colon, let prefix, let named = IdentifierKind(rawValue: prefix) {
            kind = named
            value = String(decoding: text.utf8[text.utf8.index(after: colon)...], as: UTF8.self)
            typed = true
        } else if let primary {
            // A bare MAC has colons of its own (`A1:B2:…`), so only the rule can tell a bare value
            // from a misspelt kind.
            kind = primary
            value = text
            typed = false
        } else if let prefix {
            return .failure(unknownKind(prefix))
        } else {
            return .failure(Problem(.invalidRequest,
                detail: "A bare identifier needs a primary identifier kind, and this tenant's devices have none; write it as kind:value."))
        }
        // A vendor puts the id into its path (mobilefirst-push: `/devices/{deviceId}`); `.` and
        // `..` are path steps there, which a normalising proxy would resolve into another resource.
        if value == "." || value == ".." {
            return .failure(Problem(.invalidRequest, detail: "A device id cannot be \".\" or \"..\"."))
        }
        switch FieldRules.check(kind.field, value) {
        case .success(let canonical):
            // Typed and already canonical (the usual case), the client's text is the description.
            if typed, canonical == value { return .success(DeviceIdentifier(kind: kind, value: canonical, description: text)) }
            return .success(DeviceIdentifier(kind: kind, value: canonical))
        case .failure(let reason):
            if !typed, kind != .mac, let prefix, !prefix.isEmpty, prefix.allSatisfy(\.isLetter) { return .failure(unknownKind(prefix)) }
            return .failure(Problem(.invalidRequest, detail: "The \(kind.rawValue) identifier is malformed: \(reason.reason)."))
        }
    }

    private static func unknownKind(_ prefix: String) -> Problem {
        let kinds = IdentifierKind.allCases.map(\.rawValue).joined(separator: ", ")
        return Problem(.invalidRequest, detail: "\"\(prefix)\" is not an identifier kind; use one of \(kinds).")
    }
}
