import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardJSON

/// IBM MobileFirst Foundation push, "Push Device Registration (PUT)":
/// `PUT /imfpush/v1/apps/{applicationId}/devices/{deviceId}` with a bearer token from the
/// authorization server's client-credentials grant (docs/VENDORS.md).
///
/// It updates registrations only, so there is no `POST /devices`. Error bodies are not
/// documented (docs/VENDORS.md: map by status); a `message` or OAuth `error_description` member, when
/// there is one, is kept as the vendor's message.
public struct MobileFirstPushAdapter: VendorAdapter {
    public var vendor: Vendor { .mobileFirstPush }
    public var primaryKind: IdentifierKind? { .deviceId }
    public let addressableKinds: CaseSet<IdentifierKind> = [.deviceId]
    public let storableFields: CaseSet<DeviceField> = CaseSet(requestMembers.map(\.field))
    /// The document's call updates an existing registration; it cannot create one.
    public var supportsUpsert: Bool { false }
    /// The push service has no bulk call: a bulk update is fanned out, one call per device.
    public var batchSize: Int { 1 }
    public var fanOutConcurrency: Int { 4 }

    /// `/imfpush/v1/apps/{applicationId}/devices/`, encoded once.
    private let devicesPath: String
    /// The token request never changes for an account, so it is built once.
    private let tokenRequest: UpstreamRequest

    /// JSON both ways, on every device call: encoded once.
    private static let jsonHeaders = UpstreamHeaderBlock([("content-type", "application/json"), ("accept", "application/json")])

    public init(applicationId: String, clientId: String, clientSecret: String) {
        devicesPath = "/imfpush/v1/apps/\(URLEncoding.pathSegment(applicationId))/devices/"
        // The push service wants both scopes in one token (the document's Authorization header).
        let scope = "devices.write push.application.\(applicationId)"
        tokenRequest = UpstreamRequest(
            method: .post,
            path: "/mfp/api/az/v1/token",
            headers: [
                ("authorization", URLEncoding.basicAuthorization(user: clientId, password: clientSecret)),
                ("content-type", "application/x-www-form-urlencoded"),
                ("accept", "application/json"),
            ],
            body: Array("grant_type=client_credentials&scope=\(URLEncoding.formComponent(scope))".utf8)
        )
    }

    /// The payload's members, in the document's order; `deviceId` is always sent.
    static let requestMembers: [(name: String, field: DeviceField)] = [
        ("deviceId", .deviceId), ("phoneNumber", .msisdn), ("token", .pushToken), ("userId", .userId),
    ]

    /// The answer's members that are device fields (`createdMode` is none).
    static let responseMembers: [(name: String, field: DeviceField)] = [
        ("deviceId", .deviceId), ("phoneNumber", .msisdn), ("token", .pushToken), ("platform", .pushPlatform),
        ("userId", .userId), ("createdTime", .createdAt), ("lastUpdatedTime", .updatedAt),
    ]

    /// The registration call's errors, as the document lists them.
    public static let errorRows: [ErrorCatalogue.Row] = [
        .init(.mobileFirstPush, status: 400, .validationFailed, "The push service refused the registration (a userId longer than 254 characters)."),
        .init(.mobileFirstPush, status: 401, .upstreamAuthFailed,
              "The push service refused the gateway's token: not authenticated, or without devices.write and push.application.<applicationId>."),
        .init(.mobileFirstPush, status: 404, .deviceNotFound, "No registration with that deviceId in the tenant's application."),
        .init(.mobileFirstPush, status: 405, .upstreamError,
              "The push service refused the gateway's Content-Type (not application/json): a gateway bug, not the client's."),
        .init(.mobileFirstPush, status: 406, .upstreamError,
              "The push service refused the gateway's Accept (not application/json): a gateway bug, not the client's."),
        .init(.mobileFirstPush, status: 500, .upstreamError, "The push service failed internally."),
    ]

    /// The token endpoint's errors (OAuth 2.0, RFC 6749 §5.2): its statuses mean other things
    /// than the registration call's, so they are a table of their own. No vendor document lists
    /// them; docs/VENDORS.md names the endpoint and its grant.
    public static let tokenErrorRows: [ErrorCatalogue.Row] = [
        .init(.mobileFirstPush, status: 400, .upstreamAuthFailed, documented: false,
              "The token endpoint refused the grant (invalid_scope, unsupported_grant_type…): the client may not have devices.write or push.application.<applicationId>."),
        .init(.mobileFirstPush, status: 401, .upstreamAuthFailed, documented: false,
              "The token endpoint refused the client id and secret (invalid_client)."),
        .init(.mobileFirstPush, status: 404, .upstreamError, documented: false,
              "No token endpoint at /mfp/api/az/v1/token under the tenant's upstream: a configuration error, not a missing device."),
    ]

