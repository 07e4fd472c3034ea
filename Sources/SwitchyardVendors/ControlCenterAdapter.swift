import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON

/// Cisco (Jasper) Control Center, "Edit Device Details": `PUT /rws/api/v1/devices/{iccid}`
/// (docs/VENDORS.md; API.md §3).
///
/// One SIM per call, addressed by ICCID, authenticated with HTTP Basic `username:apiKey`. The
/// answer is 200 for a change made now and 202 for one scheduled by a future `effectiveDate`;
/// errors are `{"errorMessage": …, "errorCode": "…"}`, looked up in `errorRows`.
public struct ControlCenterAdapter: VendorAdapter {
    public var vendor: Vendor { .controlCenter }
    public var primaryKind: IdentifierKind? { .iccid }
    public let addressableKinds: CaseSet<IdentifierKind> = [.iccid]
    public let storableFields: CaseSet<DeviceField> = CaseSet(parameters.map(\.field) + [.iccid, .effectiveAt])
    public var supportsUpsert: Bool { false }
    /// The vendor has no bulk call: a bulk update is fanned out, one call per SIM.
    public var batchSize: Int { 1 }
    /// Operators document one active call at a time per account (docs/VENDORS.md), so a bulk update
    /// never has two in flight.
    public var fanOutConcurrency: Int { 1 }

    /// Every call's headers, made once: the `Authorization` value is the same on every call of the
    /// account, and the others are constants.
    private let headers: UpstreamHeaderBlock

    public init(username: String, apiKey: String) {
        headers = UpstreamHeaderBlock([("authorization", URLEncoding.basicAuthorization(user: username, password: apiKey)),
                                       ("content-type", "application/json"), ("accept", "application/json")])
    }

    /// The body parameters, in the document's canonical order (so the body's order is stable):
    /// each field and the vendor's name for it. `iccid` travels in the path and `effectiveAt`
    /// is rewritten as `effectiveDate`, so neither is here; every one of these is editable.
    private static let parameters: [(field: DeviceField, name: String)] = [
        (.deviceId, "deviceID"), (.ipv4, "ipv4Address"), (.ipv6, "ipv6Address"), (.apn, "apn"), (.pdpId, "pdpId"),
        (.simStatus, "status"), (.simRatePlan, "ratePlan"), (.simCommunicationPlan, "communicationPlan"),
        (.simCustomer, "customer"), (.simModemId, "modemID"), (.simOverageLimitOverride, "overageLimitOverride"),
    ] + DeviceField.allCases.filter { $0.groupKind == .custom }.map { ($0, $0.member) }

    /// `parameters` by field (`DeviceField.rawValue`), nil for a field that is none: a request
    /// walks the few fields its change has, not every parameter. `parameters` is in canonical
    /// order, so the body's members come out in the same order either way. Stored in the adapter,
    /// as `storableFields` is: read twice a request, a static would be a `swift_once` call each.
    private let parameterNames: [String?] = {
        var names = [String?](repeating: nil, count: DeviceField.allCases.count)
        for parameter in parameters { names[parameter.field.rawValue] = parameter.name }
        return names
    }()

    /// The document's limit on `effectiveDate`.
    private static let maximumDaysAhead = 180

    /// The reason an empty change gets: the vendor needs at least one parameter that changes
    /// something ("At least one of the following parameters is required").
    private static let nothingToChange =
        "at least one of deviceId, ipv4, ipv6, apn, pdpId, sim.status, sim.ratePlan, sim.communicationPlan, "
        + "sim.customer, sim.modemId, sim.overageLimitOverride or a custom field"

    public func validate(_ change: DeviceChange, now: Double) -> Problem? {
        var errors: [FieldError] = []
        let document = change.document
        if let effectiveAt = document.string(.effectiveAt), let seconds = RFC3339.secondsSince1970(effectiveAt),
           seconds - now > Double(Self.maximumDaysAhead * 86_400) {
            errors.append(FieldError(pointer: change.pointer(.effectiveAt), reason: "at most \(Self.maximumDaysAhead) days ahead"))
        }
        if !document.containsField(where: { parameterNames[$0.rawValue] != nil }) {
            errors.append(FieldError(pointer: change.pointerPrefix, reason: Self.nothingToChange))
        }
        // The document: "If you assign an IPv4 [IPv6] address value, you must also provide values
        // for the apn and pdpId parameters."
        if document.contains(.ipv4) || document.contains(.ipv6) {
            for field in [DeviceField.apn, .pdpId] where !document.contains(field) {
                errors.append(FieldError(pointer: change.pointer(field), reason: "required with ipv4 or ipv6"))
            }
        }
        guard !errors.isEmpty else { return nil }
        return Problem(.validationFailed, detail: "The change does not meet the device vendor's rules; nothing was sent.",
                       fields: errors)
    }

