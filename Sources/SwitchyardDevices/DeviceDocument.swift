import SwitchyardIO
import SwitchyardJSON

/// A device document: which fields are present and their values.
///
/// Stored as the present fields only, sorted by `DeviceField` (the document's canonical order,
/// the order responses use): a document holds a handful of the fifty fields, so a short sorted
/// array beats a slot per field when documents are copied, merged and written several times
/// per request.
public struct DeviceDocument: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        /// Held in place up to 31 bytes (`CompactString`): an ICCID or a device id allocates nothing.
        case string(CompactString)
        case bool(Bool)

        /// A string value made from a `String`, for documents built in code (simulators, tests).
        public static func string(_ text: String) -> Value { .string(CompactString(text)) }

        public var string: CompactString? {
            if case .string(let text) = self { text } else { nil }
        }
    }

    public typealias Entry = (field: DeviceField, value: Value)

    private var entries: [Entry] = []

    public init() {}

    /// A loop's free lists of documents' fields: the documents a request is read into and those a
    /// vendor's answer is read into, handed back once the answer is written (`give(to:)`), so the
    /// next request's documents are built in the same lists instead of an allocation each. Lists
    /// of a few dozen fields at most are kept.
    public typealias Pool = ArrayPool<Entry>

    /// A new pool for one loop: `maxFree` covers two documents for each of 128 requests in flight.
    public static func pool() -> Pool { Pool(maxFree: 256, maxCapacity: 64) }

    /// An empty document building its fields in one of `pool`'s lists (a new one without a pool).
    /// Called through the optional: bound with `if let`, the pool was retained and released around the call.
    public init(storageFrom pool: Pool?) {
        if let taken = pool?.take(capacity: Self.expectedFields) { entries = taken }
    }

    /// A document holds a handful of fields: room for them at the first, not a reallocation at the
    /// second, third and fifth.
    private static var expectedFields: Int { 8 }

    /// Hands the document's list to `pool` for the next document built on the loop, leaving this
    /// one empty: moved, without a retain (`ArrayPool.give(moving:)`). A copy of the document held
    /// elsewhere (a migration's mirrored answer) keeps its fields: a list still held is copied
    /// rather than emptied under its holder when it is taken.
    public mutating func give(to pool: Pool) { pool.give(moving: &entries) }

    public subscript(field: DeviceField) -> Value? {
        get {
            // By index: the loop compares fields without copying (and retaining) each entry's value.
            for index in entries.indices where entries[index].field == field { return entries[index].value }
            return nil
        }
        set {
            // A field after the last one (a document read in canonical order, a record's later
            // members) goes at the end without a search.
            let last = entries.count - 1
            let index = last < 0 || entries[last].field < field ? entries.endIndex
                : entries.firstIndex { $0.field >= field } ?? entries.endIndex
            let present = index < entries.endIndex && entries[index].field == field
            switch (newValue, present) {
            case (let value?, true): entries[index].value = value
            case (let value?, false):
                if entries.capacity == 0 { entries.reserveCapacity(Self.expectedFields) }
                // Appended, then moved into place with one memmove of the entries after it: `insert`
                // goes through `replaceSubrange` (some 170 instructions a field, callgrind), and a
                // vendor's answer lists fields in its own order (gate's record puts three of eight
                // before others). Swapping into place copies each value passed, retains and all.
                entries.append((field, value))
                let moved = entries.count - 1 - index
                if moved > 0 {
                    entries.withUnsafeMutableBufferPointer { entries in
                        let base = entries.baseAddress!
                        let added = (base + index + moved).move()
                        (base + index + 1).moveInitialize(from: base + index, count: moved)
                        (base + index).initialize(to: added)
                    }
                }
            case (nil, true): entries.remove(at: index)
            case (nil, false): break
            }
        }
    }

    /// Adds `field`, which comes after every field present: how a document read in canonical order
    /// is built (a vendor's record read where it lies), without the setter's search for the field's
    /// place, its check for the field being there already, or the optional value the setter takes.
    /// The value is taken, not copied: a string on the heap is moved in without a retain.
    public mutating func append(_ field: DeviceField, _ value: consuming Value) {
        precondition(entries.isEmpty || entries[entries.count - 1].field < field, "fields are appended in canonical order")
        if entries.capacity == 0 { entries.reserveCapacity(Self.expectedFields) }
        entries.append((field, value))
    }

    /// The field's value when it is a string.
    public func string(_ field: DeviceField) -> CompactString? { self[field]?.string }

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }

    /// The fields present (in canonical order when walked), as one word: a writer that asks about
    /// many fields of a document holding a few (gate's request, nine of two or three) looks up only
    /// those present.
    public var fields: CaseSet<DeviceField> {
        var fields = CaseSet<DeviceField>()
        for index in entries.indices { fields.insert(entries[index].field) }
        return fields
    }

    /// Each field present with its value, in canonical order, without copying the document's
    /// storage into an array first.
    public func forEach(_ body: (DeviceField, Value) throws -> Void) rethrows {
        for index in entries.indices { try body(entries[index].field, entries[index].value) }
    }

    // The loops below hand closures fields, not values: Swift copies a list's element to hand it to a
    // closure (it cannot tell the closure leaves the list alone), a value's copy and destruction
    // some 70 instructions (callgrind), where a field is a byte.

    /// Each field present, in canonical order, without its value.
    public func forEachField(_ body: (DeviceField) throws -> Void) rethrows {
        for index in entries.indices { try body(entries[index].field) }
    }

    /// Whether `field` is present: `self[field] != nil` copies the value (and destroys the copy)
    /// to tell.
    public func contains(_ field: DeviceField) -> Bool {
        containsField { $0 == field }
    }

    /// Whether a field present passes `predicate`.
    public func containsField(where predicate: (DeviceField) -> Bool) -> Bool {
        for index in entries.indices where predicate(entries[index].field) { return true }
        return false
    }

    /// Whether every string value is in its field's canonical form (`FieldRules.isCanonical`).
    public var isCanonical: Bool {
        for index in entries.indices {
            if case .string(let text) = entries[index].value, !FieldRules.isCanonical(entries[index].field, text) { return false }
        }
        return true
    }

    /// The string fields that `name` names, in canonical order, as members of the object `json` is
    /// writing, each under its name; fields `name` gives none (or not strings) are left out.
    public func writeStrings(to json: inout JSONWriter, naming name: (DeviceField) -> String?) {
        for index in entries.indices {
            if let name = name(entries[index].field), case .string(let text) = entries[index].value { json.member(name, text) }
        }
    }

    /// `other`'s fields over these: how a vendor's confirmation overlays what was sent.
    public func merging(_ other: DeviceDocument) -> DeviceDocument {
        var merged = self
        for entry in other.entries { merged[entry.field] = entry.value }
        return merged
    }

    /// The document without write-only fields: what may appear in a response or a log.
    public var redacted: DeviceDocument {
        // Nearly every document has none: itself, rather than a copy the removal would make.
        guard containsField(where: { $0.access == .writeOnly }) else { return self }
        var copy = self
        copy.entries.removeAll { $0.field.access == .writeOnly }
        return copy
    }

    public static func == (lhs: DeviceDocument, rhs: DeviceDocument) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.field == $1.field && $0.value == $1.value }
    }

    /// Writes the device as an answer states it, as a JSON object: `id` first, then this
    /// document's fields with `confirmed`'s laid over them, and `id`'s own field when neither has
    /// it, in canonical order, each group as a nested object; write-only fields never.
    ///
    /// The same bytes as the merged document (`merging`, then `id`'s field) would write, without
    /// making it: the two sorted lists are walked side by side, so an answer copies no document.
    public func write(to json: inout JSONWriter, id: DeviceIdentifier?, overlaying confirmed: DeviceDocument = DeviceDocument()) {
        json.beginObject()
        let keys = DeviceField.encodedKeys
        if let id { keys.writeIDMember(id, to: &json) }
        var openGroup: DeviceField.Group?
        func member(_ field: DeviceField, _ value: Value) {
            guard field.access != .writeOnly else { return }
            let group = field.groupKind
            if group != openGroup {
                if openGroup != nil { json.endObject() }
                if let group {
                    keys.writeKey(group, to: &json)
                    json.beginObject()
                }
                openGroup = group
            }
            switch value {
            case .string(let text):
                keys.writeMember(field, text, to: &json)
            case .bool(let flag):
                keys.writeKey(field, to: &json)
                json.bool(flag)
            }
        }
        // `id`'s field, stated in its place unless one of the documents has it.
        var idField = id.flatMap { !contains($0.kind.field) && !confirmed.contains($0.kind.field) ? $0 : nil }
        func member(before field: DeviceField?) {
            guard let pending = idField, field.map({ pending.kind.field < $0 }) ?? true else { return }
            member(pending.kind.field, .string(pending.value))
            idField = nil
        }
        let over = confirmed.entries
        var (sent, laid) = (0, 0)
        while sent < entries.count || laid < over.count {
            let fromSent = laid == over.count || (sent < entries.count && entries[sent].field < over[laid].field)
            if fromSent {
                member(before: entries[sent].field)
                member(entries[sent].field, entries[sent].value)
                sent += 1
            } else {
                if sent < entries.count && entries[sent].field == over[laid].field { sent += 1 }
                member(before: over[laid].field)
                member(over[laid].field, over[laid].value)
                laid += 1
            }
        }
        member(before: nil)
        if openGroup != nil { json.endObject() }
        json.endObject()
    }
}
