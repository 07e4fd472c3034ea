import SwitchyardIO
#if canImport(Glibc)
import Glibc
#endif

/// The `date` header value (IMF-fixdate, RFC 9110 §5.6.7), formatted at most once per second per
/// loop instead of once per response.
final class DateCache {
    private var second: time_t = 0
    /// The formatted value, where each response's is appended from: an array handed out would be
    /// retained and released for each one. IMF-fixdate is 29 bytes until the year 10000.
    private let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 1)
    private var count = 0

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    deinit {
        storage.deallocate()
    }

    /// Appends the current value; `time()` is a vDSO call, cheaper than formatting.
    func append(to buffer: ByteBuffer) {
        let now = time(nil)
        if now != second { refresh(now) }
        buffer.append(UnsafeRawBufferPointer(rebasing: storage[..<count]))
    }

    @inline(never)
    private func refresh(_ now: time_t) {
        second = now
        let text = DateCache.format(now).utf8
        count = min(text.count, storage.count)
        storage.copyBytes(from: text.prefix(count))
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
