import SwitchyardDevices
import Yams

/// One tenant: the vendor account its requests are translated for, and the budgets that protect both.
///
/// The tenant is chosen by the client's credential, never by the request, so everything needed to
/// serve it, including where its traffic goes, lives here and nowhere in the request.
public struct TenantConfiguration: Sendable, Equatable {
    /// The key under `tenants`: `[a-z0-9][a-z0-9_-]{0,62}`, as it appears in tokens, metrics and logs.
    public var name: String
    /// Where this tenant's requests go; the adapter appends the vendor's path to its prefix.
    public var upstream: UpstreamEndpoint
    /// Absolute path of a PEM bundle trusted for this upstream instead of the system store.
    public var caFilePath: String?
    /// The vendor, with its credentials and account identifiers.
    public var account: VendorAccount
    /// Inbound limit; without one the tenant is not limited by the gateway.
    public var rateLimit: RatePolicy?
    /// Outbound budget for the vendor account; without one the gateway sends as fast as it is asked.
    public var vendorQuota: RatePolicy?
    /// Calls in flight to the vendor account at once; without one, as many as the pool opens.
    public var vendorConcurrency: ConcurrencyPolicy?
    /// When to stop calling a failing vendor for a while (API.md §7); on by default.
    public var circuitBreaker = CircuitBreakerSettings()
    /// A move to another vendor under way (API.md §8).
    public var migration: MigrationConfiguration?

    /// Derived from `account`, so the two cannot disagree.
    public var vendor: Vendor { account.vendor }

    static let commonKeys = ["vendor", "upstream", "caFile", "credentials", "rateLimit", "vendorQuota", "vendorConcurrency", "circuitBreaker",
                             "migration"]
}

extension ConfigurationDecoder {
    /// The tenants, and every name given under `tenants` (valid or not) for checking references.
    func tenants(_ node: Node, at path: ConfigurationKeyPath) -> (tenants: [String: TenantConfiguration], names: Set<String>)? {
        guard let map = mapping(node, at: path) else { return nil }
        var tenants: [String: TenantConfiguration] = [:]
        for entry in map.entries {
            let tenantPath = path.appending(entry.key)
            // A bad name is reported, and the tenant still decoded so its other problems show too.
            if !isTenantName(entry.key) {
                report("tenant names are 1 to 63 lowercase letters, digits, \"_\" and \"-\", "
                    + "starting with a letter or digit", at: tenantPath, node: entry.keyNode)
            }
            tenants[entry.key] = tenant(named: entry.key, entry.value, at: tenantPath)
        }
        return (tenants, Set(map.keys))
    }

    /// A tenant, or (`isMigrationTarget`) the vendor binding a tenant moves to, which has the same
    /// keys but the tenant's own (`MigrationConfiguration.tenantOnlyKeys`).
    func tenant(named name: String, _ node: Node, at path: ConfigurationKeyPath, isMigrationTarget: Bool = false) -> TenantConfiguration? {
        guard let map = mapping(node, at: path) else { return nil }
        let vendor: Vendor? = map.decode("vendor", required: true) { choice($0, at: $1, noun: "vendor") }
        rejectUnknownTenantKeys(map, vendor: vendor, isMigrationTarget: isMigrationTarget)
        let upstream = map.decode("upstream", required: true) { upstreamEndpoint($0, at: $1) }
        let caFile = map.filePath("caFile")
        let credentials = map.mapping("credentials", required: true)
        let rateLimit = map.decode("rateLimit") { ratePolicy($0, at: $1) }
        let vendorQuota = map.decode("vendorQuota") { ratePolicy($0, at: $1, waits: true) }
        let vendorConcurrency = map.decode("vendorConcurrency") { concurrencyPolicy($0, at: $1) }
        let circuitBreaker = map.decode("circuitBreaker") { circuitBreakerSettings($0, at: $1) }
        let migration = isMigrationTarget ? nil : map.decode("migration") { self.migration($0, at: $1, tenant: name) }
        // An unknown vendor leaves nothing to check the credentials against; its error is enough.
        let account = vendor.flatMap { vendorAccount($0, tenant: map, credentials: credentials) }
        guard let upstream, let account, map.value("circuitBreaker") == nil || circuitBreaker != nil,
              isMigrationTarget || map.value("migration") == nil || migration != nil
        else { return nil }
        return TenantConfiguration(
            name: name, upstream: upstream, caFilePath: caFile, account: account,
            rateLimit: rateLimit, vendorQuota: vendorQuota, vendorConcurrency: vendorConcurrency,
            circuitBreaker: circuitBreaker ?? CircuitBreakerSettings(), migration: migration)
    }

    /// A key of another vendor (`applicationId` on a gate tenant) gets its own message: it is
    /// usually a tenant moved to a new vendor with the old vendor's keys left behind.
    private func rejectUnknownTenantKeys(_ map: MappingReader, vendor: Vendor?, isMigrationTarget: Bool) {
        let vendorKeys = Vendor.allCases.flatMap(\.tenantKeys)
        if let vendor {
            for entry in map.entries where vendorKeys.contains(entry.key) && !vendor.tenantKeys.contains(entry.key) {
                let owners = Vendor.allCases.filter { $0.tenantKeys.contains(entry.key) }.map(\.rawValue)
                report("only \(owners.joined(separator: ", ")) tenants take this key, not \(vendor.rawValue)",
                       at: map.path.appending(entry.key), node: entry.keyNode)
            }
        }
        if isMigrationTarget {
            for entry in map.entries where MigrationConfiguration.tenantOnlyKeys.contains(entry.key) {
                report("a migration's target doesn't take this key: it stays the tenant's, whichever vendor serves it",
                       at: map.path.appending(entry.key), node: entry.keyNode)
            }
        }
        map.rejectUnknownKeys(known: TenantConfiguration.commonKeys + vendorKeys)
    }

    private func isTenantName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func isLowerOrDigit(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard let first = bytes.first, bytes.count <= 63, isLowerOrDigit(first) else { return false }
        return bytes.allSatisfy { isLowerOrDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }
}
