import Foundation
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON

/// Vodlix OTT middleware, "Add Device": `POST {apiBase}/v2/device` (docs/VENDORS.md).
///
/// Every answer is Vodlix's envelope (`status` mirroring the HTTP status, `timestamp`, `time`,
/// `ip`, `message`, `data`). All six fields are required (JSON or a form, as a PHP back end takes
/// either); an existing `mac_address` is updated; a banned one gets 400 with `device_banned` in
/// both `message` and `code`, since docs/VENDORS.md leaves open which of the two carries it.
final class VodlixSimulator: VendorSimulator {
    static let path = "/v2/device"
    /// The required fields, in the document's order.
    static let fields = ["mac_address", "device_os", "device_version", "device_type", "app_version", "app_name"]

    private let cookie: [(name: String, value: String)]
    private let seedsDefaults: Bool
    /// Keyed by the normalised MAC address (see `key(for:)`), in insertion order for listings.
    private var devices: [String: [String: String]] = [:]
    private var order: [String] = []
    /// Normalised MAC addresses, with the spelling they were seeded with.
    private var banned: [String: String] = [:]

    init(configuration: SimulatorConfiguration) {
        guard case .sessionCookie(let cookie) = configuration.credentials else {
            preconditionFailure("vodlix takes a session cookie")
        }
        self.cookie = Self.cookiePairs(cookie)
        seedsDefaults = configuration.seedsDefaults
        reset()
    }

    func reset() {
        devices.removeAll()
        order.removeAll()
        banned.removeAll()
        guard seedsDefaults else { return }
        store([
            "mac_address": "A1B2C3D4E5F6", "device_os": "iOS", "device_version": "14.5", "device_type": "Mobile",
            "app_version": "2.0", "app_name": "MyApp",
        ])
        banned[Self.key(for: "DE:AD:BE:EF:00:01")] = "DE:AD:BE:EF:00:01"
    }

    /// MAC addresses compare without case and separators: `a1:b2:…` is `A1B2…`.
    static func key(for mac: String) -> String {
        String(mac.uppercased().filter { $0 != ":" && $0 != "-" && $0 != "." })
    }

    private func store(_ device: [String: String]) {
        let key = Self.key(for: device["mac_address"] ?? "")
        if devices[key] == nil { order.append(key) }
        devices[key] = device
    }

    static func cookiePairs(_ header: String) -> [(name: String, value: String)] {
        header.split(separator: ";").compactMap { part in
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let equals = trimmed.firstIndex(of: "=") else { return nil }
            return (String(trimmed[..<equals]), String(trimmed[trimmed.index(after: equals)...]))
        }
    }

    // MARK: The endpoint

    func handle(_ request: SimulatorRequest) -> HTTPResponse {
        guard request.path == Self.path else { return envelope(request, 404, "Not Found", code: "not_found") }
        guard request.method == .post else {
            return envelope(request, 405, "Method Not Allowed", code: "method_not_allowed", headers: [("allow", "POST")])
        }
        let sent = request.head.values("cookie").flatMap(Self.cookiePairs)
        let hasSession = cookie.allSatisfy { expected in sent.contains { $0.name == expected.name && $0.value == expected.value } }
        guard hasSession else { return envelope(request, 401, "Unauthorized: the session is missing or has expired", code: "unauthorized") }

        let parameters = readParameters(request)
        let missing = Self.fields.filter { parameters[$0].map { $0.trimmingCharacters(in: .whitespaces).isEmpty } ?? true }
        guard missing.isEmpty else {
            return envelope(request, 400, "Missing required parameters: \(missing.joined(separator: ", "))", code: "missing_parameters")
        }
        let mac = parameters["mac_address"] ?? ""
        let key = Self.key(for: mac)
        if banned[key] != nil {
            return envelope(request, 400, "device_banned", code: "device_banned",
                            data: DeviceStatus(mac: mac, banned: true))
        }
        var device: [String: String] = [:]
        for field in Self.fields { device[field] = parameters[field] }
        store(device)
        return envelope(request, 200, "Success", data: DeviceStatus(mac: mac, banned: false))
    }

