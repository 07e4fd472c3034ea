import SwitchyardDevices
import SwitchyardIO
import SwitchyardJSON

/// A `/devices` request read against the tenant's adapter: the changes to send, one per device,
/// each either ready or already refused with its problem.
///
/// Everything common to the five vendors is decided here, before any vendor call: the id's
/// syntax and kind, the document's types, fields and formats, what the vendor can store, and
/// the vendor's own rules (`VendorAdapter.validate`). "Nothing is silently dropped" (API.md §1)
/// is this file's job: every member of the body is a field the vendor stores, or a problem.
struct DeviceRequest {
    struct Item {
        /// The id as the response shows it: canonical `kind:value` once it parsed, else as sent.
        var id: ID?
        var change: Result<DeviceChange, Problem>

        enum ID {
            case parsed(DeviceIdentifier)
            /// A bulk item's id that did not parse, as the client sent it.
            case sent(String)

            var text: String {
                switch self {
                case .parsed(let id): id.description
                case .sent(let text): text
                }
            }

            /// Writes the id as the JSON member `id`: a parsed one from its parts.
            func writeAsIDMember(to json: inout JSONWriter) {
                switch self {
                case .parsed(let id): id.writeAsIDMember(to: &json)
                case .sent(let text): json.member("id", text)
                }
            }
        }
    }

    var isBulk: Bool
    var items: [Item]

    /// The first item, lent to `body` where it lies: `items[0]` copies the whole item (its change,
    /// document and id retained, about 220 instructions) to read a field of it.
    func withFirstItem<Result>(_ body: (Item) -> Result) -> Result? {
        items.withUnsafeBufferPointer { $0.isEmpty ? nil : body($0[0]) }
    }

    /// A loop's free lists a request is read into: its list of items and its documents' fields,
    /// handed back when the vendor call is done with them (`GatewayLoop.reclaim`).
    struct Lists {
        let items: ArrayPool<Item>
        let documents: DeviceDocument.Pool
    }

    /// This request with only the items `keep` accepts ready to send; the others stand refused
    /// (`leftOut`), so that a call made with it leaves them out, and their places: their results
    /// come from elsewhere (the other vendor of a migration) or are not wanted.
    func keeping(_ keep: (Int) -> Bool) -> DeviceRequest {
        var kept = self
        for index in kept.items.indices where !keep(index) { kept.items[index].change = .failure(Self.leftOut) }
        return kept
    }

    /// What stands in for an item `keeping` left out; never part of an answer.
    private static let leftOut = Problem(.internalError, detail: "Left out of this call.")

    /// Reads the request on `route` for `adapter`'s vendor: what it can do (501 when it can't
    /// register devices), the device layer's checks and the vendor's rules. A device id without
    /// its kind (`8988…` for `iccid:8988…`) is of `bareIDKind`: the tenant's vendor's primary kind,
    /// also when the same request is read for the vendor it migrates to. Read into `lists` (the
    /// loop's) when given.
    static func read(_ route: Route, body: JSONValue, adapter: any VendorAdapter, bareIDKind: IdentifierKind?,
                     maxBulkDevices: Int, now: Double, lists: Lists? = nil) -> Result<DeviceRequest, Problem> {
        switch route {
        case .upsertDevice:
            guard adapter.supportsUpsert else {
                return .failure(Problem(.unsupportedOperation,
                                        detail: "This tenant's vendor cannot register devices; update one with PATCH /devices/{id}."))
            }
            return single(.upsert, pathID: nil, body: body, adapter: adapter, bareIDKind: bareIDKind, now: now, lists: lists)
        case .updateDevice(let id):
            return single(.update, pathID: id, body: body, adapter: adapter, bareIDKind: bareIDKind, now: now, lists: lists)
        case .bulkUpdate:
            return bulk(body: body, adapter: adapter, bareIDKind: bareIDKind, maxDevices: maxBulkDevices, now: now, lists: lists)
        case .methodNotAllowed, .notFound:
            preconditionFailure("admit answers requests that route nowhere")
        }
    }

    /// Reads a single-device request (`POST /devices`, `PATCH /devices/{id}`); a refusal is
    /// the answer to the whole request.
    private static func single(_ operation: DeviceChange.Operation, pathID: PathDeviceID?, body: JSONValue,
                               adapter: any VendorAdapter, bareIDKind: IdentifierKind?, now: Double, lists: Lists?) -> Result<DeviceRequest, Problem> {
        guard case .object(let object) = body else {
            return .failure(Problem(.invalidRequest, detail: "The body must be a JSON object (a device document), not \(body.typeName)."))
        }
        var id: DeviceIdentifier?
        if let pathID {
            guard let text = pathID.text else {
                return .failure(Problem(.invalidRequest, detail: "The device id in the path is not valid percent-encoded UTF-8."))
            }
            switch DeviceIdentifier.parse(named: pathID.kind, text, primary: bareIDKind) {
            case .success(let parsed): id = parsed
            case .failure(let problem): return .failure(problem)
            }
        }
        let reading = DeviceDocumentReader.read(object, documents: lists?.documents)
        let change = check(reading, operation: operation, id: id, pointerPrefix: "", adapter: adapter, now: now)
        if case .failure(let problem) = change { return .failure(problem) }
        var items = lists?.items.take(capacity: 1) ?? []
        items.append(Item(id: id.map(Item.ID.parsed), change: change))
        return .success(DeviceRequest(isBulk: false, items: items))
    }

