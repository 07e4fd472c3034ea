import Foundation
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON

/// IBM MobileFirst Foundation push: the authorization server's token endpoint and
/// `PUT /imfpush/v1/apps/{applicationId}/devices/{deviceId}`
/// (docs/VENDORS.md).
///
/// The token endpoint speaks OAuth 2.0 client credentials (RFC 6749 §4.4, errors as §5.2). The
/// push service wants a token holding both `devices.write` and `push.application.{applicationId}`.
/// Its error bodies are not documented; this one sends `{"message": "..."}` with the document's
/// wording, so clients must map by status (docs/VENDORS.md).
final class MobileFirstPushSimulator: VendorSimulator {
    static let tokenPath = "/mfp/api/az/v1/token"

    /// One device registration.
    struct Registration {
        var applicationId: String
        var deviceId: String
        var phoneNumber: String?
        var token: String?
        var userId: String?
        var platform: String
        var createdMode: String
        var createdTime: Date
        var lastUpdatedTime: Date

        /// The push service's form (without `applicationId`, which is in its path); the state's
        /// listing adds it.
        func document(withApplicationId: Bool) -> JSONObject {
            var members = [
                "deviceId": deviceId, "platform": platform, "createdMode": createdMode,
                "createdTime": createdTime.formatted(.iso8601), "lastUpdatedTime": lastUpdatedTime.formatted(.iso8601),
            ]
            if let phoneNumber { members["phoneNumber"] = phoneNumber }
            if let token { members["token"] = token }
            if let userId { members["userId"] = userId }
            if withApplicationId { members["applicationId"] = applicationId }
            return JSONObject(sorting: members)
        }
    }

    private struct IssuedToken {
        var scopes: Set<String>
        /// Monotonic nanoseconds.
        var expires: UInt64
    }

    private let clientId: String
    private let clientSecret: String
    private let lifetimeSeconds: Int
    private let grantableScopes: [String]
    private let seedsDefaults: Bool
    private var tokens: [String: IssuedToken] = [:]
    /// Keyed by `applicationId/deviceId`, in seeding order for listings.
    private var registrations: [String: Registration] = [:]
    private var order: [String] = []

    init(configuration: SimulatorConfiguration) {
        guard case .clientCredentials(let id, let secret) = configuration.credentials else {
            preconditionFailure("mobilefirst-push takes client credentials")
        }
        clientId = id
        clientSecret = secret
        lifetimeSeconds = configuration.tokenLifetimeSeconds
        grantableScopes = configuration.grantableScopes
        seedsDefaults = configuration.seedsDefaults
        reset()
    }

    func reset() {
        tokens.removeAll()
        registrations.removeAll()
        order.removeAll()
        guard seedsDefaults else { return }
        let created = Date(timeIntervalSince1970: 1_432_122_131) // 2015-05-20T11:42:11Z, the document's example
        for registration in [
            Registration(applicationId: "myapp", deviceId: "12345-6789", phoneNumber: "123456789", token: "xyz",
                         userId: "admin", platform: "A", createdMode: "API", createdTime: created, lastUpdatedTime: created),
            Registration(applicationId: "myapp", deviceId: "android-0001", phoneNumber: nil, token: "fcm-token-0001",
                         userId: "alice", platform: "G", createdMode: "API", createdTime: created, lastUpdatedTime: created),
        ] {
            store(registration)
        }
    }

    private func store(_ registration: Registration) {
        let key = "\(registration.applicationId)/\(registration.deviceId)"
        if registrations[key] == nil { order.append(key) }
        registrations[key] = registration
    }

    func handle(_ request: SimulatorRequest) -> HTTPResponse {
        if request.path == Self.tokenPath { return issueToken(request) }
        let segments = request.segments
        if segments.count == 6, segments[0] == "imfpush", segments[1] == "v1", segments[2] == "apps",
           segments[4] == "devices", !segments[3].isEmpty, !segments[5].isEmpty {
            return updateRegistration(request, applicationId: segments[3], deviceId: segments[5])
        }
        return errorResponse(status: 404, errorCode: nil)
    }

