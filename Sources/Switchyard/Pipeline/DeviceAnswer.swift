import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardJSON

/// The translate-back phase: what the vendor made of each change, as the answer API.md §2
/// promises. One device's answer is its document (or its problem); a bulk update's is every item
/// in request order, then the counts. A function of the request and the vendor's outcome, with no
/// state and no clock.
///
/// The request and the outcome are handed to each function rather than kept here: kept in the
/// value, each of their lists was retained for the answer and released after it.
struct DeviceAnswer {
    /// Which identifier kinds the tenant's adapter addresses, its primary one first, for a new
    /// device's `id`: the values, not the adapter, whose existential would be copied (its
    /// references retained) to be kept here.
    let primaryKind: IdentifierKind?
    let addressableKinds: CaseSet<IdentifierKind>
    let requestID: RequestID

    /// The answer to `deviceRequest`, its JSON written into `buffer` and its header lines into
    /// `fields`, an empty list with room for `fieldCapacity` (both taken, not shared, so writing
    /// grows them in place).
    func response(to deviceRequest: DeviceRequest, _ outcome: DeviceCall.Outcome, into buffer: consuming [UInt8],
                  fields: consuming [(name: String, value: String)]) -> HTTPResponse {
        precondition(fields.isEmpty, "an answer's header lines start empty")
        return deviceRequest.isBulk ? bulkResponse(to: deviceRequest, outcome, into: buffer, fields: fields)
            : singleResponse(to: deviceRequest, outcome, into: buffer, fields: fields)
    }

    /// Header lines a JSON answer has room for: its content type, what `GatewayRequest.finished`
    /// adds (the rate limit's two or three, gzip's two), so none is added by growing the list.
    static let fieldCapacity = 6

    /// What the answer's JSON may take, for the array it is written into: a device's document, or
    /// some 128 bytes an item.
    static func expectedBytes(_ deviceRequest: DeviceRequest, _ outcome: DeviceCall.Outcome) -> Int {
        deviceRequest.isBulk ? 128 * max(1, outcome.results.count) : 512
    }

    /// The problem a single device's answer is, if it is one (a bulk answer is never one problem).
    static func problem(_ deviceRequest: DeviceRequest, _ outcome: DeviceCall.Outcome) -> ProblemCode? {
        guard !deviceRequest.isBulk, case .failed(let problem) = outcome.results.first else { return nil }
        return problem.code
    }

    private func singleResponse(to deviceRequest: DeviceRequest, _ outcome: DeviceCall.Outcome, into buffer: consuming [UInt8],
                                fields: consuming [(name: String, value: String)]) -> HTTPResponse {
        switch outcome.results[0] {
        case .accepted(let status, let confirmed):
            let body = JSONWriter.writing(into: buffer) { json in
                if !deviceRequest.items.isEmpty { writeDevice(deviceRequest.items[0].change, confirmed: confirmed, to: &json) }
            }
            return Self.json(status: status, body, fields: fields)
        case .failed(let problem):
            return problem.response(requestID: requestID)
        }
    }

    private static func json(status: Int, _ body: [UInt8], fields: consuming [(name: String, value: String)]) -> HTTPResponse {
        fields.append(("content-type", "application/json"))
        return HTTPResponse(status: status, headers: fields, body: body)
    }

