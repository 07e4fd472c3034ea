import SwitchyardHTTP
import SwitchyardIO
#if canImport(Glibc)
import Glibc
#endif

/// The format of each device field whose format is known (API.md §2, issue 5's list), checked
/// before anything is sent: a value the gateway can tell is wrong never costs a vendor call.
///
/// Each rule returns the value in canonical form (a MAC as `A1B2C3D4E5F6`) or why it is wrong.
/// The reasons name the rule, never repeat the value: a problem document echoes them.
public enum FieldRules {
    public struct Violation: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        init(_ reason: String) { self.reason = reason }
        public var description: String { reason }
    }

    /// A field's closed list of values, looked up by the value's bytes (`NameTable`): a status is
    /// read on nearly every Control Center request, and a `Set` hashed it with SipHash.
    public struct Choices: Sendable {
        public let values: [String]
        private let table: NameTable

        init(_ values: [String]) {
            self.values = values
            table = NameTable(values)
        }

        public func contains(_ value: CompactString) -> Bool {
            value.withUTF8 { table.position(of: UnsafeRawBufferPointer($0)) != nil }
        }
    }

    /// Control Center's SIM status values (docs/VENDORS.md).
    public static let simStatuses = Choices([
        "ACTIVATED", "ACTIVATION_READY", "DEACTIVATED", "INVENTORY", "PURGED", "REPLACED", "RETIRED", "TEST_READY",
    ])
    public static let overageLimitOverrides = Choices(["DEFAULT", "TEMPORARY_OVERRIDE", "PERMANENT_OVERRIDE"])

    /// The longest value any field takes: Control Center's custom fields are VARCHAR(2000).
    public static let maxLength = 2000

    /// A value is read and kept as a `CompactString`, so checking an ICCID or a status makes no
    /// `String` of it; the few rules that need one (addresses, dates, lengths in characters of
    /// long text) make it themselves.
    public static func check(_ field: DeviceField, _ value: CompactString) -> Result<CompactString, Violation> {
        // A MAC is the one value with a canonical form of its own; every other is kept as written.
        if field == .mac { return mac(value) }
        return violation(field, value).map { .failure($0) } ?? .success(value)
    }

    /// Whether `value` is what `check` makes of it: a value that keeps its field's rule, in
    /// canonical form. For a vendor's confirmed fields, nearly all of them canonical: a `Bool`,
    /// where `check`'s `Result` is returned through memory and its value copied in and out.
    public static func isCanonical(_ field: DeviceField, _ value: CompactString) -> Bool {
        field == .mac ? mac(value) == .success(value) : violation(field, value) == nil
    }

    /// The rule `value` breaks, nil when it keeps its field's; only a failure makes a `Violation`
    /// (the reasons of closed lists are built then). For every field but `mac`.
    private static func violation(_ field: DeviceField, _ value: CompactString) -> Violation? {
        switch field {
        case .iccid: return digits(value, 19...20) ? nil : Violation("an ICCID is 19 or 20 digits")
        case .imei: return digits(value, 15...15) ? nil : Violation("an IMEI is 15 digits")
        case .imsi:
            return digits(value, 6...15) ? nil : Violation("an IMSI is 6 to 15 digits (country and network code, then the subscriber)")
        case .msisdn: return isMSISDN(value) ? nil : Violation("6 to 15 digits, optionally after a +")
        case .mac:
            preconditionFailure("a MAC is rewritten, not only checked: check and isCanonical read it through mac(_:)")
        case .ipv4: return isAddress(value, family: AF_INET) ? nil : Violation("an IPv4 address in dotted-decimal form")
        case .ipv6: return isAddress(value, family: AF_INET6) ? nil : Violation("an IPv6 address")
        case .userId: return hasCharacters(value, 1...254) ? nil : Violation("a user id is 1 to 254 characters")
        case .simStatus: return oneOf(value, simStatuses)
        case .simOverageLimitOverride: return oneOf(value, overageLimitOverrides)
        case .effectiveAt, .createdAt, .updatedAt:
            return RFC3339.secondsSince1970(value) != nil ? nil : Violation("a date and time in RFC 3339 form, like 2026-12-01T00:00:00Z")
        case .operatorCustom1, .operatorCustom2, .operatorCustom3, .operatorCustom4, .operatorCustom5,
             .accountCustom1, .accountCustom2, .accountCustom3, .accountCustom4, .accountCustom5,
             .accountCustom6, .accountCustom7, .accountCustom8, .accountCustom9, .accountCustom10,
             .customerCustom1, .customerCustom2, .customerCustom3, .customerCustom4, .customerCustom5:
            // Blank is a value here: it clears a combo-box field (the vendor's document).
            return hasCharacters(value, 0...maxLength) ? nil : Violation("at most \(maxLength) characters")
        default:
            guard !value.isEmpty else { return Violation("must not be empty") }
            return hasCharacters(value, 0...maxLength) ? nil : Violation("at most \(maxLength) characters")
        }
    }

    /// Whether `value` has a number of characters in `range`. Text of n > 0 bytes has 1 to n
    /// characters, so the characters of short text need no counting (nor a `String` to count them in).
    private static func hasCharacters(_ value: CompactString, _ range: ClosedRange<Int>) -> Bool {
        let bytes = value.utf8Count
        if bytes == 0 { return range.contains(0) }
        if range.lowerBound <= 1 && bytes <= range.upperBound { return true }
        return range.contains(String(value).count)
    }

    private static func digits(_ value: CompactString, _ lengths: ClosedRange<Int>) -> Bool {
        lengths.contains(value.utf8Count) && value.withUTF8 { ASCII.allDigits(UnsafeRawBufferPointer($0)) }
    }

    /// 6 to 15 digits, optionally after a `+` (API.md §2): E.164 (`+15551234567`) and the national
    /// or bare forms operators and vendors write (MobileFirst's own example is `123456789`). Kept as
    /// given: the vendor gets the client's spelling.
    private static func isMSISDN(_ value: CompactString) -> Bool {
        value.withUTF8 { utf8 in
            let digits = utf8.first == UInt8(ascii: "+") ? utf8.dropFirst() : utf8[...]
            return (6...15).contains(digits.count) && ASCII.allDigits(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: digits)))
        }
    }

    /// `A1B2C3D4E5F6`, `a1:b2:c3:d4:e5:f6`, `A1-B2-…` or `a1b2.c3d4.e5f6`, made twelve upper-case
    /// hex digits (the form vodlix's document uses).
    private static func mac(_ value: CompactString) -> Result<CompactString, Violation> {
        let utf8 = value.withUTF8 { Array($0) }
        let hex = utf8.filter { $0 != UInt8(ascii: ":") && $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: ".") }
        let separators = utf8.count - hex.count
        let wellSeparated: Bool = switch separators {
        case 0: true
        case 5: [2, 5, 8, 11, 14].allSatisfy { utf8.count == 17 && !isHex(utf8[$0]) } && Set(utf8.filter { !isHex($0) }).count == 1
        case 2: utf8.count == 14 && utf8[4] == UInt8(ascii: ".") && utf8[9] == UInt8(ascii: ".")
        default: false
        }
        guard hex.count == 12, hex.allSatisfy(isHex), wellSeparated else {
            return .failure(Violation("a MAC address: 12 hex digits, optionally in pairs separated by : or -"))
        }
        return .success(hex.map { $0 >= UInt8(ascii: "a") ? $0 - 32 : $0 }.withUnsafeBytes { CompactString(decoding: $0) })
    }

    private static func isHex(_ byte: UInt8) -> Bool { ASCII.hexValue(byte) != nil }

    private static func isAddress(_ value: CompactString, family: Int32) -> Bool {
        var storage = in6_addr()
        return value.utf8Count <= 45 && inet_pton(family, value.description, &storage) == 1
    }

    private static func oneOf(_ value: CompactString, _ allowed: Choices) -> Violation? {
        allowed.contains(value) ? nil : Violation("one of \(allowed.values.sorted().joined(separator: ", "))")
    }
}

