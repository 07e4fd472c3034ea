import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardJSON

/// Palo Alto Networks IoT Security, "Bulk Device Updates - Cellular Devices":
/// `PUT /pub/v4.0/device/bulkUpdate?customerid={customerId}&updateSource={updateSource}`
/// (docs/VENDORS.md; API.md §3).
///
/// A native bulk call: each change is one `devicelist` item naming its device by one of its
/// identifiers. The answer only counts the devices updated (`updatedDeviceNum`), so no item is
/// ever confirmed one by one: a full count makes every item 200, a short one makes every item
/// 202 with the count reported (API.md, bulk response). Errors are `{"code": …, "msg": "…"}`,
/// the code echoing the status, so `errorRows` match by status.
public struct IoTSecurityAdapter: VendorAdapter {
    public var vendor: Vendor { .iotSecurity }
    /// The vendor has no primary identifier: an item may name its device by any of several.
    public var primaryKind: IdentifierKind? { nil }
    public let addressableKinds: CaseSet<IdentifierKind> = [.iccid, .imei, .imsi, .msisdn, .ipv4]
    public let storableFields: CaseSet<DeviceField> = CaseSet(members.map(\.field))
    public var supportsUpsert: Bool { false }
    /// 100 items keep a request body small (a typical item with every member is under 200
    /// bytes), and the 1000-item bulk maximum takes at most 10 calls of the account's 180 a minute.
    public var batchSize: Int { 100 }
    /// The vendor limits calls per minute, not calls in flight: two batches at a time halve a
    /// large bulk's wall time and still spend the quota gradually.
    public var fanOutConcurrency: Int { 2 }

    /// The path and query, encoded once: both values come from the tenant's configuration.
    private let path: String
    /// The account's key and the JSON headers, the same on every call.
    private let headers: UpstreamHeaderBlock

    public init(customerId: String, updateSource: String, keyId: String, accessKey: String) {
        path = "/pub/v4.0/device/bulkUpdate?customerid=" + URLEncoding.formComponent(customerId)
            + "&updateSource=" + URLEncoding.formComponent(updateSource)
        headers = UpstreamHeaderBlock([
            ("x-key-id", keyId), ("x-access-key", accessKey),
            ("content-type", "application/json"), ("accept", "application/json"),
        ])
    }

    /// The `devicelist` item members, in the document's canonical order: each field and the
    /// vendor's name for it.
    private static let members: [(field: DeviceField, name: String)] = [
        (.iccid, "iccid"), (.imei, "imei"), (.imsi, "imsi"), (.msisdn, "msisdn"), (.ipv4, "ipAddress"),
        (.ipv6, "ipv6Address"), (.apn, "apn"), (.sessionEvent, "SessionEvtType"),
    ]

    /// The vendor documents no rule beyond the common ones: every member is optional.
    public func validate(_ change: DeviceChange, now: Double) -> Problem? { nil }

    public func request(for changes: [DeviceChange], accessToken: String?, now: Double, body: consuming [UInt8]) -> UpstreamRequest {
        body.reserveCapacity(32 + 160 * changes.count)
        let body = JSONWriter.writing(into: body) { json in
            json.beginObject()
            json.key("devicelist")
            json.beginArray()
            for change in changes {
                json.beginObject()
                let idField = change.id?.kind.field
                for member in Self.members {
                    // The id is the item's identifier member; the gateway has refused a document
                    // value that differs from it, so the id's value stands for both.
                    let value = member.field == idField ? change.id?.value : change.document.string(member.field)
                    if let value { json.member(member.name, value) }
                }
                json.endObject()
            }
            json.endArray()
            json.endObject()
        }
        return UpstreamRequest(method: .put, path: path, fixedHeaders: headers, body: body)
    }

    public func interpret(_ response: UpstreamResponse, for changes: [DeviceChange], lists: AnswerLists?) -> VendorAnswer {
        let document = try? JSONParser.parse(response.body, objects: lists?.objects)
        defer { if let lists { document?.giveObjects(to: lists.objects) } }
        let body = document?.objectValue
        guard response.status == 200 else {
            // `code` is typed a string but sent as a number (docs/VENDORS.md): either is read.
            let problem = ErrorCatalogue.problem(for: response, vendor: .iotSecurity, rows: Self.errorRows,
                                                 code: body?["code"]?.scalarText, message: body?["msg"]?.stringValue)
            return .all(.failed(problem), count: changes.count)
        }
        guard let body, body["code"]?.scalarText == "1" else {
            return .all(.failed(ErrorCatalogue.unreadable(response, "no success code 1")), count: changes.count)
        }
        guard let updated = body["updatedDeviceNum"]?.intValue, updated >= 0 else {
            return .all(.failed(ErrorCatalogue.unreadable(response, "no updatedDeviceNum count")), count: changes.count)
        }
        // The vendor echoes nothing, so nothing is confirmed beyond what was sent.
        if updated >= changes.count {
            return .all(.accepted(status: 200, confirmed: DeviceDocument()), count: changes.count)
        }
        return VendorAnswer(results: Array(repeating: .accepted(status: 202, confirmed: DeviceDocument()), count: changes.count),
                            reportedSuccesses: updated)
    }

    /// The document's error examples, one per status (the vendor has no 401, docs/VENDORS.md), then a
    /// deliberate row for an answer no document lists.
    public static let errorRows: [ErrorCatalogue.Row] = [
        ErrorCatalogue.Row(.iotSecurity, status: 400, .validationFailed,
            "Bad Request: the vendor refused a value of the device list, or the query (then check the tenant's customerId and updateSource)."),
        ErrorCatalogue.Row(.iotSecurity, status: 403, .upstreamAuthFailed,
            "Forbidden: the gateway's key id or access key is invalid or lacks the RBAC permission for this API."),
        ErrorCatalogue.Row(.iotSecurity, status: 429, .upstreamRateLimited,
            "Too many requests: over 180 requests per minute per tenant."),
        ErrorCatalogue.Row(.iotSecurity, status: 500, .upstreamError,
            "Internal server error."),
        ErrorCatalogue.Row(.iotSecurity, status: 404, .upstreamError, documented: false,
            "A 404 is not this API's answer (a device it cannot find only lowers updatedDeviceNum): the path is wrong, typically the tenant's upstream prefix."),
    ]
}
