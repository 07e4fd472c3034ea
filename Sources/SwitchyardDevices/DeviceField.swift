import SwitchyardIO
import SwitchyardJSON

/// Every field of the unified device document (API.md §2), as one closed set.
///
/// Adapters declare which of these their vendor stores, so "a field the vendor cannot store"
/// is a set difference, decided before anything is sent. Each field knows its JSON pointer
/// (`/sim/status`), which is how problems name it and how the reader finds it.
public enum DeviceField: Int, CaseIterable, Sendable, Hashable, Comparable, CaseSetElement {
    case iccid, imei, imsi, msisdn, mac, deviceId, ipv4, ipv6, apn, pdpId
    case userId, userUsername, userPassword, userExternalId, userClass
    case pushToken, pushPlatform
    case simStatus, simRatePlan, simCommunicationPlan, simCustomer, simModemId, simOverageLimitOverride
    case operatorCustom1, operatorCustom2, operatorCustom3, operatorCustom4, operatorCustom5
    case accountCustom1, accountCustom2, accountCustom3, accountCustom4, accountCustom5
    case accountCustom6, accountCustom7, accountCustom8, accountCustom9, accountCustom10
    case customerCustom1, customerCustom2, customerCustom3, customerCustom4, customerCustom5
    case platformOS, platformOSVersion, platformType
    case appName, appVersion
    case sessionEvent
    case effectiveAt
    case stateActive, stateBanned
    case createdAt, updatedAt

    /// Raw values count from 0 in declaration order, as `allCases` does.
    public var caseBit: Int { rawValue }

    /// Who may set the field.
    public enum Access: Sendable {
        /// Sent by clients, returned as confirmed.
        case readWrite
        /// Sent by clients, never returned, logged or echoed in a problem (`user.password`).
        case writeOnly
        /// Set by the vendor; a request that carries it is refused (it would be silently dropped).
        case readOnly
    }

    public enum ValueType: Sendable {
        case string
        case boolean
    }

    /// The objects of the document that hold fields, in document order.
    public enum Group: Int, CaseIterable, Sendable {
        case user, push, sim, custom, platform, app, session, state

        public var name: String { Self.names[rawValue] }

        /// The group named `name`, nil when it names none.
        public init?(named name: String) {
            guard let group = DeviceField.names.group(named: name) else { return nil }
            self = group
        }

        fileprivate static let names = ["user", "push", "sim", "custom", "platform", "app", "session", "state"]
    }

    /// `nil` for top-level fields, else the object holding the member. A switch, like `access` and
    /// `valueType`, rather than a row of `descriptors`: the document writer asks for each member it
    /// writes, and a static table is a lazy global (a `swift_once` check and the array retained on
    /// every read).
    public var groupKind: Group? {
        switch self {
        case .iccid, .imei, .imsi, .msisdn, .mac, .deviceId, .ipv4, .ipv6, .apn, .pdpId, .effectiveAt, .createdAt, .updatedAt: nil
        case .userId, .userUsername, .userPassword, .userExternalId, .userClass: .user
        case .pushToken, .pushPlatform: .push
        case .simStatus, .simRatePlan, .simCommunicationPlan, .simCustomer, .simModemId, .simOverageLimitOverride: .sim
        case .operatorCustom1, .operatorCustom2, .operatorCustom3, .operatorCustom4, .operatorCustom5,
             .accountCustom1, .accountCustom2, .accountCustom3, .accountCustom4, .accountCustom5,
             .accountCustom6, .accountCustom7, .accountCustom8, .accountCustom9, .accountCustom10,
             .customerCustom1, .customerCustom2, .customerCustom3, .customerCustom4, .customerCustom5: .custom
        case .platformOS, .platformOSVersion, .platformType: .platform
        case .appName, .appVersion: .app
        case .sessionEvent: .session
        case .stateActive, .stateBanned: .state
        }
    }
    /// `nil` for top-level fields, else the name of the object holding the member (`user`, `sim`, …).
    public var group: String? { groupKind?.name }
    /// The member name inside `group`, or the top-level name.
    public var member: String { Self.descriptors[rawValue].member }
    /// RFC 6901 pointer relative to the device document: `/iccid`, `/sim/status`.
    public var pointer: String { Self.descriptors[rawValue].pointer }
    public var access: Access {
        switch self {
        case .userPassword: .writeOnly
        case .pushPlatform, .stateActive, .stateBanned, .createdAt, .updatedAt: .readOnly
        default: .readWrite
        }
    }

