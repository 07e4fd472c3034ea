import SwitchyardIO
import SwitchyardJSON

/// The kinds of identifier a device can be addressed by (`{id}` is `kind:value`).
public enum IdentifierKind: String, CaseIterable, Sendable, CaseKeyed, CaseSetElement {
    case iccid, imei, imsi, msisdn, mac, deviceId, ipv4

    public var caseBit: Int { Int(caseIndex) }

    /// The kind spelt by `name`'s bytes (`iccid`), nil when none is.
    static func named(_ name: UnsafeRawBufferPointer) -> IdentifierKind? { table.position(of: name).map { at(caseBit: $0) } }

    /// By position in `allCases`, which is each kind's `caseBit`.
    private static let table = NameTable(allCases.map(\.rawValue))

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
///
/// The value is a `CompactString`: every kind's value but a long free-form device id is held in
/// place, so a request addressed by an ICCID allocates nothing for it.
public struct DeviceIdentifier: Sendable, Hashable, CustomStringConvertible {
    public let kind: IdentifierKind
    public let value: CompactString

    public init(kind: IdentifierKind, value: CompactString) {
        self.kind = kind
        self.value = value
    }

    public init(kind: IdentifierKind, value: String) {
        self.init(kind: kind, value: CompactString(value))
    }

    /// `kind:value`, as responses show it. Made only where a `String` is wanted (a log line, a
    /// migration's device key): an answer writes it from its parts (`writeAsIDMember(to:)`).
    public var description: String { kind.rawValue + ":" + value.description }

    /// Writes `kind:value` as the JSON member `id`, without making `description`
    /// (`DeviceField.EncodedKeys.writeIDMember`).
    public func writeAsIDMember(to json: inout JSONWriter) {
        DeviceField.encodedKeys.writeIDMember(self, to: &json)
    }

    public static func == (lhs: DeviceIdentifier, rhs: DeviceIdentifier) -> Bool {
        lhs.kind == rhs.kind && lhs.value == rhs.value
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(value)
    }

    /// The kind `text` names before its colon (`iccid` in `iccid:8988…`); nil for a bare value.
    public static func namedKind(_ text: String) -> IdentifierKind? { kindPrefix(text).kind }

    /// Where `text`'s first colon is, as a UTF-8 offset, and the kind the bytes before it name. By
    /// bytes where they lie: the colon is ASCII, a search by `Character` walks grapheme clusters,
    /// and one through `String.UTF8View` its index machinery at some thirty instructions a byte.
    private static func kindPrefix(_ text: String) -> (colon: Int?, kind: IdentifierKind?) {
        text.withContiguousUTF8 { kindPrefix(UnsafeRawBufferPointer($0)) }
    }

    /// The same of an id's UTF-8 bytes where they lie (a path's, `PathDeviceID`).
    public static func kindPrefix(_ utf8: UnsafeRawBufferPointer) -> (colon: Int?, kind: IdentifierKind?) {
        guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")) else { return (nil, nil) }
        return (colon, IdentifierKind.named(UnsafeRawBufferPointer(rebasing: utf8[..<colon])))
    }

    /// Reads `text` (already percent-decoded). A bare value means `primary`; without one it is
    /// refused. The value must pass its field's format rule. Errors are 400 `invalid_request`
    /// (API.md: "bad id syntax"), with the reason.
    public static func parse(_ text: CompactString, primary: IdentifierKind?) -> Result<DeviceIdentifier, Problem> {
        text.withUTF8 { utf8 in
            let (colon, named) = kindPrefix(UnsafeRawBufferPointer(utf8))
            guard let colon, let named else { return parse(named: nil, text, primary: primary) }
            return parse(named: named, CompactString(decoding: UnsafeBufferPointer(rebasing: utf8[(colon + 1)...])), primary: primary)
        }
    }

    /// Reads an id already split at its kind: `named` is the kind the text before its first colon
    /// names and `text` what follows the colon, or `named` is nil and `text` the whole id (a path's
    /// id is split where it is read, so that a typed id's value is the only text made of it).
    public static func parse(named: IdentifierKind?, _ text: CompactString, primary: IdentifierKind?) -> Result<DeviceIdentifier, Problem> {
        // The text before the first colon of an id that names no kind; made only for an error.
        var prefix: String? {
            guard named == nil else { return nil }
            return text.withUTF8 { utf8 in
                kindPrefix(UnsafeRawBufferPointer(utf8)).colon.map { String(decoding: utf8.prefix($0), as: UTF8.self) }
            }
        }
        let kind: IdentifierKind
        let value: CompactString
        let typed: Bool
        if let named {
            kind = named
            value = text
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
