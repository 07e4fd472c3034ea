#if canImport(Glibc)
import Glibc
#endif

/// The `date` header value (IMF-fixdate, RFC 9110 §5.6.7), formatted at most once per second per
/// loop instead of once per response.
final class DateCache {
    private var second: time_t = 0
    private(set) var bytes: [UInt8] = []

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The current value; `time()` is a vDSO call, cheaper than formatting.
    func current() -> [UInt8] {
        let now = time(nil)
        if now != second {
            second = now
            bytes = Array(DateCache.format(now).utf8)
        }
        return bytes
    }

    static func format(_ seconds: time_t) -> String {
        var seconds = seconds
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
