import Foundation
import SwitchyardHTTP
import SwitchyardJSON

/// Palo Alto Networks IoT Security, "Bulk Device Updates - Cellular Devices":
/// `PUT /pub/v4.0/device/bulkUpdate?customerid={tenant}&updateSource={source}`
/// (docs/VENDORS.md).
///
/// `X-Key-Id` and `X-Access-Key` belong to one tenant; anything else about them is 403 (this API
/// has no 401). At most 180 requests per minute per tenant. Each `devicelist` item updates the
/// known device its `iccid`, `imei` or `imsi` names (tried in that order); the answer counts the
/// updated ones in `updatedDeviceNum`, so items naming no known device lower the count.
final class IoTSecuritySimulator: VendorSimulator {
    static let path = "/pub/v4.0/device/bulkUpdate"
    /// The item members the document lists, plus the session times the published example sends.
    static let fields = ["ipAddress", "ipv6Address", "imei", "iccid", "imsi", "apn", "msisdn", "SessionEvtType", "sessionStart", "sessionEnd"]
    static let identifiers = ["iccid", "imei", "imsi"]

    static let messages: [Int: String] = [
        400: "Bad Request. This occurs when an HTTP request contains an invalid query string.",
        403: "Forbidden access. Either the provided API key is invalid or it does not have the required RBAC permissions to run this API.",
        429: "Too many requests. The number of requests for device details for a single device exceeded the rate limit of 180 queries per minute per tenant.",
        500: "Internal server error. A unified status for API communication type errors.",
    ]

    private let keyId: String
    private let accessKey: String
    private let customerId: String
    private let seedsDefaults: Bool
    private var limiter: SlidingWindowLimiter?
    /// Devices in seeding order, each its members as strings.
    private var devices: [[String: String]] = []

    init(configuration: SimulatorConfiguration) {
        guard case .accessKey(let keyId, let accessKey, let customerId) = configuration.credentials else {
            preconditionFailure("iot-security takes a key id, an access key and a customer id")
        }
        self.keyId = keyId
        self.accessKey = accessKey
        self.customerId = customerId
        seedsDefaults = configuration.seedsDefaults
        limiter = configuration.rateLimit.map { SlidingWindowLimiter(limit: $0.requests, windowSeconds: $0.perSeconds) }
        reset()
    }

    func reset() {
        limiter?.reset()
        devices = seedsDefaults ? Self.defaultDevices : []
    }

    static let defaultDevices: [[String: String]] = [
        ["iccid": "8988216716970004975", "imei": "356938035643809", "imsi": "310150123456789",
         "msisdn": "+15550100001", "ipAddress": "10.20.0.11", "apn": "iot.example"],
        ["iccid": "89014103211118510720", "imei": "490154203237518", "imsi": "310150123456780",
         "msisdn": "+15550100002", "ipAddress": "10.20.0.12", "apn": "iot.example"],
        ["imei": "123456789012345", "ipAddress": "10.20.0.13"],
    ]

    // MARK: The endpoint

    func handle(_ request: SimulatorRequest) -> HTTPResponse {
        guard request.path == Self.path else { return errorResponse(status: 404, errorCode: nil) }
        guard request.method == .put else {
            var response = errorResponse(status: 405, errorCode: nil)
            response.headers.append(("allow", "PUT"))
            return response
        }
        guard let tenant = request.queryValue("customerid"), !tenant.isEmpty,
              let source = request.queryValue("updateSource"), !source.isEmpty
        else { return errorResponse(status: 400, errorCode: nil) }
        guard request.header("x-key-id") == keyId, request.header("x-access-key") == accessKey, tenant == customerId else {
            return errorResponse(status: 403, errorCode: nil)
        }
        if var limiter {
            let admitted = limiter.admit(tenant, now: request.monotonic)
            self.limiter = limiter
            guard admitted else { return errorResponse(status: 429, errorCode: nil) }
        }
        guard let list = JSONBody.parse(request.body)?.objectValue?["devicelist"]?.arrayValue else {
            return Self.error(400, "Bad Request. The body must be a JSON object with a \"devicelist\" array.")
        }
        let updated = list.reduce(0) { count, item in count + (update(with: item, source: source) ? 1 : 0) }
        return .json(200) { json in
            json.member("api", "device/bulkUpdate")
            json.member("code", 1)
            json.member("message", "OK")
            json.member("updatedDeviceNum", updated)
            json.member("ver", "v4.0")
        }
    }

    /// Updates the device `item` names; false when it names none or has a member of the wrong type.
    private func update(with item: JSONValue, source: String) -> Bool {
        guard let object = item.objectValue else { return false }
        var values: [String: String] = [:]
        for field in Self.fields {
            guard let value = object[field] else { continue }
            // The example sends session times as numbers; everything else is a string.
            guard let string = field.hasPrefix("session") ? JSONBody.scalarString(value) : value.stringValue else { return false }
            values[field] = string
        }
        for identifier in Self.identifiers {
            guard let value = values[identifier],
                  let index = devices.firstIndex(where: { $0[identifier] == value }) else { continue }
            devices[index].merge(values) { _, new in new }
            devices[index]["updateSource"] = source
            return true
        }
        return false
    }

    func errorResponse(status: Int?, errorCode: String?) -> HTTPResponse {
        let status = status ?? 500
        return Self.error(status, Self.messages[status] ?? HTTPStatus.reasonPhrase(status))
    }

    /// The API's error: `{"code": status, "msg": "..."}`, `code` a number.
    private static func error(_ status: Int, _ message: String) -> HTTPResponse {
        .json(status) { json in
            json.member("code", status)
            json.member("msg", message)
        }
    }

    // MARK: State

    func seed(_ document: JSONObject, replacing: Bool) throws(SimulatorError) {
        try checkMembers(document, allowed: ["devices"])
        var seeded: [[String: String]] = []
        for object in try objects(document, "devices") {
            var device: [String: String] = [:]
            for (name, value) in object.members {
                guard Self.fields.contains(name) || name == "updateSource", let string = value.stringValue else {
                    throw SimulatorError("an iot-security device has string members among \(Self.fields.joined(separator: ", ")); \"\(name)\" is not one")
                }
                device[name] = string
            }
            guard Self.identifiers.contains(where: { device[$0] != nil }) else {
                throw SimulatorError("an iot-security device needs at least one of \(Self.identifiers.joined(separator: ", "))")
            }
            seeded.append(device)
        }
        if replacing { devices.removeAll() }
        for device in seeded {
            devices.removeAll { existing in Self.identifiers.contains { device[$0] != nil && existing[$0] == device[$0] } }
            devices.append(device)
        }
    }

    var state: JSONObject {
        JSONObject(sorting: ["devices": .array(devices.map { .object(JSONObject(sorting: $0)) })])
    }
}
