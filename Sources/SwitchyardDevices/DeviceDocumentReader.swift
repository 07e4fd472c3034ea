import Foundation
import SwitchyardIO
import SwitchyardJSON

/// Reads a device document from parsed JSON, checking every member against the document's
/// fields and their rules (API.md §2), and sorting what is wrong by what the client must fix.
///
/// Nothing is dropped: a member that is not a field, a read-only field in a request, or a
/// `null` (merge-patch removal, which no vendor can do) is an error, not ignored.
public enum DeviceDocumentReader {
    public enum Direction: Sendable {
        /// A client's change: read-only fields and removals are refused, values are checked and
        /// made canonical.
        case request
        /// A document as a response shows it (tests, fixtures): every field allowed, values as is.
        case response
    }

    /// What reading one document found.
    public struct Reading: Sendable {
        public var document: DeviceDocument
        /// The `id` member, for bulk items and responses.
        public var id: CompactString?
        /// Everything wrong, in the order found, each with its kind: one list rather than one per
        /// kind, since a good document (nearly every one) carries it empty through every copy.
        private var errors: [(kind: ErrorKind, error: FieldError)] = []

        /// What the client must fix, in the order it must: the kind decides the problem.
        enum ErrorKind: Sendable {
            /// Wrong JSON types: 400 `invalid_request`.
            case type
            /// Members that are no field, read-only, or removals: 422 `unsupported_field`.
            case unsupported
            /// Values that break their field's rule: 422 `validation_failed`.
            case invalid
        }

        init(document: DeviceDocument) {
            self.document = document
        }

        public var typeErrors: [FieldError] { errors(.type) }
        public var unsupported: [FieldError] { errors(.unsupported) }
        public var invalid: [FieldError] { errors(.invalid) }

        private func errors(_ kind: ErrorKind) -> [FieldError] {
            errors.compactMap { $0.kind == kind ? $0.error : nil }
        }

        mutating func append(_ kind: ErrorKind, _ error: FieldError) {
            errors.append((kind, error))
        }

        /// The problem the errors add up to, the one the client must fix first: types, then
        /// fields that can never be stored, then values. nil when the document is good.
        public var problem: Problem? {
            guard !errors.isEmpty else { return nil }
            if errors.contains(where: { $0.kind == .type }) {
                return Problem(.invalidRequest, detail: "Some members have the wrong JSON type.", fields: typeErrors)
            }
            if errors.contains(where: { $0.kind == .unsupported }) {
                return Problem(.unsupportedField, detail: "Some members cannot be stored; nothing was sent.", fields: unsupported)
            }
            return Problem(.validationFailed, detail: "Some values are not valid; nothing was sent.", fields: invalid)
        }
    }

    /// Reads `object`, a device document at `pointerPrefix` in the body. `allowsID`: the
    /// object may carry `id` (a bulk item). The document is built in one of `documents`' lists
    /// when a loop's pool is given.
    public static func read(_ object: JSONObject, pointerPrefix: String = "", allowsID: Bool = false,
                            direction: Direction = .request, documents: DeviceDocument.Pool? = nil) -> Reading {
        var reading = Reading(document: DeviceDocument(storageFrom: documents))
        // Members by index, each name and value read where it lies: a loop over the members copies
        // each (its name retained and released), and nearly every member is read only to be checked.
        let members = object.members
        let names = DeviceField.names
        for index in members.indices {
            // A member's pointer is only ever needed for an error: made then, not per member.
            func pointer() -> String { pointerPrefix + "/" + escape(members[index].name) }
            if members[index].name == "id" && (allowsID || direction == .response) {
                if let id = members[index].value.compactString {
                    reading.id = id
                } else {
                    let found = members[index].value.typeName
                    reading.append(.type, FieldError(pointer: pointer(), reason: "expected a string, found \(found)"))
                }
            } else if let group = names.group(named: members[index].name) {
                switch members[index].value {
                case .object(let object):
                    let inner = object.members
                    for innerIndex in inner.indices {
                        func innerPointer() -> String { pointer() + "/" + escape(inner[innerIndex].name) }
                        guard let field = names.field(named: inner[innerIndex].name, in: group) else {
                            reading.append(.unsupported, FieldError(pointer: innerPointer(), reason: "not a field of the device document"))
                            continue
                        }
                        read(field, inner[innerIndex].value, at: innerPointer, direction: direction, into: &reading)
                    }
                case .null where direction == .request:
                    reading.append(.unsupported, FieldError(pointer: pointer(), reason: "fields cannot be removed (no vendor supports it)"))
                default:
                    let found = members[index].value.typeName
                    reading.append(.type, FieldError(pointer: pointer(), reason: "expected an object, found \(found)"))
                }
            } else if let field = names.field(named: members[index].name, in: nil) {
                read(field, members[index].value, at: pointer, direction: direction, into: &reading)
            } else {
                let reason = members[index].name == "id"
                    ? "the device is addressed by the path; id appears in responses only" : "not a field of the device document"
                reading.append(.unsupported, FieldError(pointer: pointer(), reason: reason))
            }
        }
        return reading
    }

    private static func read(_ field: DeviceField, _ value: JSONValue, at pointer: () -> String, direction: Direction,
                             into reading: inout Reading) {
        if direction == .request {
            if case .null = value {
                reading.append(.unsupported, FieldError(pointer: pointer(), reason: "fields cannot be removed (no vendor supports it)"))
                return
            }
            if field.access == .readOnly {
                reading.append(.unsupported, FieldError(pointer: pointer(), reason: "set by the vendor; responses only"))
                return
            }
        }
        switch (field.valueType, value) {
        case (.string, .string(let text)):
            guard direction == .request else {
                reading.document[field] = .string(text)
                return
            }
            switch FieldRules.check(field, text) {
            case .success(let canonical): reading.document[field] = .string(canonical)
            case .failure(let violation): reading.append(.invalid, FieldError(pointer: pointer(), reason: violation.reason))
            }
        case (.boolean, .bool(let flag)):
            reading.document[field] = .bool(flag)
        case (.string, _):
            reading.append(.type, FieldError(pointer: pointer(), reason: "expected a string, found \(value.typeName)"))
        case (.boolean, _):
            reading.append(.type, FieldError(pointer: pointer(), reason: "expected a boolean, found \(value.typeName)"))
        }
    }

    /// RFC 6901: `~` as `~0`, `/` as `~1`, so a member name can't fake a path.
    public static func escape(_ name: String) -> String {
        guard !name.allUTF8({ $0 != UInt8(ascii: "~") && $0 != UInt8(ascii: "/") }) else { return name }
        return name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}