    /// Reads `PATCH /devices`: `{"devices": [{"id": "…", …fields}, …]}`. A malformed envelope
    /// refuses the whole request; a bad item only itself.
    private static func bulk(body: JSONValue, adapter: any VendorAdapter, bareIDKind: IdentifierKind?, maxDevices: Int,
                             now: Double, lists: Lists?) -> Result<DeviceRequest, Problem> {
        guard case .object(let object) = body, let devicesValue = object["devices"] else {
            return .failure(Problem(.invalidRequest, detail: "The body must be {\"devices\": [ … ]}.",
                                    fields: [FieldError(pointer: "/devices", reason: "required")]))
        }
        let others = object.members.filter { $0.name != "devices" }
        guard others.isEmpty else {
            return .failure(Problem(.unsupportedField, detail: "A bulk update holds only \"devices\"; nothing was sent.",
                                    fields: others.map { FieldError(pointer: "/" + DeviceDocumentReader.escape($0.name), reason: "not part of a bulk update") }))
        }
        guard case .array(let devices) = devicesValue else {
            return .failure(Problem(.invalidRequest, detail: "\"devices\" must be an array.",
                                    fields: [FieldError(pointer: "/devices", reason: "expected an array, found \(devicesValue.typeName)")]))
        }
        guard devices.count <= maxDevices else {
            return .failure(Problem(.payloadTooLarge, detail: "A bulk update takes at most \(maxDevices) devices; this one has \(devices.count)."))
        }
        func item(_ index: Int, _ value: JSONValue) -> Item {
            let prefix = "/devices/\(index)"
            guard case .object(let item) = value else {
                return Item(id: nil, change: .failure(Problem(.invalidRequest, detail: "Each device must be a JSON object.",
                    fields: [FieldError(pointer: prefix, reason: "expected an object, found \(value.typeName)")])))
            }
            let reading = DeviceDocumentReader.read(item, pointerPrefix: prefix, allowsID: true, documents: lists?.documents)
            guard let idText = reading.id else {
                let problem = reading.problem.map { Problem($0.code, detail: $0.detail, fields: $0.fields) }
                    ?? Problem(.invalidRequest, detail: "Each device needs its \"id\".", fields: [FieldError(pointer: prefix + "/id", reason: "required")])
                return Item(id: nil, change: .failure(problem))
            }
            switch DeviceIdentifier.parse(idText, primary: bareIDKind) {
            case .failure(let problem):
                return Item(id: .sent(idText.description), change: .failure(Problem(problem.code, detail: problem.detail,
                    fields: [FieldError(pointer: prefix + "/id", reason: "malformed")])))
            case .success(let id):
                return Item(id: .parsed(id), change: check(reading, operation: .update, id: id, pointerPrefix: prefix, adapter: adapter, now: now))
            }
        }
        var items = lists?.items.take(capacity: devices.count) ?? []
        items.reserveCapacity(devices.count)
        for (index, value) in devices.enumerated() { items.append(item(index, value)) }
        return .success(DeviceRequest(isBulk: true, items: items))
    }

    /// The checks every change passes before a vendor sees it, in the order a client fixes
    /// them: types (400), what the vendor can never store (422 `unsupported_field`), values
    /// (422 `validation_failed`), then the vendor's own rules.
    private static func check(_ reading: DeviceDocumentReader.Reading, operation: DeviceChange.Operation, id: DeviceIdentifier?,
                              pointerPrefix: String, adapter: any VendorAdapter, now: Double) -> Result<DeviceChange, Problem> {
        let problem = reading.problem
        if let problem, problem.code == .invalidRequest { return .failure(problem) }
        var unsupported = reading.unsupported
        if let id, !adapter.addressableKinds.contains(id.kind) {
            let kinds = IdentifierKind.allCases.filter(adapter.addressableKinds.contains).map(\.rawValue).joined(separator: ", ")
            unsupported.insert(FieldError(pointer: pointerPrefix + "/id",
                reason: "this tenant's devices cannot be addressed by \(id.kind.rawValue); use \(kinds)"), at: 0)
        }
        let document = reading.document
        let storable = adapter.storableFields
        document.forEachField { field in
            if !storable.contains(field) {
                unsupported.append(FieldError(pointer: pointerPrefix + field.pointer, reason: "this tenant's vendor cannot store it"))
            }
        }
        if let id, let value = document.string(id.kind.field), value != id.value {
            unsupported.append(FieldError(pointer: pointerPrefix + id.kind.field.pointer,
                reason: "the identifier the device is addressed by cannot be changed; address the device by another identifier"))
        }
        if !unsupported.isEmpty {
            return .failure(Problem(.unsupportedField, detail: "Some members cannot be stored by this tenant's vendor; nothing was sent.",
                                    fields: unsupported))
        }
        if let problem { return .failure(problem) }
        if operation == .upsert, !adapter.addressableKinds.contains(where: { document.contains($0.field) }) {
            let kinds = IdentifierKind.allCases.filter(adapter.addressableKinds.contains).map(\.rawValue).joined(separator: ", ")
            return .failure(Problem(.validationFailed, detail: "A device needs an identifier.",
                                    fields: [FieldError(pointer: pointerPrefix, reason: "needs one of \(kinds)")]))
        }
        let change = DeviceChange(operation: operation, id: id, document: document, pointerPrefix: pointerPrefix)
        if let problem = adapter.validate(change, now: now) { return .failure(problem) }
        return .success(change)
    }
}
