import Synchronization

/// Small numbers for the label values the loops tally by on every request (tenant names, vendor
/// hosts), so that finding a request's series hashes one integer rather than its strings. A value
/// gets its number when a configuration is built (`TenantRoute`), off the loops; the collection
/// turns numbers back into values. Numbers are never reused, so a reload can't make a series count
/// for another tenant; the table grows only with the names a process has been configured with.
enum MetricLabels {
    private struct Table {
        var numbers: [String: UInt32] = ["": 0]
        var values: [String] = [""]
    }

    private static let table = Mutex(Table())

    /// The number of `value` (0 is the empty value). Takes a lock: not for the loops.
    static func number(_ value: String) -> UInt32 {
        table.withLock { table in
            if let number = table.numbers[value] { return number }
            let number = UInt32(table.values.count)
            table.numbers[value] = number
            table.values.append(value)
            return number
        }
    }

    /// The value numbered `number`.
    static func value(_ number: UInt32) -> String {
        table.withLock { $0.values[Int(number)] }
    }
}