/// RFC 3339 `date-time` (section 5.6): `2026-12-01T08:30:00Z`, with optional fractional
/// seconds and a numeric offset. `T`/`Z` in either case; nothing else.
public enum RFC3339 {
    /// Seconds since 1970 for a valid date-time, nil otherwise (ranges and leap years checked).
    public static func secondsSince1970(_ text: String) -> Double? {
        text.withContiguousUTF8 { secondsSince1970(utf8: $0) }
    }

    public static func secondsSince1970(_ text: CompactString) -> Double? {
        text.withUTF8 { secondsSince1970(utf8: $0) }
    }

    private static func secondsSince1970(utf8 b: UnsafeBufferPointer<UInt8>) -> Double? {
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= b.count else { return nil }
            var value = 0
            for index in range {
                guard b[index] >= UInt8(ascii: "0"), b[index] <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(b[index] - UInt8(ascii: "0"))
            }
            return value
        }
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), hour <= 23, minute <= 59, second <= 60 else { return nil }
        let isLeap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...monthDays[month - 1]).contains(day) else { return nil }
        var index = 19
        var fraction = 0.0
        if index < b.count, b[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < b.count, b[index] >= UInt8(ascii: "0"), b[index] <= UInt8(ascii: "9") {
                fraction += Double(b[index] - UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < b.count else { return nil }
        var offsetSeconds = 0
        switch b[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == b.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == b.count, b[index + 3] == UInt8(ascii: ":"),
                  let hours = number(index + 1..<index + 3), let minutes = number(index + 4..<index + 6),
                  hours <= 23, minutes <= 59 else { return nil }
            offsetSeconds = (hours * 3600 + minutes * 60) * (b[index] == UInt8(ascii: "+") ? 1 : -1)
        default:
            return nil
        }
        // Days from civil (Howard Hinnant's algorithm), proleptic Gregorian.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146097 + dayOfEra - 719468
        let seconds = days * 86400 + hour * 3600 + minute * 60 + min(second, 59) - offsetSeconds
        return Double(seconds) + fraction
    }

    /// `yyyy-MM-ddTHH:mm:ssZ` in UTC: the form Control Center takes (docs/VENDORS.md).
    /// The wall clock now, to the millisecond, for logs: `2026-12-02T18:30:05.042Z`.
    public static func utcNowWithMilliseconds() -> String {
        var clock = MillisecondClock()
        return clock.now()
    }

    /// Log timestamps for a writer of many lines (an access log): the date and time of the current
    /// second are formatted once per second, only the milliseconds once per line.
    public struct MillisecondClock {
        private var second = -1
        private var prefix = ""

        public init() {}

        public mutating func now() -> String {
            var spec = timespec()
            clock_gettime(CLOCK_REALTIME, &spec)
            if spec.tv_sec != second {
                second = spec.tv_sec
                prefix = String(RFC3339.utcString(secondsSince1970: Double(spec.tv_sec)).dropLast())
            }
            let millis = spec.tv_nsec / 1_000_000
            return prefix + (millis < 10 ? ".00" : millis < 100 ? ".0" : ".") + String(millis) + "Z"
        }
    }

    public static func utcString(secondsSince1970 seconds: Double) -> String {
        var time = time_t(seconds.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}
