import Foundation
import SwitchyardHTTP

/// The pieces of a vendor URL or form that come from a request or an account, percent-encoded
/// (`PercentEncoding`), and HTTP Basic credentials.
enum URLEncoding {
    /// One path segment: `/`, `?`, `#`, `%` and everything beyond unreserved ASCII encoded.
    static func pathSegment(_ text: String) -> String {
        PercentEncoding.encode(text, spaceAsPlus: false)
    }

    /// One `application/x-www-form-urlencoded` name or value (space as `+`).
    static func formComponent(_ text: String) -> String {
        PercentEncoding.encode(text, spaceAsPlus: true)
    }

    /// `Basic base64(user:password)`.
    static func basicAuthorization(user: String, password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}
