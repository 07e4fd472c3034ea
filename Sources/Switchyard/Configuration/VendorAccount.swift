import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO
import Yams

/// The vendor a tenant is bound to, with the credentials and account identifiers that vendor needs.
///
/// One enum rather than a vendor name beside a bag of optional fields, so that a tenant's vendor and
/// its credentials cannot disagree and an adapter gets exactly its own fields, already checked.
/// Everything under `credentials` is a ``Secret``, identifiers included, so none of it reaches a log.
public enum VendorAccount: Sendable, Equatable {
    /// `Authorization: Bearer <token>`.
    case gate(token: Secret)
    /// Client-credentials token exchange for the app `applicationId`.
    case mobileFirstPush(applicationId: String, clientId: Secret, clientSecret: Secret)
    /// `Authorization: Basic base64(username:apiKey)`.
    case controlCenter(username: Secret, apiKey: Secret)
    /// The session cookie, sent as `Cookie:`.
    case vodlix(cookie: Secret)
    /// `X-Key-Id` / `X-Access-Key`, with `customerid` and `updateSource` in the query.
    case iotSecurity(customerId: String, updateSource: String, keyId: Secret, accessKey: Secret)

    public var vendor: Vendor {
        switch self {
        case .gate: .gate
        case .mobileFirstPush: .mobileFirstPush
        case .controlCenter: .controlCenter
        case .vodlix: .vodlix
        case .iotSecurity: .iotSecurity
        }
    }
}

extension ConfigurationDecoder {
    /// `tenant` holds the vendor-specific identifiers, `credentials` the secrets (`nil` when that
    /// key is missing or not a mapping, already reported; the identifiers are still checked).
    func vendorAccount(_ vendor: Vendor, tenant: MappingReader, credentials: MappingReader?) -> VendorAccount? {
        credentials?.rejectUnknownKeys(known: vendor.credentialKeys)
        func secret(_ key: String) -> Secret? { credentials?.secret(key, required: true) }
        func identifier(_ key: String) -> String? {
            tenant.decode(key, required: true) { urlSafeIdentifier($0, at: $1) }
        }
        func basicUserID(_ key: String) -> Secret? {
            credentials?.decode(key, required: true) { node, path in
                guard let secret = self.secret(node, at: path) else { return nil }
                guard !secret.revealed.contains(":") else {
                    report("must not contain \":\", which ends the user id in HTTP Basic authentication",
                           at: path, node: node)
                    return nil
                }
                return secret
            }
        }
        switch vendor {
        case .gate:
            return secret("token").map { .gate(token: $0) }
        case .mobileFirstPush:
            let (applicationId, clientId, clientSecret) =
                (identifier("applicationId"), basicUserID("clientId"), secret("clientSecret"))
            guard let applicationId, let clientId, let clientSecret else { return nil }
            return .mobileFirstPush(applicationId: applicationId, clientId: clientId, clientSecret: clientSecret)
        case .controlCenter:
            let (username, apiKey) = (basicUserID("username"), secret("apiKey"))
            guard let username, let apiKey else { return nil }
            return .controlCenter(username: username, apiKey: apiKey)
        case .vodlix:
            return secret("cookie").map { .vodlix(cookie: $0) }
        case .iotSecurity:
            let (customerId, updateSource, keyId, accessKey) =
                (identifier("customerId"), identifier("updateSource"), secret("keyId"), secret("accessKey"))
            guard let customerId, let updateSource, let keyId, let accessKey else { return nil }
            return .iotSecurity(customerId: customerId, updateSource: updateSource, keyId: keyId, accessKey: accessKey)
        }
    }

    /// Identifiers that adapters put into upstream paths and queries verbatim, so they are limited to
    /// RFC 3986 unreserved characters instead of being escaped in five different places.
    private func urlSafeIdentifier(_ node: Node, at path: ConfigurationKeyPath) -> String? {
        guard let text = string(node, at: path) else { return nil }
        guard text.allUTF8(PercentEncoding.isUnreserved) else {
            report("\(quoted(text)) may contain only letters, digits, \".\", \"_\", \"~\" and \"-\" "
                + "(it goes into the vendor's URL as is)", at: path, node: node)
            return nil
        }
        return text
    }
}
