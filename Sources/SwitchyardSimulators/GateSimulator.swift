import Foundation
import SwitchyardHTTP
import SwitchyardJSON

/// Zequenze GATE, `POST {prefix}/device_app_user_update/` (docs/VENDORS.md).
///
/// A Django REST Framework service: errors are DRF's shapes (`{"detail": "..."}` for
/// authentication, 404 and 405; field name to a list of messages for 400 and 422). The body is
/// `{"data": "<a JSON object as a string>"}`; the object's identifiers find one existing user,
/// whose record is updated and echoed with 201.
final class GateSimulator: VendorSimulator {
    static let path = "/device_app_user_update/"
    /// The fields of `data`, in the document's order.
    static let fields = ["number", "generic_id", "imei", "imsi", "iccid", "username", "password", "user_external_id", "user_class"]
    /// The fields that find a user: all but `password` and `user_class`.
    static let identifiers = ["user_external_id", "username", "generic_id", "number", "iccid", "imei", "imsi"]

    private let token: String
    private let seedsDefaults: Bool
    /// Users in creation order, each the `data` fields it has.
    private var users: [[String: String]] = []

    init(configuration: SimulatorConfiguration) {
        guard case .bearerToken(let token) = configuration.credentials else {
            preconditionFailure("gate takes a bearer token")
        }
        self.token = token
        self.seedsDefaults = configuration.seedsDefaults
        reset()
    }

    func reset() {
        users = seedsDefaults ? Self.defaultUsers : []
    }

    static let defaultUsers: [[String: String]] = [
        [
            "number": "+1234567890", "generic_id": "com.example.app.user123", "imei": "123456789012345",
            "imsi": "310120123456789", "iccid": "12345678901234567890", "username": "john_doe",
            "password": "hashed_password_string", "user_external_id": "ext_user_456", "user_class": "premium",
        ],
        [
            "number": "+15550100002", "generic_id": "com.example.app.user789", "imei": "356938035643809",
            "imsi": "310150123456780", "iccid": "89014103211118510720", "username": "jane_roe",
            "password": "hashed_password_string_2", "user_external_id": "ext_user_789", "user_class": "basic",
        ],
    ]

    // MARK: The endpoint

    func handle(_ request: SimulatorRequest) -> HTTPResponse {
        guard request.path == Self.path else { return errorResponse(status: 404, errorCode: nil) }
        // DRF authenticates (IsAuthenticated) before it looks for a handler for the method.
        guard let presented = HTTPAuthorization.bearerToken(request.header("authorization")) else {
            return unauthorized("Authentication credentials were not provided.")
        }
        guard presented == token else { return unauthorized("Invalid token.") }
        guard request.method == .post else {
            return Self.detail(405, "Method \"\(request.methodName)\" not allowed.", headers: [("allow", "POST, OPTIONS")])
        }
        let data: String
        switch readData(request) {
        case .success(let value): data = value
        case .failure(let answer): return answer
        }
        guard let object = JSONBody.parse(Array(data.utf8))?.objectValue else {
            return Self.dataError("Value must be valid JSON.")
        }
        let update: [String: String]
        switch validate(object) {
        case .success(let fields): update = fields
        case .failure(let answer): return answer
        }
        let matches = matchingUsers(update)
        guard let index = matches.first else {
            return Self.detail(404, "User not found.")
        }
        guard matches.count == 1 else {
            return .json(422) { $0.member("non_field_errors", ["The identifiers belong to different users."]) }
        }
        users[index].merge(update) { _, new in new }
        return .json(201, JSONObject(sorting: users[index]))
    }

    private enum Outcome<Value> {
        case success(Value)
        case failure(HTTPResponse)
    }

    /// The `data` member: from a JSON body, or a form like DRF's FormParser takes.
    private func readData(_ request: SimulatorRequest) -> Outcome<String> {
        let contentType = MediaType.essence(request.header("content-type")) ?? "application/json"
        let value: JSONValue?
        switch contentType {
        case "application/json":
            guard let parsed = JSONBody.parse(request.body) else {
                return .failure(Self.detail(400, "JSON parse error - the body is not valid JSON"))
            }
            value = parsed.objectValue?["data"]
        case "application/x-www-form-urlencoded":
            value = FormEncoding.dictionary(request.body)["data"].map(JSONValue.string)
        default:
            return .failure(Self.detail(415, "Unsupported media type \"\(contentType)\" in request."))
        }
        switch value {
        case nil, .null?: return .failure(Self.dataError("This field is required."))
        case .string(let string)?: return .success(string.description)
        default: return .failure(Self.dataError("Not a valid string."))
        }
    }

