import Foundation
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON

/// Zequenze GATE, `POST /device_app_user_update/` (docs/VENDORS.md): one user record, found by
/// any of its identifiers and updated with the rest.
///
/// The body is `{"data": "<a JSON object as a string>"}`: the inner object is written where it
/// lands and its text is then escaped as a string value of the outer one, so every quote and
/// backslash of a value is escaped twice, once per level. Gate answers 201 with the whole record (the password
/// included, which never goes back to a client); its errors are Django REST Framework's shapes,
/// `{"detail": "..."}` or field name to a list of messages.
public struct GateAdapter: VendorAdapter {
    public var vendor: Vendor { .gate }
    /// Gate finds a user by whichever identifier it is given; none is the default.
    public var primaryKind: IdentifierKind? { nil }
    public let addressableKinds: CaseSet<IdentifierKind> = [.iccid, .imei, .imsi, .msisdn, .deviceId]
    public let storableFields: CaseSet<DeviceField> = CaseSet(members.map(\.field))
    public var supportsUpsert: Bool { true }
    /// Gate has no bulk call: a bulk update is fanned out, one call per user.
    public var batchSize: Int { 1 }
    public var fanOutConcurrency: Int { 4 }

    /// The tenant's bearer token and the JSON headers, the same on every call: encoded once.
    private let headers: UpstreamHeaderBlock

    public init(token: String) {
        headers = UpstreamHeaderBlock([
            ("authorization", "Bearer \(token)"), ("content-type", "application/json"), ("accept", "application/json"),
        ])
    }

    /// The members of `data` in the document's order (API.md §2's gate column), which is also
    /// the order they are sent in. Names as `StaticString`s: a record's member names are compared
    /// with them where both lie, and each is written without a `String`.
    static let members: [(name: StaticString, field: DeviceField)] = [
        ("number", .msisdn), ("generic_id", .deviceId), ("imei", .imei), ("imsi", .imsi), ("iccid", .iccid),
        ("username", .userUsername), ("password", .userPassword), ("user_external_id", .userExternalId),
        ("user_class", .userClass),
    ]

    /// `members`' names in their order, as a record in gate's shape has them (`confirmation`).
    static let memberNames = members.map(\.name)

    /// The places in `members` of the fields a record confirms (all but the write-only password),
    /// in the document's order: the order `confirmation` adds them in.
    static let confirmedInFieldOrder = members.indices
        .filter { members[$0].field.access != .writeOnly }
        .sorted { members[$0].field < members[$1].field }

    /// From the document's table and docs/VENDORS.md (404 from an older revision of the page, 429
    /// from a sibling endpoint); gate has no error codes, so rows match by status.
    public static let errorRows: [ErrorCatalogue.Row] = [
        .init(.gate, status: 400, .validationFailed, "Gate refused the data: invalid format or no identifier to find the user by."),
        .init(.gate, status: 401, .upstreamAuthFailed, "Gate refused the tenant's bearer token (credentials.token)."),
        .init(.gate, status: 404, .deviceNotFound, "No gate user has any of the identifiers sent (\"User not found\")."),
        .init(.gate, status: 422, .validationFailed, "Gate refused a value (its message names the field)."),
        .init(.gate, status: 429, .upstreamRateLimited, "Gate's rate limit; its Retry-After is passed on."),
        .init(.gate, status: 500, .upstreamError, "Gate failed internally."),
    ]

    /// Gate's own rules are its answer's business: every value has passed `FieldRules` already.
    public func validate(_ change: DeviceChange, now: Double) -> Problem? { nil }

    public func request(for changes: [DeviceChange], accessToken: String?, now: Double, body: consuming [UInt8]) -> UpstreamRequest {
        assert(changes.count == 1, "batchSize is 1: the gateway sends one change per call")
        // The document and the id, not the whole change, copied out for the writer's closures: a
        // copy of the change retained its pointer prefix too, and read in place inside the closures,
        // the document's list was retained for every member.
        let (document, id) = (changes[0].document, changes[0].id)
        let body = JSONWriter.writing(into: body) { json in
            json.beginObject()
            // An update names the user by its id; the gateway has checked that a document field of the
            // same kind, if any, holds the same value. Its field read once, not the id copied per member.
            let idField = id?.kind.field
            let members = Self.members
            // Only the fields present are looked up: nine lookups, each a walk of the document, cost more
            // than the request's whole `data`.
            let present = document.fields
            json.member("data", stringifying: { data in
                data.beginObject()
                // By index: each name passed where it lies, not copied (retained and released) per member.
                for index in members.indices {
                    let field = members[index].field
                    guard present.contains(field) || field == idField else { continue }
                    if let value = document.string(field) ?? (field == idField ? id?.value : nil) {
                        data.member(members[index].name, value)
                    }
                }
                data.endObject()
            })
            json.endObject()
        }
        return UpstreamRequest(
            method: .post,
            path: "/device_app_user_update/",
            fixedHeaders: headers,
            body: body
        )
    }

    public func interpret(_ response: UpstreamResponse, for changes: [DeviceChange], lists: AnswerLists?) -> VendorAnswer {
        // One change a call (`batchSize`), its answer made without `VendorAnswer.each`: a change
        // handed to a closure is copied for the call (Swift cannot tell the closure leaves the list
        // alone), and this needs only its operation.
        precondition(changes.count == 1, "batchSize is 1: an answer is for one change")
        guard response.status == 201 else { return .all(.failed(problem(for: response, changes[0])), count: 1) }
        switch confirmation(in: response, documents: lists?.documents, objects: lists?.objects) {
        // Gate says 201 whether the user was changed or found by an upsert: it cannot tell the two
        // apart, so an upsert is reported as API.md's default, 201.
        case .success(let confirmed): return .all(.accepted(status: changes[0].operation == .upsert ? 201 : 200, confirmed: confirmed), count: 1)
        case .failure(let problem): return .all(.failed(problem), count: 1)
        }
    }

