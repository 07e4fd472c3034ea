import Foundation
import SwitchyardHTTP
import SwitchyardJSON

/// Cisco (Jasper) Control Center, "Edit Device Details": `PUT /rws/api/v{apiVersion}/devices/{iccid}`
/// (docs/VENDORS.md).
///
/// HTTP Basic `username:apiKey`; errors from the catalogue (`ControlCenterError`); at most 5
/// calls per second per account; 200 for a change made now, 202 for one scheduled by a future
/// `effectiveDate`, which takes effect when that time comes.
final class ControlCenterSimulator: VendorSimulator {
    /// One SIM: its attributes by the API's names, and changes waiting for their date.
    struct Device {
        var iccid: String
        var attributes: [String: String]
        var scheduled: [(effective: Date, changes: [String: String])] = []
    }

    static let statuses: Set<String> = [
        "ACTIVATED", "ACTIVATION_READY", "DEACTIVATED", "INVENTORY", "PURGED", "REPLACED", "RETIRED", "TEST_READY",
    ]
    /// The statuses before a SIM's first activation, which it may not return to.
    static let preActivationStatuses: Set<String> = ["TEST_READY", "INVENTORY", "ACTIVATION_READY"]
    static let overageValues: Set<String> = ["DEFAULT", "TEMPORARY_OVERRIDE", "PERMANENT_OVERRIDE"]
    static let customFields: [String] =
        (1...5).map { "operatorCustom\($0)" } + (1...10).map { "accountCustom\($0)" } + (1...5).map { "customerCustom\($0)" }
    /// The parameters that change something; at least one is required.
    static let editable: [String] = [
        "status", "ratePlan", "communicationPlan", "customer", "deviceID", "modemID", "overageLimitOverride",
        "ipv4Address", "ipv6Address", "apn", "pdpId",
    ] + customFields
    static let parameters: Set<String> = Set(editable + ["effectiveDate"])
    static let maximumDaysAhead = 180.0

    private let seedsDefaults: Bool
    private var limiter: SlidingWindowLimiter?
    private let configuredAccount: (username: String, apiKey: String)
    private var accounts: [String: String] = [:]
    private var devices: [String: Device] = [:]
    private var order: [String] = []
    private var ratePlans: [String] = []
    private var communicationPlans: [String] = []
    private var customers: [String] = []

    init(configuration: SimulatorConfiguration) {
        guard case .basic(let username, let apiKey) = configuration.credentials else {
            preconditionFailure("control-center takes a username and an API key")
        }
        configuredAccount = (username, apiKey)
        seedsDefaults = configuration.seedsDefaults
        limiter = configuration.rateLimit.map { SlidingWindowLimiter(limit: $0.requests, windowSeconds: $0.perSeconds) }
        reset()
    }

    func reset() {
        limiter?.reset()
        accounts = [configuredAccount.username: configuredAccount.apiKey]
        devices.removeAll()
        order.removeAll()
        guard seedsDefaults else {
            ratePlans = []
            communicationPlans = []
            customers = []
            return
        }
        ratePlans = ["IoT Pooled 10MB", "Standard 1GB", "Standard 5GB"]
        communicationPlans = ["LTE-M Fixed IP", "Standard LTE"]
        customers = ["Acme", "Globex"]
        store(Device(iccid: "8988216716970004975", attributes: [
            "status": "ACTIVATION_READY", "ratePlan": "Standard 1GB", "communicationPlan": "Standard LTE", "customer": "Acme",
        ]))
        store(Device(iccid: "9088217871987000001", attributes: [
            "status": "ACTIVATED", "ratePlan": "Standard 5GB", "communicationPlan": "LTE-M Fixed IP", "customer": "Acme",
            "ipv4Address": "10.0.0.1", "apn": "iot.example", "pdpId": "1",
        ]))
        store(Device(iccid: "89011704252318147060", attributes: [
            "status": "DEACTIVATED", "ratePlan": "IoT Pooled 10MB", "communicationPlan": "Standard LTE", "customer": "Globex",
        ]))
    }

    private func store(_ device: Device) {
        if devices[device.iccid] == nil { order.append(device.iccid) }
        devices[device.iccid] = device
    }

    // MARK: The endpoint