    public func request(for changes: [DeviceChange], accessToken: String?, now: Double, body: consuming [UInt8]) -> UpstreamRequest {
        assert(changes.count == 1, "batchSize is 1: one SIM per call")
        // Read where it lies: a local `change` would be a copy, its document and id retained.
        let body = JSONWriter.writing(into: body) { json in
            json.beginObject()
            changes[0].document.writeStrings(to: &json) { parameterNames[$0.rawValue] }
            // docs/VENDORS.md's form, in UTC; fractions of a second are dropped, as the form has none.
            if let effectiveAt = changes[0].document.string(.effectiveAt), let seconds = RFC3339.secondsSince1970(effectiveAt) {
                json.member("effectiveDate", RFC3339.utcString(secondsSince1970: seconds))
            }
            json.endObject()
        }
        return UpstreamRequest(
            method: .put,
            path: "/rws/api/v1/devices/",
            pathSegment: Self.iccid(of: changes[0]),
            fixedHeaders: headers,
            body: body)
    }

    public func interpret(_ response: UpstreamResponse, for changes: [DeviceChange], lists: AnswerLists?) -> VendorAnswer {
        guard response.status == 200 || response.status == 202 else {
            return .all(.failed(problem(for: response, changes)), count: changes.count)
        }
        // The member read where it lies (`JSONParser.forEachMember`), not through a tree of the answer.
        var iccid: CompactString?
        _ = try? JSONParser.forEachMember(of: response.body, objects: lists?.objects) { name, value in
            guard UnsafeRawBufferPointer(name).bytesEqual("iccid") else { return }
            iccid = if case .string(let text) = value { CompactString(validUTF8: UnsafeRawBufferPointer(text)) } else { nil }
        }
        guard let iccid else {
            return .all(.failed(ErrorCatalogue.unreadable(response, "no \"iccid\" string")), count: changes.count)
        }
        // The answer names the SIM the vendor changed; another one than asked for is no answer
        // to this request.
        guard iccid == Self.iccid(of: changes[0]) else {
            return .all(.failed(ErrorCatalogue.unreadable(response, "it names another ICCID")), count: changes.count)
        }
        var confirmed = DeviceDocument(storageFrom: lists?.documents)
        confirmed[.iccid] = .string(iccid)
        return .all(.accepted(status: response.status, confirmed: confirmed), count: changes.count)
    }

    /// The catalogue's problem for a refusal, with the fields its error code is about.
    private func problem(for response: UpstreamResponse, _ changes: [DeviceChange]) -> Problem {
        let body = (try? JSONParser.parse(response.body))?.objectValue
        // `errorCode` is a string; a number is read too rather than lose the code.
        let code = body?["errorCode"]?.scalarText
        var problem = ErrorCatalogue.problem(for: response, vendor: .controlCenter, rows: Self.errorRows,
                                             code: code, message: body?["errorMessage"]?.stringValue)
        if let code, let named = Self.namedFields[code] {
            problem.fields = named.fields.filter { changes[0].document.contains($0) }
                .map { FieldError(pointer: changes[0].pointer($0), reason: named.reason) }
        }
        return problem
    }

    /// The SIM a change addresses: its id, whose kind is always `iccid` (the only addressable
    /// kind, and there is no upsert, so every change has an id).
    private static func iccid(of change: DeviceChange) -> CompactString {
        assert(change.id?.kind == .iccid, "control-center addresses SIMs by ICCID only")
        return change.id?.value ?? ""
    }

    /// The fields a vendor error code is about, with the reason each gets in `Problem.fields`:
    /// only those the change holds are named.
    private static let namedFields: [String: (fields: [DeviceField], reason: String)] = [
        "10000005": ([.simStatus], "not a SIM status the vendor accepts"),
        "10000008": (customFields("operatorCustom") + customFields("customerCustom"),
                     "the gateway's vendor account may not change operator or customer custom fields"),
        "10000009": (customFields("accountCustom"), "the gateway's vendor account may not change account custom fields"),
        "10000010": (customFields("customerCustom"), "the gateway's vendor account may not change customer custom fields"),
        "10000012": ([.effectiveAt], "the vendor refused the date"),
        "10000013": ([.simRatePlan], "not a rate plan of the vendor account"),
        "10000014": ([.simCommunicationPlan], "not a communication plan of the vendor account"),
        "10000015": ([.simCustomer], "not a customer of the vendor account"),
        "10000016": ([.simOverageLimitOverride], "not an overage limit override the vendor accepts"),
        "10000025": ([.deviceId], "the vendor refused the device id"),
        "10000026": ([.simModemId], "the vendor refused the modem id"),
        "10000029": ([.simStatus], "the SIM may not return to a pre-activation status"),
        "10000517": ([.ipv4, .ipv6], "the address is in use by another device"),
        "10030000": ([.simStatus], "the SIM is already activated"),
    ]

