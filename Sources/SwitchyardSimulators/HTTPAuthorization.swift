import Foundation

/// The two `Authorization` schemes the vendors use, read leniently as servers do: the scheme name
/// is case-insensitive (RFC 9110 §11.1) and surrounding spaces are ignored.
enum HTTPAuthorization {
    /// The token of `Bearer <token>`, or nil.
    static func bearerToken(_ header: String?) -> String? {
        guard let credentials = credentials(header, scheme: "bearer"), !credentials.isEmpty else { return nil }
        return credentials
    }

    /// `user` and `password` of `Basic base64(user:password)`, or nil when absent or malformed.
    static func basic(_ header: String?) -> (user: String, password: String)? {
        guard let encoded = credentials(header, scheme: "basic"),
              let data = Data(base64Encoded: encoded),
              let decoded = String(data: data, encoding: .utf8),
              let colon = decoded.firstIndex(of: ":")
        else { return nil }
        return (String(decoded[..<colon]), String(decoded[decoded.index(after: colon)...]))
    }

    private static func credentials(_ header: String?, scheme: String) -> String? {
        guard let header else { return nil }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " "),
              trimmed[..<space].lowercased() == scheme
        else { return nil }
        return trimmed[trimmed.index(after: space)...].trimmingCharacters(in: .whitespaces)
    }
}

/// Media types as `Content-Type` and `Accept` carry them.
enum MediaType {
    /// The type and subtype of a `Content-Type`, lowercased, without parameters.
    static func essence(_ header: String?) -> String? {
        guard let header else { return nil }
        let essence = header.split(separator: ";", maxSplits: 1).first ?? ""
        return essence.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// Whether an `Accept` header admits `type` (absent admits anything).
    static func accepts(_ header: String?, _ type: String) -> Bool {
        guard let header, !header.trimmingCharacters(in: .whitespaces).isEmpty else { return true }
        let major = type.split(separator: "/").first.map(String.init) ?? type
        for range in header.split(separator: ",") {
            let parts = range.split(separator: ";")
            let media = (parts.first ?? "").trimmingCharacters(in: .whitespaces).lowercased()
            let refused = parts.dropFirst().contains {
                let parameter = $0.trimmingCharacters(in: .whitespaces).lowercased()
                return parameter == "q=0" || parameter == "q=0.0" || parameter == "q=0.00" || parameter == "q=0.000"
            }
            if refused { continue }
            if media == "*/*" || media == type || media == "\(major)/*" { return true }
        }
        return false
    }
}