    func handle(_ request: SimulatorRequest) -> HTTPResponse {
        let segments = request.segments
        guard segments.count == 5, segments[0] == "rws", segments[1] == "api", segments[2].hasPrefix("v"),
              segments[3] == "devices", !segments[4].isEmpty
        else {
            return Self.errorMessage(404, "Not Found")
        }
        // Spring Security answers before the API does: no credentials, no error code.
        guard let credentials = HTTPAuthorization.basic(request.header("authorization")) else {
            return Self.errorMessage(401, "Full authentication is required to access this resource",
                                     headers: [("www-authenticate", "Basic realm=\"Jasper\"")])
        }
        guard accounts[credentials.user] == credentials.password else {
            return error(.invalidCredentials)
        }
        if var limiter {
            let admitted = limiter.admit(credentials.user, now: request.monotonic)
            self.limiter = limiter
            guard admitted else { return error(.rateLimitExceeded) }
        }
        guard request.method == .put else {
            return Self.errorMessage(405, "Request method '\(request.methodName)' not supported", headers: [("allow", "PUT")])
        }
        guard segments[2] == "v1" else { return error(.invalidAPIVersion) }
        return edit(iccid: segments[4], request)
    }

    private func edit(iccid: String, _ request: SimulatorRequest) -> HTTPResponse {
        guard let body = JSONBody.parse(request.body)?.objectValue else { return error(.malformedJSON) }
        guard body.members.allSatisfy({ Self.parameters.contains($0.name) }) else { return error(.invalidRequest) }
        guard Self.editable.contains(where: { body[$0] != nil }) else { return error(.requiredFieldsMissing) }
        if body["ipv4Address"] != nil || body["ipv6Address"] != nil, body["apn"] == nil || body["pdpId"] == nil {
            return error(.requiredFieldsMissing)
        }
        applyDueChanges(now: request.date)
        guard let device = devices[iccid] else { return error(.invalidICCID) }

        var changes: [String: String] = [:]
        for (name, value) in body.members where name != "effectiveDate" {
            guard let string = value.stringValue else { return error(Self.typeError(for: name)) }
            changes[name] = string
        }
        var effective: Date?
        if let value = body["effectiveDate"] {
            guard let text = value.stringValue, let date = try? Date(text, strategy: .iso8601),
                  date.timeIntervalSince(request.date) <= Self.maximumDaysAhead * 86_400
            else { return error(.invalidDateFormat) }
            if date > request.date { effective = date }
        }
        if let problem = validate(changes, for: device) { return error(problem) }

        if let effective {
            devices[iccid]?.scheduled.append((effective, changes))
            devices[iccid]?.scheduled.sort { $0.effective < $1.effective }
            return .json(202) { $0.member("iccid", iccid) }
        }
        devices[iccid]?.attributes.merge(changes) { _, new in new }
        return .json(200) { $0.member("iccid", iccid) }
    }

    /// The catalogue row for a parameter that is not a string.
    private static func typeError(for name: String) -> ControlCenterError {
        switch name {
        case "status": .invalidStatus
        case "ratePlan": .invalidRatePlan
        case "communicationPlan": .invalidCommunicationPlan
        case "customer": .invalidCustomer
        case "deviceID": .invalidDeviceID
        case "modemID": .invalidModemID
        case "overageLimitOverride": .invalidOverageLimitOverride
        default: .invalidRequest
        }
    }

    private func validate(_ changes: [String: String], for device: Device) -> ControlCenterError? {
        if let status = changes["status"] {
            guard Self.statuses.contains(status) else { return .invalidStatus }
            let current = device.attributes["status"] ?? "INVENTORY"
            if status == "ACTIVATED" && current == "ACTIVATED" { return .alreadyActivated }
            if Self.preActivationStatuses.contains(status) && !Self.preActivationStatuses.contains(current) {
                return .noReturnToPreActivation
            }
        }
        if let plan = changes["ratePlan"], !ratePlans.contains(plan) { return .invalidRatePlan }
        if let plan = changes["communicationPlan"], !communicationPlans.contains(plan) { return .invalidCommunicationPlan }
        if let customer = changes["customer"], !customers.contains(customer) { return .invalidCustomer }
        if let overage = changes["overageLimitOverride"], !Self.overageValues.contains(overage) {
            return .invalidOverageLimitOverride
        }
        if let deviceID = changes["deviceID"], deviceID.count > 2000 { return .invalidDeviceID }
        if let modemID = changes["modemID"], modemID.count > 2000 { return .invalidModemID }
        for name in Self.customFields { if let value = changes[name], value.count > 2000 { return .invalidRequest } }
        for name in ["ipv4Address", "ipv6Address"] {
            guard let address = changes[name], !address.isEmpty else { continue }
            let taken = devices.values.contains { $0.iccid != device.iccid && $0.attributes[name] == address }
            if taken { return .addressInUse }
        }
        return nil
    }

    /// Scheduled changes whose time has come take effect, oldest first.
    private func applyDueChanges(now: Date) {
        for iccid in order {
            guard var device = devices[iccid], device.scheduled.first.map({ $0.effective <= now }) == true else { continue }
            while let next = device.scheduled.first, next.effective <= now {
                device.attributes.merge(next.changes) { _, new in new }
                device.scheduled.removeFirst()
            }
            devices[iccid] = device
        }
    }