    /// API.md's bulk document: results in request order, then the counts. Items of a batch the
    /// vendor answered with a count only are 202 each, and the vendor's count is what succeeded.
    private func bulkResponse(to deviceRequest: DeviceRequest, _ outcome: DeviceCall.Outcome, into buffer: consuming [UInt8],
                              fields: consuming [(name: String, value: String)]) -> HTTPResponse {
        var succeeded = outcome.countedBatches.reduce(0) { $0 + $1.succeeded }
        var failed = outcome.countedBatches.reduce(0) { $0 + $1.size - $1.succeeded }
        let body = JSONWriter.writing(into: buffer) { json in
            json.beginObject()
            json.key("results")
            json.beginArray()
            for (index, item) in deviceRequest.items.enumerated() {
                json.beginObject()
                if let id = item.id { id.writeAsIDMember(to: &json) }
                switch outcome.results[index] {
                case .accepted(let status, let confirmed):
                    json.member("status", status)
                    json.key("device")
                    writeDevice(item.change, confirmed: confirmed, to: &json)
                    if !outcome.countedItems.contains(index) { succeeded += 1 }
                case .failed(let problem):
                    json.member("status", problem.code.status)
                    json.key("problem")
                    problem.write(to: &json, requestID: requestID)
                    if !outcome.countedItems.contains(index) { failed += 1 }
                }
                json.endObject()
            }
            json.endArray()
            json.member("succeeded", succeeded)
            json.member("failed", failed)
            json.endObject()
        }
        return Self.json(status: failed == 0 ? 200 : 207, body, fields: fields)
    }

    /// The confirmed fields whose values keep the document's rules, in canonical form: a vendor
    /// that answers a phone number without its `+` or a MAC in its own spelling must not hand a
    /// client a value the gateway itself would refuse (the value sent, if any, stays instead).
    private static func conforming(_ confirmed: DeviceDocument) -> DeviceDocument {
        // Nearly every vendor answers in canonical form: the document itself, not a copy.
        if confirmed.isCanonical { return confirmed }
        var checked = DeviceDocument()
        confirmed.forEach { field, value in
            guard case .string(let text) = value else {
                checked[field] = value
                return
            }
            if case .success(let canonical) = FieldRules.check(field, text) { checked[field] = .string(canonical) }
        }
        return checked
    }

    /// The device as an answer states it: what was sent (never a write-only field) with what the
    /// vendor confirmed laid over it, and the device's identifier, whichever vendor echoes it. Also
    /// what a migration compares (`ChangeComparison`).
    static func answered(_ change: DeviceChange, confirmed: DeviceDocument) -> DeviceDocument {
        var document = change.document.redacted.merging(conforming(confirmed.redacted))
        if let id = change.id, !document.contains(id.kind.field) { document[id.kind.field] = .string(id.value) }
        return document
    }

    /// A new device's id: the first identifier the client sent, the vendor's primary kind first,
    /// else the first the vendor confirmed; its value as the answer states it (the confirmed one
    /// over the one sent).
    private func newDeviceID(_ sent: DeviceDocument, _ confirmed: DeviceDocument) -> DeviceIdentifier? {
        func answered(_ field: DeviceField) -> DeviceDocument.Value? { confirmed[field] ?? sent[field] }
        let kind = firstAddressableKind { sent.contains($0.field) } ?? firstAddressableKind { answered($0.field) != nil }
        return kind.flatMap { kind in answered(kind.field)?.string.map { DeviceIdentifier(kind: kind, value: $0) } }
    }

    /// The first kind the vendor addresses devices by that passes `predicate`, its primary kind
    /// first: searched in place, not in a list made for every new device.
    private func firstAddressableKind(where predicate: (IdentifierKind) -> Bool) -> IdentifierKind? {
        if let primary = primaryKind, addressableKinds.contains(primary), predicate(primary) { return primary }
        return IdentifierKind.allCases.first { addressableKinds.contains($0) && predicate($0) }
    }

    /// The answered document (`answered`, written without being made) and `id`: the request's, or
    /// for a new device `newDeviceID` (worked out only then).
    private func writeDevice(_ read: Result<DeviceChange, Problem>, confirmed: DeviceDocument, to json: inout JSONWriter) {
        guard case .success(let change) = read else { return }
        let confirmed = Self.conforming(confirmed)
        // Not `change.id ?? newDeviceID(…)`: the change captured by the autoclosure was copied for it.
        let id = if let id = change.id { id } else { newDeviceID(change.document, confirmed) }
        change.document.write(to: &json, id: id, overlaying: confirmed)
    }
}