    /// Every field a known one, a non-blank string in its format; all problems at once, as DRF
    /// reports them. Then at least one identifier.
    private func validate(_ object: JSONObject) -> Outcome<[String: String]> {
        var errors: [String: [String]] = [:]
        var fields: [String: String] = [:]
        for (name, value) in object.members {
            guard Self.fields.contains(name) else {
                errors[name] = ["Unknown field."]
                continue
            }
            guard let string = value.stringValue else {
                errors[name] = ["Not a valid string."]
                continue
            }
            if let problem = Self.problem(field: name, value: string) {
                errors[name] = [problem]
                continue
            }
            fields[name] = string
        }
        if !errors.isEmpty {
            return .failure(.json(422) { json in
                for (name, messages) in MemberOrder.sorted(errors) { json.member(name, messages) }
            })
        }
        guard Self.identifiers.contains(where: { fields[$0] != nil }) else {
            return .failure(Self.dataError("Name the user with at least one of: \(Self.identifiers.joined(separator: ", "))."))
        }
        return .success(fields)
    }

    /// What is wrong with one field's value, in DRF's words; nil when it is fine.
    static func problem(field: String, value: String) -> String? {
        if value.trimmingCharacters(in: .whitespaces).isEmpty { return "This field may not be blank." }
        switch field {
        case "number":
            let digits = value.hasPrefix("+") ? value.dropFirst() : value[...]
            return isDigits(digits, 6...15) ? nil : "Enter a valid phone number (6 to 15 digits, optionally after +)."
        case "imei":
            return isDigits(value[...], 15...15) ? nil : "Enter a valid IMEI (15 digits)."
        case "imsi":
            return isDigits(value[...], 6...15) ? nil : "Enter a valid IMSI (6 to 15 digits)."
        case "iccid":
            return isDigits(value[...], 18...22) ? nil : "Enter a valid ICCID (18 to 22 digits)."
        case "username":
            if value.count > 150 { return "Ensure this field has no more than 150 characters." }
            // Django's username validator: word characters and @ . + - _
            let allowed = value.unicodeScalars.allSatisfy {
                $0.properties.isAlphabetic || $0.properties.numericType != nil || "@.+-_".unicodeScalars.contains($0)
            }
            return allowed ? nil : "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."
        default:
            return value.count > 255 ? "Ensure this field has no more than 255 characters." : nil
        }
    }

    private static func isDigits(_ text: Substring, _ lengths: ClosedRange<Int>) -> Bool {
        lengths.contains(text.utf8.count) && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Indices of the users any identifier of `update` names.
    private func matchingUsers(_ update: [String: String]) -> [Int] {
        users.indices.filter { index in
            Self.identifiers.contains { key in
                guard let value = update[key] else { return false }
                return users[index][key] == value
            }
        }
    }

    private func unauthorized(_ detail: String) -> HTTPResponse {
        Self.detail(401, detail, headers: [("www-authenticate", "Bearer realm=\"api\"")])
    }

    /// DRF's answer for a request as a whole: `{"detail": "..."}`.
    private static func detail(_ status: Int, _ detail: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        .json(status, headers: headers) { $0.member("detail", detail) }
    }

    /// DRF's 400 for the `data` field: `{"data": ["..."]}`.
    private static func dataError(_ message: String) -> HTTPResponse {
        .json(400) { $0.member("data", [message]) }
    }

    func errorResponse(status: Int?, errorCode: String?) -> HTTPResponse {
        let status = status ?? 500
        let detail = switch status {
        case 400: "Bad request."
        case 401: "Invalid token."
        case 403: "You do not have permission to perform this action."
        case 404: "Not found."
        case 422: "Unprocessable entity."
        case 429: "Request was throttled."
        case 500: "A server error occurred."
        default: HTTPStatus.reasonPhrase(status)
        }
        return Self.detail(status, detail)
    }

    // MARK: State

    func seed(_ document: JSONObject, replacing: Bool) throws(SimulatorError) {
        try checkMembers(document, allowed: ["users"])
        var seeded: [[String: String]] = []
        for object in try objects(document, "users") {
            var user: [String: String] = [:]
            for (name, value) in object.members {
                guard Self.fields.contains(name), let string = value.stringValue else {
                    throw SimulatorError("a gate user has string members among \(Self.fields.joined(separator: ", ")); \"\(name)\" is not one")
                }
                user[name] = string
            }
            guard Self.identifiers.contains(where: { user[$0] != nil }) else {
                throw SimulatorError("a gate user needs at least one of \(Self.identifiers.joined(separator: ", "))")
            }
            seeded.append(user)
        }
        if replacing { users.removeAll() }
        for user in seeded {
            // A seeded user replaces every user it shares an identifier with.
            users.removeAll { existing in Self.identifiers.contains { user[$0] != nil && existing[$0] == user[$0] } }
            users.append(user)
        }
    }

    var state: JSONObject {
        JSONObject(sorting: ["users": .array(users.map { .object(JSONObject(sorting: $0)) })])
    }
}
