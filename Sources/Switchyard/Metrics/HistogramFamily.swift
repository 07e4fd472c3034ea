/// One of the catalogue's duration histograms as `/metrics` shows it: each series' totals since the
/// process started, added to from the loops' tallies (`BucketCounts`), and their exposition in the
/// Prometheus text format (0.0.4), seconds with API.md §6's buckets.
///
/// The gateway's counters and gauges stay in swift-prometheus' registry; its histograms are kept
/// here because the registry's take one observation at a time (`BucketCounts` says why that cost
/// too much). The exposition is the registry's, line for line: the same `# HELP` and `# TYPE` lines,
/// the labels in the catalogue's order, `le` written as the registry writes a `Double`.
///
/// Not `Sendable` on purpose: it lives in `GatewayMetrics`' mutex, off the loops.
struct HistogramFamily<Key: Hashable> {
    let family: MetricFamily
    /// Positions in `series`, by key; series are written in the order they first appeared.
    private var positions: [Key: Int] = [:]
    private var series: [(labels: [UInt8], totals: BucketCounts)] = []

    /// `le="…"` for each bound, as swift-prometheus writes a `Double` (`"1.0"`, `"0.0005"`).
    private static var boundLabels: [String] { MetricFamily.durationBuckets.map { #"le=""# + $0.description + #"""# } }

    init(_ family: MetricFamily) {
        self.family = family
    }

    /// Adds a tally's counts to the series of `key`, made with `labels` (the catalogue's label names
    /// with their values) the first time.
    mutating func add(_ counts: BucketCounts, to key: Key, labels: @autoclosure () -> [(String, String)]) {
        if let position = positions[key] {
            series[position].totals.add(counts)
            return
        }
        let labels = labels()
        precondition(labels.map(\.0) == family.labels, "\(family.name) takes the labels \(family.labels)")
        positions[key] = series.count
        series.append((Self.render(labels), counts))
    }

    /// The family's `# HELP`, `# TYPE` and series lines; nothing before its first series.
    func write(into text: inout [UInt8]) {
        guard !series.isEmpty else { return }
        precondition(!family.help.utf8.contains { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") },
                     "\(family.name)'s help text needs no escaping")
        text.append(contentsOf: "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) histogram\n".utf8)
        let boundLabels = Self.boundLabels
        for (labels, totals) in series {
            for (boundLabel, count) in zip(boundLabels, totals.cumulative) {
                line(&text, "_bucket", labels, boundLabel, count.description)
            }
            line(&text, "_bucket", labels, #"le="+Inf""#, totals.count.description)
            line(&text, "_sum", labels, nil, (Double(totals.sumNanoseconds) / 1e9).description)
            line(&text, "_count", labels, nil, totals.count.description)
        }
    }

    /// `name_suffix{labels,le} value`.
    private func line(_ text: inout [UInt8], _ suffix: String, _ labels: [UInt8], _ bound: String?, _ value: String) {
        text.append(contentsOf: family.name.utf8)
        text.append(contentsOf: suffix.utf8)
        if !labels.isEmpty || bound != nil {
            text.append(UInt8(ascii: "{"))
            text.append(contentsOf: labels)
            if let bound {
                if !labels.isEmpty { text.append(UInt8(ascii: ",")) }
                text.append(contentsOf: bound.utf8)
            }
            text.append(UInt8(ascii: "}"))
        }
        text.append(UInt8(ascii: " "))
        text.append(contentsOf: value.utf8)
        text.append(UInt8(ascii: "\n"))
    }

    /// `name="value",…`, each value escaped as the text format asks (backslash, quote, line feed).
    private static func render(_ labels: [(String, String)]) -> [UInt8] {
        var rendered: [UInt8] = []
        for (index, (name, value)) in labels.enumerated() {
            if index > 0 { rendered.append(UInt8(ascii: ",")) }
            rendered.append(contentsOf: name.utf8)
            rendered.append(contentsOf: #"=""#.utf8)
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): rendered.append(contentsOf: #"\\"#.utf8)
                case UInt8(ascii: "\""): rendered.append(contentsOf: #"\""#.utf8)
                case UInt8(ascii: "\n"): rendered.append(contentsOf: #"\n"#.utf8)
                default: rendered.append(byte)
                }
            }
            rendered.append(UInt8(ascii: "\""))
        }
        return rendered
    }
}