    /// Every value has passed `FieldRules` (a userId is at most 254 characters there too).
    public func validate(_ change: DeviceChange, now: Double) -> Problem? { nil }

    public func accessTokenRequest() -> UpstreamRequest? { tokenRequest }

    public func accessToken(from response: UpstreamResponse) -> Result<AccessToken, Problem> {
        let object = (try? JSONParser.parse(response.body))?.objectValue
        guard response.status == 200 else {
            return .failure(ErrorCatalogue.problem(for: response, vendor: .mobileFirstPush, rows: Self.tokenErrorRows,
                                                   code: object?["error"]?.stringValue,
                                                   message: object?["error_description"]?.stringValue))
        }
        guard let object else { return .failure(ErrorCatalogue.unreadable(response, "the token answer is not a JSON object")) }
        // The token becomes a header value: a byte that cannot go there is the vendor's fault, and
        // must not surface later as the gateway's own invalid request.
        guard let token = object["access_token"]?.stringValue, !token.isEmpty,
              token.withContiguousUTF8({ UnsafeRawBufferPointer($0).isVisibleASCII }) else {
            return .failure(ErrorCatalogue.unreadable(response, "access_token is missing or not a token"))
        }
        guard case .number(let text)? = object["expires_in"], let seconds = Double(text), seconds > 0, seconds.isFinite else {
            return .failure(ErrorCatalogue.unreadable(response, "expires_in is missing or not a positive number"))
        }
        return .success(AccessToken(value: token, expiresInSeconds: seconds))
    }

    public func request(for changes: [DeviceChange], accessToken: String?, now: Double, body: consuming [UInt8]) -> UpstreamRequest {
        assert(changes.count == 1, "batchSize is 1: the gateway sends one change per call")
        let change = changes[0]
        // No upsert, and deviceId the only kind addressed: every change names its device by id.
        assert(change.id?.kind == .deviceId, "a mobilefirst-push change is an update by deviceId")
        assert(accessToken != nil, "the gateway fetches a token before calling a vendor that has a token request")
        let deviceId = change.id?.value ?? ""
        let body = JSONWriter.writing(into: body) { json in
            json.beginObject()
            for (name, field) in Self.requestMembers {
                if let value = field == .deviceId ? deviceId : change.document.string(field) { json.member(name, value) }
            }
            json.endObject()
        }
        return UpstreamRequest(
            method: .put,
            path: devicesPath,
            pathSegment: deviceId,
            fixedHeaders: Self.jsonHeaders,
            headers: [("authorization", "Bearer \(accessToken ?? "")")],
            body: body
        )
    }

    public func interpret(_ response: UpstreamResponse, for changes: [DeviceChange], lists: AnswerLists?) -> VendorAnswer {
        let document = try? JSONParser.parse(response.body, objects: lists?.objects)
        defer { if let lists { document?.giveObjects(to: lists.objects) } }
        return .all(result(of: response, document?.objectValue, documents: lists?.documents), count: changes.count)
    }

    private func result(of response: UpstreamResponse, _ object: JSONObject?, documents: DeviceDocument.Pool?) -> DeviceResult {
        guard response.status == 200 else {
            return .failed(ErrorCatalogue.problem(
                for: response, vendor: .mobileFirstPush, rows: Self.errorRows,
                code: object?["error"]?.stringValue,
                message: object?["message"]?.stringValue ?? object?["error_description"]?.stringValue))
        }
        guard let object else { return .failed(ErrorCatalogue.unreadable(response, "the 200 body is not a JSON object")) }
        var confirmed = DeviceDocument(storageFrom: documents)
        for (name, field) in Self.responseMembers {
            switch object[name] {
            // As the vendor wrote it: a phone number without its +, a time in its ISO 8601 form.
            case .string(let value)?: confirmed[field] = .string(value)
            case .null?, nil: break
            case let other?: return .failed(ErrorCatalogue.unreadable(response, "\(name) is \(other.typeName), not a string"))
            }
        }
        return .accepted(status: 200, confirmed: confirmed)
    }
}