    public var valueType: ValueType {
        switch self {
        case .stateActive, .stateBanned: .boolean
        default: .string
        }
    }

    public static func < (lhs: DeviceField, rhs: DeviceField) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The field at `member` of `group` (nil group: top level).
    public static func named(_ member: String, in group: Group?) -> DeviceField? {
        names.field(named: member, in: group)
    }

    /// The groups and the fields by name, for a reader of documents. A reader takes the table once
    /// (`DeviceDocumentReader.read`) and looks each member up in it: a static read per member is a
    /// lazy global's `swift_once` call each time.
    public struct Names: Sendable {
        /// By raw value, so a name's position is its group's raw value.
        private let groups = NameTable(Group.names)
        /// The fields by member name: the top level's at 0, then each group's at its raw value plus one.
        private let membersByGroup: [(table: NameTable, fields: [DeviceField])] = ([nil] + Group.allCases.map { $0 }).map { group in
            let fields = DeviceField.allCases.filter { $0.groupKind == group }
            return (NameTable(fields.map(\.member)), fields)
        }

        /// The group named `name`, nil when it names none.
        public func group(named name: String) -> Group? {
            groups.position(of: name).map { Group(rawValue: $0)! }
        }

        /// The field at `member` of `group` (nil group: top level).
        public func field(named member: String, in group: Group?) -> DeviceField? {
            // The row read where it lies: taken out of the list, its table and fields were retained
            // and released around every lookup.
            let row = group.map { $0.rawValue + 1 } ?? 0
            return membersByGroup.withUnsafeBufferPointer { rows in rows[row].table.position(of: member).map { rows[row].fields[$0] } }
        }
    }

    public static let names = Names()

    /// Every field's member name and every group's name as a key (`"member":`), encoded once, so
    /// a writer copies it without the scan for escapes. A document's writer takes the table once
    /// (`DeviceDocument.write`) and writes each member's key from it: a static read per member is
    /// a lazy global's check and the table retained and released each time.
    public struct EncodedKeys: Sendable {
        fileprivate let fields: JSONWriter.EncodedKeys
        fileprivate let groups: JSONWriter.EncodedKeys
        /// `"id":"iccid:` and the like, each kind's by its `caseIndex`: what an answer's `id` member
        /// starts with. Here rather than in a static of its own, so a document's writer takes one table.
        fileprivate let idOpenings: JSONWriter.EncodedKeys

        public func writeKey(_ field: DeviceField, to json: inout JSONWriter) { json.key(field.rawValue, of: fields) }
        public func writeKey(_ group: Group, to json: inout JSONWriter) { json.key(group.rawValue, of: groups) }
        public func writeMember(_ field: DeviceField, _ value: CompactString, to json: inout JSONWriter) {
            json.member(field.rawValue, of: fields, value)
        }
        /// `id` as the member `"id":"kind:value"`, the key and the kind one copy.
        public func writeIDMember(_ id: DeviceIdentifier, to json: inout JSONWriter) {
            json.member(Int(id.kind.caseIndex), of: idOpenings, finishedBy: id.value)
        }
    }

    public static let encodedKeys = EncodedKeys(
        fields: JSONWriter.EncodedKeys(allCases.map(\.member)), groups: JSONWriter.EncodedKeys(Group.allCases.map(\.name)),
        idOpenings: JSONWriter.EncodedKeys(openingStrings: IdentifierKind.allCases.map { (key: "id", text: $0.rawValue + ":") }))

    private struct Descriptor {
        var member: String
        var pointer: String
    }

    /// One row per case, in declaration order, from its member name and its group (no member twice
    /// in a group: `membersByGroup` checks).
    private static let descriptors: [Descriptor] = {
        var members = ["iccid", "imei", "imsi", "msisdn", "mac", "deviceId", "ipv4", "ipv6", "apn", "pdpId",
                       "id", "username", "password", "externalId", "class",
                       "token", "platform",
                       "status", "ratePlan", "communicationPlan", "customer", "modemId", "overageLimitOverride"]
        members += (1...5).map { "operatorCustom\($0)" }
        members += (1...10).map { "accountCustom\($0)" }
        members += (1...5).map { "customerCustom\($0)" }
        members += ["os", "osVersion", "type", "name", "version", "event", "effectiveAt", "active", "banned", "createdAt", "updatedAt"]
        precondition(members.count == allCases.count, "DeviceField.descriptors must have one row per case")
        return zip(allCases, members).map { field, member in
            Descriptor(member: member, pointer: field.groupKind.map { "/\($0.name)/\(member)" } ?? "/\(member)")
        }
    }()
}