    // MARK: The token endpoint

    private func issueToken(_ request: SimulatorRequest) -> HTTPResponse {
        guard request.method == .post else {
            return oauthError(405, "invalid_request", "The token endpoint takes POST.", headers: [("allow", "POST")])
        }
        guard let client = HTTPAuthorization.basic(request.header("authorization")),
              client.user == clientId, client.password == clientSecret
        else {
            return oauthError(401, "invalid_client", "Client authentication failed.",
                              headers: [("www-authenticate", "Basic realm=\"mfp\"")])
        }
        guard MediaType.essence(request.header("content-type")) == "application/x-www-form-urlencoded" else {
            return oauthError(400, "invalid_request", "The request must be application/x-www-form-urlencoded.")
        }
        let form = FormEncoding.dictionary(request.body)
        guard let grantType = form["grant_type"] else {
            return oauthError(400, "invalid_request", "Missing grant_type.")
        }
        guard grantType == "client_credentials" else {
            return oauthError(400, "unsupported_grant_type", "Only client_credentials is supported.")
        }
        let scopes = (form["scope"] ?? "").split(separator: " ").map(String.init)
        guard !scopes.isEmpty else {
            return oauthError(400, "invalid_scope", "A scope is required.")
        }
        if let refused = scopes.first(where: { !isGrantable($0) }) {
            return oauthError(400, "invalid_scope", "The client may not be granted the scope \(refused).")
        }
        tokens = tokens.filter { $0.value.expires > request.monotonic }
        let accessToken = "mfp-" + (0..<4).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 16) }.joined()
        tokens[accessToken] = IssuedToken(
            scopes: Set(scopes),
            expires: request.monotonic + UInt64(lifetimeSeconds) * 1_000_000_000
        )
        return .json(200, headers: [("cache-control", "no-store"), ("pragma", "no-cache")]) { json in
            json.member("access_token", accessToken)
            json.member("expires_in", lifetimeSeconds)
            json.member("scope", scopes.joined(separator: " "))
            json.member("token_type", "Bearer")
        }
    }

    private func isGrantable(_ scope: String) -> Bool {
        grantableScopes.contains { pattern in
            pattern.hasSuffix("*") ? scope.hasPrefix(pattern.dropLast()) && scope.count > pattern.count - 1 : scope == pattern
        }
    }

    private func oauthError(_ status: Int, _ error: String, _ description: String,
                            headers: [(name: String, value: String)] = []) -> HTTPResponse {
        .json(status, headers: headers) { json in
            json.member("error", error)
            json.member("error_description", description)
        }
    }

    // MARK: Device registration (PUT)

    private func updateRegistration(_ request: SimulatorRequest, applicationId: String, deviceId: String) -> HTTPResponse {
        guard request.method == .put else {
            return message(405, "Method \(request.methodName) is not allowed.", headers: [("allow", "PUT")])
        }
        // The OAuth filter runs before the push service sees the request.
        let required = ["devices.write", "push.application.\(applicationId)"]
        guard let presented = HTTPAuthorization.bearerToken(request.header("authorization")),
              let token = tokens[presented], token.expires > request.monotonic
        else {
            return message(401, Self.unauthorized, headers: [("www-authenticate", "Bearer error=\"invalid_token\"")])
        }
        guard required.allSatisfy(token.scopes.contains) else {
            return message(401, Self.unauthorized,
                           headers: [("www-authenticate", "Bearer error=\"insufficient_scope\", scope=\"\(required.joined(separator: " "))\"")])
        }
        guard MediaType.essence(request.header("content-type")) == "application/json" else {
            return message(405, "Unsupported Content type - The content type specified in Content-Type header is not application/json.")
        }
        guard MediaType.accepts(request.header("accept"), "application/json") else {
            return message(406, "Unsupported Accept type - The content type specified in Accept header is not application/json.")
        }
        guard let payload = JSONBody.parse(request.body)?.objectValue else {
            return message(400, "The payload is not a JSON object.")
        }
        for name in ["deviceId", "phoneNumber", "token", "userId"] {
            if let value = payload[name], value.stringValue == nil {
                return message(400, "\(name) must be a string.")
            }
        }
        let userId = payload["userId"]?.stringValue
        if let userId, userId.count > 254 {
            return message(400, "A device registration has userId longer than 254 characters.")
        }
        let key = "\(applicationId)/\(deviceId)"
        guard var registration = registrations[key] else {
            return message(404, "A device registration with the specified deviceId is not found.")
        }
        if let userId { registration.userId = userId }
        if let phoneNumber = payload["phoneNumber"]?.stringValue { registration.phoneNumber = phoneNumber }
        if let pushToken = payload["token"]?.stringValue { registration.token = pushToken }
        registration.lastUpdatedTime = request.date
        registrations[key] = registration
        return .json(200, registration.document(withApplicationId: false))
    }

    /// The document's one wording for every token problem; `WWW-Authenticate` tells them apart.
    private static let unauthorized = "Unauthorized - The caller is either not authenticated or not authorized to make this request."

    private func message(_ status: Int, _ text: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        .json(status, headers: headers) { $0.member("message", text) }
    }

    func errorResponse(status: Int?, errorCode: String?) -> HTTPResponse {
        let status = status ?? 500
        let text = switch status {
        case 401: Self.unauthorized
        case 404: "Not Found"
        case 500: "An internal error occurred."
        default: HTTPStatus.reasonPhrase(status)
        }
        return message(status, text)
    }

    // MARK: State

    func seed(_ document: JSONObject, replacing: Bool) throws(SimulatorError) {
        try checkMembers(document, allowed: ["devices"])
        var seeded: [Registration] = []
        for object in try objects(document, "devices") {
            let allowed: Set<String> = ["applicationId", "deviceId", "phoneNumber", "token", "userId", "platform",
                                        "createdMode", "createdTime", "lastUpdatedTime"]
            var strings: [String: String] = [:]
            for (name, value) in object.members {
                guard allowed.contains(name), let string = value.stringValue else {
                    throw SimulatorError("a mobilefirst-push device has string members among \(allowed.sorted().joined(separator: ", ")); \"\(name)\" is not one")
                }
                strings[name] = string
            }
            guard let applicationId = strings["applicationId"], let deviceId = strings["deviceId"],
                  !applicationId.isEmpty, !deviceId.isEmpty else {
                throw SimulatorError("a mobilefirst-push device needs \"applicationId\" and \"deviceId\"")
            }
            func date(_ name: String) throws(SimulatorError) -> Date {
                guard let text = strings[name] else { return Date() }
                guard let date = try? Date(text, strategy: .iso8601) else {
                    throw SimulatorError("\"\(name)\" must be an ISO 8601 time like 2015-05-20T11:42:11Z")
                }
                return date
            }
            seeded.append(Registration(
                applicationId: applicationId, deviceId: deviceId, phoneNumber: strings["phoneNumber"],
                token: strings["token"], userId: strings["userId"], platform: strings["platform"] ?? "A",
                createdMode: strings["createdMode"] ?? "API", createdTime: try date("createdTime"),
                lastUpdatedTime: try date("lastUpdatedTime")
            ))
        }
        if replacing {
            registrations.removeAll()
            order.removeAll()
        }
        seeded.forEach(store)
    }

    var state: JSONObject {
        let now = MonotonicClock.now()
        return JSONObject(sorting: [
            "devices": .array(order.compactMap { registrations[$0].map { .object($0.document(withApplicationId: true)) } }),
            "unexpiredTokens": .number(String(tokens.values.filter { $0.expires > now }.count)),
        ])
    }
}