    private func error(_ error: ControlCenterError) -> HTTPResponse {
        Self.error(status: error.status, code: error.code, message: error.message)
    }

    /// The API's error: `{"errorCode": "...", "errorMessage": "..."}`, the code a string.
    private static func error(status: Int, code: String, message: String) -> HTTPResponse {
        .json(status) { json in
            json.member("errorCode", code)
            json.member("errorMessage", message)
        }
    }

    /// An answer from before the API (Spring's): `{"errorMessage": "..."}` alone.
    private static func errorMessage(_ status: Int, _ message: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        .json(status, headers: headers) { $0.member("errorMessage", message) }
    }

    func errorResponse(status: Int?, errorCode: String?) -> HTTPResponse {
        if let row = errorCode.flatMap(ControlCenterError.withCode) {
            var response = error(row)
            if let status { response.status = status }
            return response
        }
        if let errorCode {
            return Self.error(status: status ?? 400, code: errorCode, message: "Error \(errorCode)")
        }
        let status = status ?? 500
        if let row = ControlCenterError.forStatus(status) {
            var response = error(row)
            response.status = status
            return response
        }
        return Self.errorMessage(status, HTTPStatus.reasonPhrase(status))
    }

    // MARK: State

    func seed(_ document: JSONObject, replacing: Bool) throws(SimulatorError) {
        try checkMembers(document, allowed: ["devices", "ratePlans", "communicationPlans", "customers", "accounts"])
        var seeded: [Device] = []
        for object in try objects(document, "devices") {
            guard let iccid = object["iccid"]?.stringValue, !iccid.isEmpty else {
                throw SimulatorError("a control-center device needs an \"iccid\" string")
            }
            var attributes: [String: String] = [:]
            for (name, value) in object.members where name != "iccid" {
                guard Self.editable.contains(name), let string = value.stringValue else {
                    throw SimulatorError("a control-center device has string members among iccid, \(Self.editable.joined(separator: ", ")); \"\(name)\" is not one")
                }
                attributes[name] = string
            }
            if let status = attributes["status"], !Self.statuses.contains(status) {
                throw SimulatorError("\"\(status)\" is not a SIM status (\(Self.statuses.sorted().joined(separator: ", ")))")
            }
            seeded.append(Device(iccid: iccid, attributes: attributes))
        }
        var seededAccounts: [(String, String)] = []
        for object in try objects(document, "accounts") {
            guard let username = object["username"]?.stringValue, let apiKey = object["apiKey"]?.stringValue,
                  object.count == 2, !username.isEmpty, !username.contains(":") else {
                throw SimulatorError("an account is {\"username\": \"...\", \"apiKey\": \"...\"} (no \":\" in the username)")
            }
            seededAccounts.append((username, apiKey))
        }
        let plans = try strings(document, "ratePlans")
        let communication = try strings(document, "communicationPlans")
        let customerNames = try strings(document, "customers")

        if replacing {
            devices.removeAll()
            order.removeAll()
        }
        seeded.forEach(store)
        for (username, apiKey) in seededAccounts { accounts[username] = apiKey }
        if let plans { ratePlans = Array(Set(ratePlans + plans)).sorted() }
        if let communication { communicationPlans = Array(Set(communicationPlans + communication)).sorted() }
        if let customerNames { customers = Array(Set(customers + customerNames)).sorted() }
    }

    var state: JSONObject {
        applyDueChanges(now: Date())
        return JSONObject(sorting: [
            "devices": .array(order.compactMap { devices[$0].map { .object($0.document) } }),
            "ratePlans": .array(ratePlans.map(JSONValue.string)),
            "communicationPlans": .array(communicationPlans.map(JSONValue.string)),
            "customers": .array(customers.map(JSONValue.string)),
            "accounts": .array(accounts.keys.sorted().map { .object(JSONObject(sorting: ["username": $0, "apiKey": accounts[$0] ?? ""])) }),
        ])
    }
}

extension ControlCenterSimulator.Device {
    /// The SIM in the seed's shape: `iccid`, its attributes, and its changes waiting for their
    /// date under `scheduled`.
    var document: JSONObject {
        var members = attributes.mapValues(JSONValue.string)
        members["iccid"] = .string(iccid)
        if !scheduled.isEmpty {
            members["scheduled"] = .array(scheduled.map { change in
                .object(JSONObject(sorting: [
                    "effectiveDate": .string(change.effective.formatted(.iso8601)),
                    "changes": .object(JSONObject(sorting: change.changes)),
                ]))
            })
        }
        return JSONObject(sorting: members)
    }
}