    /// The body's fields as strings: JSON (strings, or numbers as PHP reads them) or a form.
    /// A value of any other type counts as missing.
    private func readParameters(_ request: SimulatorRequest) -> [String: String] {
        if MediaType.essence(request.header("content-type")) == "application/x-www-form-urlencoded" {
            return FormEncoding.dictionary(request.body)
        }
        guard let object = JSONBody.parse(request.body)?.objectValue else { return [:] }
        var parameters: [String: String] = [:]
        for (name, value) in object.members { parameters[name] = JSONBody.scalarString(value) }
        return parameters
    }

    /// `data` of an answer about one device: the MAC address as sent and whether it is banned.
    private struct DeviceStatus {
        let mac: String
        let banned: Bool
    }

    private func envelope(_ request: SimulatorRequest, _ status: Int, _ message: String, code: String? = nil,
                          data: DeviceStatus? = nil, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        let elapsed = Double(MonotonicClock.now() &- request.monotonic) / 1e9
        let ip = request.header("x-forwarded-for")?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "127.0.0.1"
        return Self.envelope(status, message, code: code, data: data, ip: ip, time: (elapsed * 1000).rounded() / 1000,
                             timestamp: Int(request.date.timeIntervalSince1970), headers: headers)
    }

    func errorResponse(status: Int?, errorCode: String?) -> HTTPResponse {
        let status = status ?? 500
        return Self.envelope(status, errorCode ?? HTTPStatus.reasonPhrase(status), code: errorCode, data: nil, ip: "127.0.0.1",
                             time: 0.001, timestamp: Int(Date().timeIntervalSince1970), headers: [])
    }

    /// The envelope every answer is, members in `MemberOrder`: `code` (errors only), `data`, `ip`,
    /// `message`, `status` (the HTTP status again), `time` (seconds taken), `timestamp`.
    private static func envelope(_ status: Int, _ message: String, code: String?, data: DeviceStatus?, ip: String, time: Double,
                                 timestamp: Int, headers: [(name: String, value: String)]) -> HTTPResponse {
        .json(status, headers: headers) { json in
            if let code { json.member("code", code) }
            json.key("data")
            if let data {
                json.beginObject()
                json.member("ban_status", data.banned ? 1 : 0)
                json.member("mac_address", data.mac)
                json.member("status", data.banned ? 0 : 1)
                json.endObject()
            } else {
                json.null()
            }
            json.member("ip", ip)
            json.member("message", message)
            json.member("status", status)
            json.member("time", time)
            json.member("timestamp", timestamp)
        }
    }

    // MARK: State

    func seed(_ document: JSONObject, replacing: Bool) throws(SimulatorError) {
        try checkMembers(document, allowed: ["devices", "banned"])
        var seeded: [[String: String]] = []
        for object in try objects(document, "devices") {
            var device: [String: String] = [:]
            for (name, value) in object.members {
                guard Self.fields.contains(name), let string = value.stringValue else {
                    throw SimulatorError("a vodlix device has string members among \(Self.fields.joined(separator: ", ")); \"\(name)\" is not one")
                }
                device[name] = string
            }
            guard let mac = device["mac_address"], !Self.key(for: mac).isEmpty else {
                throw SimulatorError("a vodlix device needs a \"mac_address\"")
            }
            seeded.append(device)
        }
        let bannedMACs = try strings(document, "banned") ?? []
        if replacing {
            devices.removeAll()
            order.removeAll()
            banned.removeAll()
        }
        seeded.forEach(store)
        for mac in bannedMACs { banned[Self.key(for: mac)] = mac }
    }

    var state: JSONObject {
        JSONObject(sorting: [
            "devices": .array(order.compactMap { devices[$0].map { .object(JSONObject(sorting: $0)) } }),
            "banned": .array(banned.keys.sorted().compactMap { banned[$0].map(JSONValue.string) }),
        ])
    }
}