    /// The fields gate's 201 record confirms, read straight into a document, not through a tree: where
    /// its values lie when the record is in gate's own shape (`JSONParser.withRecordStrings`), as gate
    /// writes it; member by member otherwise (`JSONParser.forEachMember`), which also tells a record
    /// in another order or with escapes from one that is no JSON object or has a value of the wrong type.
    private func confirmation(in response: UpstreamResponse, documents: DeviceDocument.Pool?,
                              objects: JSONObject.Pool?) -> Result<DeviceDocument, Problem> {
        let read = JSONParser.withRecordStrings(of: response.body, named: Self.memberNames) { strings in
            var confirmed = DeviceDocument(storageFrom: documents)
            // In the document's order: each field appended after the last, none moved into place.
            for place in Self.confirmedInFieldOrder {
                guard let text = strings[place] else { continue }
                confirmed.append(Self.members[place].field, .string(CompactString(validUTF8: UnsafeRawBufferPointer(text))))
            }
            return confirmed
        }
        if let read { return .success(read) }
        var confirmed = DeviceDocument(storageFrom: documents)
        var mistyped: (name: String, type: String)?
        // The record's members in its order, each found in `members` from where the last one was:
        // gate writes them in the order of its documentation, which is `members`' order, so each is
        // found at the first try (looking up every field in the record took n²/2 comparisons).
        var next = 0
        let isObject = try? JSONParser.forEachMember(of: response.body, objects: objects) { name, value in
            guard mistyped == nil, let position = Self.position(of: name, from: next) else { return }
            next = position + 1
            let field = Self.members[position].field
            guard field.access != .writeOnly else { return }
            switch value {
            case .string(let text): confirmed[field] = .string(CompactString(validUTF8: UnsafeRawBufferPointer(text)))
            // A DRF serializer writes an unset nullable field as null: not a value to confirm.
            case .other(.null): break
            case .other(let other): mistyped = (String(decoding: name, as: UTF8.self), other.typeName)
            }
        }
        guard isObject == true else {
            return .failure(ErrorCatalogue.unreadable(response, "the 201 body is not a JSON object"))
        }
        if let mistyped {
            return .failure(ErrorCatalogue.unreadable(response, "\(mistyped.name) is \(mistyped.type), not a string"))
        }
        return .success(confirmed)
    }

    /// Where the member named by the UTF-8 `name` is in `members`, looked for from `start` on and
    /// then from the beginning.
    @inline(__always)
    private static func position(of name: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let count = members.count
        var position = start < count ? start : 0
        for _ in 0..<count {
            if UnsafeRawBufferPointer(name).bytesEqual(members[position].name) { return position }
            position = position + 1 < count ? position + 1 : 0
        }
        return nil
    }

    /// The catalogue's problem, with gate's message and, for a DRF field error on 400 or 422,
    /// the fields at fault as pointers into the client's request.
    private func problem(for response: UpstreamResponse, _ change: DeviceChange) -> Problem {
        let password = change.document.string(.userPassword)?.description
        var message: String?
        var fields: [FieldError] = []
        switch try? JSONParser.parse(response.body) {
        case .object(let object)?:
            if let detail = object["detail"]?.stringValue {
                message = Self.withholding(password, from: detail)
            } else {
                var parts: [String] = []
                for (name, value) in object.members {
                    let messages = Self.messages(value).map { Self.withholding(password, from: $0) }
                    guard !messages.isEmpty else { continue }
                    let reason = messages.joined(separator: " ")
                    parts.append("\(name): \(reason)")
                    // `data`, `non_field_errors` and any name gate has but the document lacks are
                    // about the change as a whole: the document's own pointer.
                    let field = name.withContiguousUTF8 { Self.position(of: $0, from: 0) }.map { Self.members[$0].field }
                    fields.append(FieldError(pointer: field.map(change.pointer) ?? change.pointerPrefix, reason: reason))
                }
                message = parts.isEmpty ? nil : parts.joined(separator: "; ")
            }
        case nil:
            message = Self.textMessage(response.body).map { Self.withholding(password, from: $0) }
        default:
            break
        }
        var problem = ErrorCatalogue.problem(for: response, vendor: .gate, rows: Self.errorRows, code: nil, message: message)
        if response.status == 400 || response.status == 422 { problem.fields = fields }
        return problem
    }

    /// A DRF field error's messages, a list of strings. Anything else is no field error: a
    /// record echoed in an error body must not become a message (it holds the password).
    private static func messages(_ value: JSONValue) -> [String] {
        value.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// docs/VENDORS.md: gate's error body is not documented, so a text body (a proxy's page, say)
    /// is kept as the message, trimmed and cut short enough to sit in a problem document.
    private static func textMessage(_ body: [UInt8]) -> String? {
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : String(text.prefix(200))
    }

    /// A message that repeats the password sent is replaced whole: problems and logs never
    /// carry a password (DeviceField.Access.writeOnly).
    private static func withholding(_ password: String?, from message: String) -> String {
        guard let password, message.contains(password) else { return message }
        return "(gate's message repeated the password and is withheld)"
    }
}
