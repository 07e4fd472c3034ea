import SwitchyardIO

/// Every problem code of API.md §2, with its status and title: the one table clients rely on.
///
/// `notFound` (404, a path that is no resource) is ours: API.md asks for "a 404 problem" for
/// unknown paths without naming a code, and `device_not_found` would be a lie there.
public enum ProblemCode: String, CaseIterable, Sendable, CaseKeyed {
    case invalidRequest = "invalid_request"
    case unauthenticated
    case insufficientScope = "insufficient_scope"
    case deviceBanned = "device_banned"
    case deviceNotFound = "device_not_found"
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case notAcceptable = "not_acceptable"
    case requestTimeout = "request_timeout"
    case conflict
    case idempotencyKeyInUse = "idempotency_key_in_use"
    case payloadTooLarge = "payload_too_large"
    case unsupportedMediaType = "unsupported_media_type"
    case unsupportedField = "unsupported_field"
    case idempotencyKeyReused = "idempotency_key_reused"
    case validationFailed = "validation_failed"
    case rateLimited = "rate_limited"
    case upstreamRateLimited = "upstream_rate_limited"
    case requestHeaderTooLarge = "request_header_too_large"
    case internalError = "internal_error"
    case unsupportedOperation = "unsupported_operation"
    case upstreamAuthFailed = "upstream_auth_failed"
    case upstreamError = "upstream_error"
    case upstreamUnavailable = "upstream_unavailable"
    case overloaded
    case upstreamTimeout = "upstream_timeout"

    public var status: Int {
        switch self {
        case .invalidRequest: 400
        case .unauthenticated: 401
        case .insufficientScope, .deviceBanned: 403
        case .deviceNotFound, .notFound: 404
        case .methodNotAllowed: 405
        case .notAcceptable: 406
        case .requestTimeout: 408
        case .conflict, .idempotencyKeyInUse: 409
        case .payloadTooLarge: 413
        case .unsupportedMediaType: 415
        case .unsupportedField, .idempotencyKeyReused, .validationFailed: 422
        case .rateLimited, .upstreamRateLimited: 429
        case .requestHeaderTooLarge: 431
        case .internalError: 500
        case .unsupportedOperation: 501
        case .upstreamAuthFailed, .upstreamError: 502
        case .upstreamUnavailable, .overloaded: 503
        case .upstreamTimeout: 504
        }
    }

    public var title: String {
        switch self {
        case .invalidRequest: "Invalid request"
        case .unauthenticated: "Unauthenticated"
        case .insufficientScope: "Insufficient scope"
        case .deviceBanned: "Device banned"
        case .deviceNotFound: "Device not found"
        case .notFound: "Not found"
        case .methodNotAllowed: "Method not allowed"
        case .notAcceptable: "Not acceptable"
        case .requestTimeout: "Request timeout"
        case .conflict: "Conflict"
        case .idempotencyKeyInUse: "Idempotency key in use"
        case .payloadTooLarge: "Payload too large"
        case .unsupportedMediaType: "Unsupported media type"
        case .unsupportedField: "Unsupported field"
        case .idempotencyKeyReused: "Idempotency key reused"
        case .validationFailed: "Validation failed"
        case .rateLimited: "Rate limited"
        case .upstreamRateLimited: "Upstream rate limited"
        case .requestHeaderTooLarge: "Request header too large"
        case .internalError: "Internal error"
        case .unsupportedOperation: "Unsupported operation"
        case .upstreamAuthFailed: "Upstream authentication failed"
        case .upstreamError: "Upstream error"
        case .upstreamUnavailable: "Upstream unavailable"
        case .overloaded: "Overloaded"
        case .upstreamTimeout: "Upstream timeout"
        }
    }

    /// The stable absolute URI of the code (RFC 9457 `type`): the code with hyphens, under
    /// `https://switchyard.dev/problems/`. Built once per code, not per response.
    public var type: String { ProblemCode.types[self]! }

    private static let types: [ProblemCode: String] = Dictionary(uniqueKeysWithValues: allCases.map {
        ($0, "https://switchyard.dev/problems/" + String($0.rawValue.map { $0 == "_" ? "-" : $0 }))
    })
}