    private static func customFields(_ prefix: String) -> [DeviceField] {
        DeviceField.allCases.filter { $0.groupKind == .custom && $0.member.hasPrefix(prefix) }
    }

    /// The vendor document's error table (every code, at its documented status) and the answers
    /// docs/VENDORS.md adds, then two deliberate rows for answers no document lists.
    public static let errorRows: [ErrorCatalogue.Row] = [
        ErrorCatalogue.Row(.controlCenter, status: 401, .upstreamAuthFailed,
            "Refused before authentication, without an errorCode: the gateway's Basic credentials are missing or unreadable (docs/VENDORS.md)."),
        ErrorCatalogue.Row(.controlCenter, status: 401, code: "10000001", .upstreamAuthFailed,
            "Invalid credentials: the gateway's username or API key is wrong, or its address is outside the account's allowed range."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000005", .validationFailed,
            "Invalid status (sim.status)."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000008", .upstreamAuthFailed,
            "The gateway account's role may not change operator or customer custom fields: the account's permissions, not the client's values."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000009", .upstreamAuthFailed,
            "The gateway account's role may not change account custom fields: the account's permissions, not the client's values."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000010", .upstreamAuthFailed,
            "The gateway account's role may not change customer custom fields: the account's permissions, not the client's values."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000011", .validationFailed,
            "One or more required fields are missing (the gateway checks the documented ones before sending, so the vendor wants more)."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000012", .validationFailed,
            "Invalid date format (effectiveAt): the gateway sends the documented form, so the vendor refused the date itself."),
        ErrorCatalogue.Row(.controlCenter, status: 404, code: "10000013", .validationFailed,
            "Invalid ratePlan (sim.ratePlan): the document's status is 404, but the device exists; the rate plan does not."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000014", .validationFailed,
            "Invalid communicationPlan (sim.communicationPlan)."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000015", .validationFailed,
            "Invalid customer (sim.customer)."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000016", .validationFailed,
            "Invalid overageLimitOverride (sim.overageLimitOverride)."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000023", .upstreamError,
            "The vendor could not read the JSON the gateway wrote: a gateway fault, not the client's."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000024", .upstreamError,
            "Invalid apiVersion: the vendor does not take the path the gateway sent (check the tenant's upstream prefix)."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000025", .validationFailed,
            "Invalid deviceID (deviceId)."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000026", .validationFailed,
            "Invalid modemID (sim.modemId)."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000028", .validationFailed,
            "An unrecognised parameter: the gateway sends only documented ones, so typically a custom field the account has not created."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000029", .conflict,
            "The SIM may not be moved back to a pre-activation status."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000030", .upstreamAuthFailed,
            "The gateway account's role may not use Edit Device Details: the account's permissions."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000031", .validationFailed,
            "Invalid Zone: the vendor refused a value of the change for the SIM's zone (the document names no field)."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10000517", .conflict,
            "The IPv4 or IPv6 address is already in use by another device."),
        ErrorCatalogue.Row(.controlCenter, status: 400, code: "10030000", .conflict,
            "The SIM is already activated."),
        ErrorCatalogue.Row(.controlCenter, status: 404, code: "20000001", .deviceNotFound,
            "Resource not found: no SIM with this ICCID."),
        ErrorCatalogue.Row(.controlCenter, status: 500, code: "30000001", .upstreamError,
            "Unknown server error."),
        ErrorCatalogue.Row(.controlCenter, status: 404, .upstreamError, documented: false,
            "A 404 without a documented errorCode is not the API's (its 404s carry 20000001 or 10000013): the path is wrong, typically the tenant's upstream prefix."),
        ErrorCatalogue.Row(.controlCenter, status: 429, code: "40000029", .upstreamRateLimited, documented: false,
            "Rate limit exceeded: over the 5 calls per second per account (docs/VENDORS.md); the code is from the vendor's general error list, not this endpoint's page."),
    ]
}
