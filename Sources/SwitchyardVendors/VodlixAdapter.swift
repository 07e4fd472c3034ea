import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON

/// Vodlix OTT middleware, "Add Device": `POST /v2/device` (docs/VENDORS.md).
///
/// One call both registers and updates (an existing `mac_address` is updated), and it needs
/// all six fields every time, so a `PATCH` must carry the five the MAC does not give. Every
/// answer is Vodlix's envelope: `status` mirroring the HTTP status, `message`, `data`, and on
/// errors (docs/VENDORS.md, inferred) a `code`.
public struct VodlixAdapter: VendorAdapter {
    public var vendor: Vendor { .vodlix }
    public var primaryKind: IdentifierKind? { .mac }
    public let addressableKinds: CaseSet<IdentifierKind> = [.mac]
    public let storableFields: CaseSet<DeviceField> = CaseSet(members.map(\.field))
    public var supportsUpsert: Bool { true }
    /// Vodlix has no bulk call: a bulk update is fanned out, one call per device.
    public var batchSize: Int { 1 }
    public var fanOutConcurrency: Int { 4 }

    /// The session cookie and the JSON headers, the same on every call: encoded once.
    private let headers: UpstreamHeaderBlock

    /// `cookie`: the session cookie header value (`credentials.cookie`), sent as is.
    public init(cookie: String) {
        headers = UpstreamHeaderBlock([("cookie", cookie), ("content-type", "application/json"), ("accept", "application/json")])
    }

    /// The six required body members, in the document's order of its usage example.
    static let members: [(name: String, field: DeviceField)] = [
        ("mac_address", .mac), ("device_os", .platformOS), ("device_version", .platformOSVersion),
        ("device_type", .platformType), ("app_version", .appVersion), ("app_name", .appName),
    ]

    /// Vodlix documents one error status, 400, and singles out `device_banned` among its causes.
    public static let errorRows: [ErrorCatalogue.Row] = [
        .init(.vodlix, status: 400, .validationFailed, "Vodlix refused the device: a required parameter is missing or empty."),
        .init(.vodlix, status: 400, code: "device_banned", .deviceBanned, "The device's MAC address is banned on the Vodlix platform."),
        .init(.vodlix, status: 401, .upstreamAuthFailed, documented: false,
              "Vodlix refused the session cookie (credentials.cookie): the session has expired or was never valid."),
        .init(.vodlix, status: 404, .upstreamError, documented: false,
              "No /v2/device under the tenant's upstream: a configuration error; Vodlix registers unknown devices, it never answers 404 for one."),
    ]

    /// The message that carries the ban when the envelope has no `code` (docs/VENDORS.md).
    static let bannedCode = "device_banned"

    /// Vodlix needs all six fields on every call; the MAC comes from the id on an update.
    public func validate(_ change: DeviceChange, now: Double) -> Problem? {
        let missing = Self.members.filter { value(of: $0.field, in: change) == nil }.map(\.field)
        guard !missing.isEmpty else { return nil }
        let names = missing.map { field in field.group.map { "\($0).\(field.member)" } ?? field.member }
        return Problem(.validationFailed,
                       detail: "Vodlix needs mac, platform.os, platform.osVersion, platform.type, app.name and app.version on every call; missing: \(names.joined(separator: ", ")).",
                       fields: missing.map { FieldError(pointer: change.pointer($0), reason: "required by vodlix") })
    }

    private func value(of field: DeviceField, in change: DeviceChange) -> CompactString? {
        change.document.string(field) ?? change.id.flatMap { $0.kind.field == field ? $0.value : nil }
    }

    public func request(for changes: [DeviceChange], accessToken: String?, now: Double, body: consuming [UInt8]) -> UpstreamRequest {
        assert(changes.count == 1, "batchSize is 1: the gateway sends one change per call")
        let change = changes[0]
        let body = JSONWriter.writing(into: body) { json in
            json.beginObject()
            for (name, field) in Self.members {
                if let value = value(of: field, in: change) { json.member(name, value) }
            }
            json.endObject()
        }
        return UpstreamRequest(
            method: .post,
            path: "/v2/device",
            fixedHeaders: headers,
            body: body
        )
    }

    public func interpret(_ response: UpstreamResponse, for changes: [DeviceChange], lists: AnswerLists?) -> VendorAnswer {
        let document = try? JSONParser.parse(response.body, objects: lists?.objects)
        defer { if let lists { document?.giveObjects(to: lists.objects) } }
        return .each(changes) { result(of: response, document?.objectValue, for: $0, documents: lists?.documents) }
    }

    private func result(of response: UpstreamResponse, _ envelope: JSONObject?, for change: DeviceChange,
                        documents: DeviceDocument.Pool?) -> DeviceResult {
        guard response.status == 200 else { return .failed(problem(for: response, envelope)) }
        guard let envelope else { return .failed(ErrorCatalogue.unreadable(response, "the 200 body is not a JSON object")) }
        guard envelope["status"]?.intValue == 200 else {
            return .failed(ErrorCatalogue.unreadable(response, "the envelope's status is not 200"))
        }
        guard let data = envelope["data"]?.objectValue, let mac = data["mac_address"]?.compactString,
              let active = data["status"]?.scalarText, let banned = data["ban_status"]?.scalarText else {
            return .failed(ErrorCatalogue.unreadable(response, "data lacks mac_address, status or ban_status"))
        }
        guard case .success(let canonicalMAC) = FieldRules.check(.mac, mac) else {
            return .failed(ErrorCatalogue.unreadable(response, "data.mac_address is not a MAC address"))
        }
        var confirmed = DeviceDocument(storageFrom: documents)
        confirmed[.mac] = .string(canonicalMAC)
        // PHP back ends send flags as numbers or numeric strings alike: the text is compared.
        confirmed[.stateActive] = .bool(active == "1")
        confirmed[.stateBanned] = .bool(banned == "1")
        // Vodlix answers 200 alike for a new and an updated device, so an upsert cannot learn
        // whether the device existed: it is reported as API.md's default for `POST`, 201.
        return .accepted(status: change.operation == .upsert ? 201 : 200, confirmed: confirmed)
    }

    /// The catalogue's problem for an error envelope. docs/VENDORS.md leaves open whether the ban is in
    /// `code` or `message`, so a message of exactly `device_banned` counts as that code.
    private func problem(for response: UpstreamResponse, _ envelope: JSONObject?) -> Problem {
        let message = envelope?["message"]?.stringValue
        let code = envelope?["code"]?.scalarText ?? (message == Self.bannedCode ? Self.bannedCode : nil)
        return ErrorCatalogue.problem(for: response, vendor: .vodlix, rows: Self.errorRows, code: code, message: message)
    }
}
