import SwitchyardIO

/// A parsed JSON value, as `JSONParser` reads it.
///
/// Numbers keep their literal text: a device document has no arithmetic, and vendors send
/// numbers where their schemas say strings (iot-security's `code`), so the text is what an
/// adapter compares or echoes, without a round trip through `Double`.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    /// Held in place up to 31 bytes (`CompactString`): an ICCID or a device id read from a
    /// vendor's answer allocates nothing.
    case string(CompactString)
    case array([JSONValue])
    case object(JSONObject)

    /// A string value made from a `String`, for documents built in code (simulators, tests).
    public static func string(_ text: String) -> JSONValue { .string(CompactString(text)) }

    /// A string's text, held in place when short: for the request's way (an adapter reading an answer).
    public var compactString: CompactString? {
        if case .string(let value) = self { value } else { nil }
    }

    /// A string as a `String`: for code off the request's way (configuration, simulators, messages).
    public var stringValue: String? {
        if case .string(let value) = self { value.description } else { nil }
    }

    public var objectValue: JSONObject? {
        if case .object(let value) = self { value } else { nil }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    /// A string, or a number's literal text: for vendor fields typed one way and sent the other.
    public var scalarText: String? {
        switch self {
        case .string(let value): value.description
        case .number(let value): value
        default: nil
        }
    }

    /// A number's value as an integer when it is one (no fraction, no exponent, in range).
    public var intValue: Int? {
        if case .number(let text) = self { Int(text) } else { nil }
    }

    /// A number's value as the nearest `Double`, for numbers that are read by value rather than
    /// as text (`2.0`, `2e0` and `2` alike); nil for other values and for numbers past `Double`'s
    /// range (`1e400`), which have no such value.
    public var doubleValue: Double? {
        guard case .number(let text) = self, let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// Hands the member lists of this document's objects to `pool` once the document is done
    /// with: inner objects first, so the outermost is taken first, and emptying it lets go of the
    /// inner ones. Each list is moved in (`ArrayPool.give(moving:)`): handed over while the
    /// document still held it, it cost a retain then and a release when the document went. A copy
    /// of the document kept elsewhere keeps its own: a list it shares is copied, here or when taken.
    public consuming func giveObjects(to pool: JSONObject.Pool) {
        switch consume self {
        case .object(let object):
            object.give(to: pool)
        case .array(let elements):
            for position in elements.indices where elements[position].holdsValues { elements[position].giveObjects(to: pool) }
        case .null, .bool, .number, .string:
            break
        }
    }

    /// An object or an array: a value that holds others.
    @inline(__always)
    var holdsValues: Bool {
        switch self {
        case .object, .array: true
        case .null, .bool, .number, .string: false
        }
    }

    /// The name of the value's type, for messages ("expected a string, found an array").
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON object with its members in document order; names are unique (`JSONParser` refuses
/// duplicates, which parsers disagree on and which could smuggle a second value past a check).
///
/// Lookups scan the members while there are few (a device document has a dozen, and a scan beats
/// hashing there); past `indexThreshold` members a name index is kept beside them, so that reading
/// an object, duplicate checks included, stays linear in its size however many members a hostile
/// body or vendor answer has (API.md §2, "Parsing costs time linear in the input").
public struct JSONObject: Sendable, Equatable {
    public private(set) var members: [(name: String, value: JSONValue)]
    /// Name → position in `members`; built once the object outgrows a scan.
    private var index: [String: Int]?

    static let indexThreshold = 16
    static let initialCapacity = 8

    public init(_ members: [(name: String, value: JSONValue)] = []) {
        self.members = []
        self.members.reserveCapacity(members.count)
        for member in members { append(member.name, member.value) }
    }

    /// What a loop's documents are built from (`JSONParser.parse(_:objects:)`): member lists reused,
    /// and the member names read before (`MemberNames`). A list keeps its members until it is
    /// taken again, so only small documents are built in them (`pooledDocumentBytes`) and only small
    /// objects kept: a loop's pool holds at most `maxFree` lists of documents of at most 4 KiB,
    /// whatever its clients send. `maxFree` covers two objects for each of 128 requests in flight on
    /// a loop. Not thread-safe: one per loop.
    public final class Pool {
        let lists = ArrayPool<(name: String, value: JSONValue)>(maxFree: 256, maxCapacity: indexThreshold)
        let names = MemberNames.allocate()

        init() {}

        deinit { names.deallocate() }

        /// How many lists it holds.
        public var count: Int { lists.count }
    }

    /// A new pool for one loop.
    public static func pool() -> Pool { Pool() }

    /// The largest document whose objects are built in a pool's lists.
    public static let pooledDocumentBytes = 4096

    /// An empty object building its members in `members`, an empty list with room (a pool's).
    init(reusing members: consuming [(name: String, value: JSONValue)]) {
        precondition(members.isEmpty, "an object is built in an empty list")
        self.members = members
        isPooled = true
    }

    /// Built in a pool's list, and so handed back to one by `JSONValue.giveObjects(to:)`.
    private(set) var isPooled = false

    /// `JSONValue.giveObjects(to:)` for an object: its values' objects, then its own list.
    consuming func give(to pool: Pool) {
        guard isPooled else { return }
        // Members looked at where they lie: a scalar (nearly every member) is not copied. An
        // object is moved out of its place, leaving `null`.
        for position in members.indices where members[position].value.holdsValues {
            var value = JSONValue.null
            swap(&value, &members[position].value)
            value.giveObjects(to: pool)
        }
        pool.lists.give(moving: &members)
    }

    /// The member's value.
    public subscript(name: String) -> JSONValue? {
        if let index { return index[name].map { members[$0].value } }
        for member in members where member.name == name { return member.value }
        return nil
    }

    public var count: Int { members.count }

    /// Adds a member; the caller keeps names unique (the parser checks with the subscript first).
    /// Both taken: the parser hands over the name and the value it made, without a retain of
    /// either for the list and a release of its own.
    public mutating func append(_ name: consuming String, _ value: consuming JSONValue) {
        // Room for a typical object's members at the first: growing one at a time reallocated
        // its storage at the second member and again at the third and the fifth.
        if members.isEmpty { members.reserveCapacity(Self.initialCapacity) }
        guard index != nil || members.count >= Self.indexThreshold else { return members.append((name, value)) }
        members.append((copy name, value))
        if index != nil {
            index![name] = members.count - 1
        } else {
            var built = [String: Int](minimumCapacity: members.count * 2)
            for (position, member) in members.enumerated() { built[member.name] = position }
            index = built
        }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}

extension JSONWriter {
    /// Writes any parsed value, members in their order.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(let text): rawNumber(text)
        case .string(let text): string(text)
        case .array(let elements):
            beginArray()
            for element in elements { self.value(element) }
            endArray()
        case .object(let object):
            beginObject()
            for member in object.members {
                key(member.name)
                self.value(member.value)
            }
            endObject()
        }
    }
}
