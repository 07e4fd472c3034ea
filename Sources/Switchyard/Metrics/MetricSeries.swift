import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO

/// The keys of the series hash cheaply: one FNV-1a pass over their label values and one
/// `Hasher` word, instead of SipHash over each string. Tallying an event on its loop is a lookup
/// by one of these keys, so their hashing is most of what it costs (measured with callgrind: about
/// 1,100 instructions a lookup with the synthesized hashing, a third of that now).
/// Equality still compares every label in full, so a collision costs a comparison, never a wrong series.
struct LabelHash {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ text: String) {
        text.withContiguousUTF8 { bytes in
            for byte in bytes { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        add(0xff)
    }

    mutating func add(_ number: Int) {
        value = (value ^ UInt64(bitPattern: Int64(number))) &* 0x100_0000_01b3
    }
}

/// A series of a counter or gauge: its metric's name and its label values in the catalogue's
/// order, at most three, inline, so that finding the series of an event allocates nothing.
struct SeriesKey: Hashable {
    var family: String
    var first: String
    var second: String
    var third: String

    init(_ family: MetricFamily, _ first: String = "", _ second: String = "", _ third: String = "") {
        precondition(family.labels.count <= 3, "a counter's series key holds three labels")
        self.family = family.name
        self.first = first
        self.second = second
        self.third = third
    }

    init(_ family: MetricFamily, labels: [String]) {
        precondition(labels.count == family.labels.count, "\(family.name) takes the labels \(family.labels)")
        self.init(family, labels.first ?? "", labels.dropFirst().first ?? "", labels.dropFirst(2).first ?? "")
    }

    /// The label values, for making the series.
    func labels(of family: MetricFamily) -> [String] {
        Array([first, second, third].prefix(family.labels.count))
    }

    func hash(into hasher: inout Hasher) {
        var hash = LabelHash()
        hash.add(family.utf8.count)
        hash.add(first)
        hash.add(second)
        hash.add(third)
        hasher.combine(hash.value)
    }
}

/// The series of a request answered (`http_server_request_duration_seconds`), in one integer:
/// tenant number, status, vendor, route and method. Tallying a request hashes this one word.
struct ServerSeries: PackedSeries {
    private let bits: UInt64

    var word: UInt64 { bits }

    init(_ sample: ServerRequestSample) {
        bits = UInt64(sample.tenant) << 32 | UInt64(min(max(sample.status, 0), 0xffff)) << 16
            | UInt64(sample.vendor.map(MetricIndex.vendor) ?? 0) << 12 | UInt64(sample.route.caseIndex) << 8 | UInt64(MetricIndex.method(sample.method))
    }

    /// The label values, in the catalogue's order, for making the series (off the loops).
    var labels: [(String, String)] {
        let method = MetricIndex.methods[Int(bits & 0xff)].metricLabel
        let vendor = Int(bits >> 12 & 0xf)
        return Array(zip(MetricFamily.serverRequestDuration.labels, [
            method, MetricIndex.routes[Int(bits >> 8 & 0xf)].rawValue, String(bits >> 16 & 0xffff), MetricLabels.value(UInt32(bits >> 32)),
            vendor == 0 ? "" : MetricIndex.vendors[vendor - 1].rawValue,
        ]))
    }
}

/// The series of a vendor call (`http_client_request_duration_seconds`): tenant and host numbers in
/// one word, status, vendor and outcome in another.
struct ClientSeries: PackedSeries {
    private let names: UInt64
    private let codes: UInt64

    var word: UInt64 { names ^ (codes &* 0x100_0000_01b3) }

    init(_ sample: ClientRequestSample) {
        names = UInt64(sample.tenant) << 32 | UInt64(sample.serverAddress)
        codes = UInt64(sample.status.map { min(max($0, 0), 0xffff) + 1 } ?? 0) << 16
            | UInt64(MetricIndex.vendor(sample.vendor)) << 8 | UInt64(sample.outcome.caseIndex)
    }

    var tenant: String { MetricLabels.value(UInt32(names >> 32)) }

    var labels: [(String, String)] {
        let status = Int(codes >> 16)
        return Array(zip(MetricFamily.clientRequestDuration.labels, [
            tenant, MetricIndex.vendors[Int(codes >> 8 & 0xff) - 1].rawValue, MetricLabels.value(UInt32(names & 0xffff_ffff)),
            status == 0 ? "" : String(status - 1), MetricIndex.outcomes[Int(codes & 0xff)].rawValue,
        ]))
    }
}

/// A rate-limit decision's series (`switchyard_rate_limit_decisions_total`), made on every request:
/// tenant number, policy and decision in one word.
struct DecisionSeries: PackedSeries {
    private let bits: UInt64

    var word: UInt64 { bits }

    init(tenant: UInt32, policy: RateLimitPolicy, decision: RateLimitOutcome) {
        bits = UInt64(tenant) << 32 | UInt64(policy.caseIndex) << 8 | UInt64(decision.caseIndex)
    }

    var labels: [String] {
        [MetricLabels.value(UInt32(bits >> 32)), MetricIndex.policies[Int(bits >> 8 & 0xff)].rawValue,
         MetricIndex.decisions[Int(bits & 0xff)].rawValue]
    }
}

/// Small numbers for the enumerations in series keys, and back. The `CaseKeyed` ones are packed
/// by their `caseIndex`, which is their place in `allCases` (`SeriesTableTests` checks it).
enum MetricIndex {
    static let methods: [HTTPMethod] = [.get, .head, .post, .put, .patch, .delete, .options, .trace, .connect, .other]
    static let routes = Route.Template.allCases
    static let vendors = Vendor.allCases
    static let outcomes = ClientOutcome.allCases
    static let policies = RateLimitPolicy.allCases
    static let decisions = RateLimitOutcome.allCases

    static func method(_ method: HTTPMethod) -> Int {
        guard let index = methods.firstIndex(of: method) else { preconditionFailure("\(method) is missing from MetricIndex.methods") }
        return index
    }

    /// 1 and up; 0 is "no vendor".
    static func vendor(_ vendor: Vendor) -> Int {
        Int(vendor.caseIndex) + 1
    }
}
