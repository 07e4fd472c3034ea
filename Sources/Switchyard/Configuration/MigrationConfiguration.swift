import Yams

/// A tenant on its way to another vendor (API.md §8): the target binding and how far the move
/// has gone. Each stage is a reload away from the next and from the one before.
public struct MigrationConfiguration: Sendable, Equatable {
    public enum Stage: String, Sendable, Equatable, CaseIterable {
        /// The current vendor serves; each change it accepted is sent to the target afterwards.
        case mirror
        /// `percent` of the devices (by a stable hash of their id) are served by the target.
        case canary
        /// The target serves; each change is still sent to the previous vendor afterwards.
        case cutover
    }

    /// When a canary goes back to `mirror` by itself: the target's share of failed calls exceeds
    /// the current vendor's by more than `maxErrorRateIncrease`, over at least `minimumCalls` of each.
    public struct Rollback: Sendable, Equatable {
        /// 0 to 1.
        public var maxErrorRateIncrease = 0.02
        /// 1 to 1000000.
        public var minimumCalls = 200

        public init() {}

        static let keys = ["maxErrorRateIncrease", "minimumCalls"]
    }

    /// The target: a whole vendor binding, read and checked as a tenant's own (its vendor,
    /// upstream, credentials, quota, concurrency cap and circuit), named `bindingName(of:)` so
    /// that its budgets, pool and token cache are its own.
    public var target: TenantConfiguration { targetStorage.value }
    /// A tenant's configuration holds its migration, which holds a tenant's configuration: one of
    /// the two must be a reference for the type to have a size.
    private let targetStorage: TargetStorage
    public var stage: Stage
    /// The share of devices the target serves in `canary`, 0 to 100.
    public var percent: Double
    /// RFC 6901 pointers into the device document left out of the comparison.
    public var ignore: [String]
    public var rollback: Rollback

    public init(target: TenantConfiguration, stage: Stage, percent: Double = 0, ignore: [String] = [], rollback: Rollback = Rollback()) {
        targetStorage = TargetStorage(target)
        self.stage = stage
        self.percent = percent
        self.ignore = ignore
        self.rollback = rollback
    }

    /// The target binding's name: where its limits, circuit and route are kept beside the tenants'.
    /// No tenant can be named so (`>` is not allowed in tenant names).
    public static func bindingName(of tenant: String) -> String { tenant + bindingSuffix }

    /// The tenant a binding serves: its own name, or the migrating tenant's for a target.
    public static func tenant(ofBinding name: String) -> String {
        name.hasSuffix(bindingSuffix) ? String(name.dropLast(bindingSuffix.count)) : name
    }

    private static let bindingSuffix = ">migration"

    static let keys = ["to", "stage", "percent", "ignore", "rollback"]

    private final class TargetStorage: Sendable, Equatable {
        let value: TenantConfiguration

        init(_ value: TenantConfiguration) {
            self.value = value
        }

        static func == (lhs: TargetStorage, rhs: TargetStorage) -> Bool { lhs.value == rhs.value }
    }
    /// A tenant's keys that a target doesn't take: clients are limited by the tenant, whoever serves them.
    static let tenantOnlyKeys = ["rateLimit", "migration"]
}

extension ConfigurationDecoder {
    func migration(_ node: Node, at path: ConfigurationKeyPath, tenant: String) -> MigrationConfiguration? {
        guard let map = mapping(node, at: path) else { return nil }
        map.rejectUnknownKeys(known: MigrationConfiguration.keys)
        let target = map.decode("to", required: true) { node, path in
            self.tenant(named: MigrationConfiguration.bindingName(of: tenant), node, at: path, isMigrationTarget: true)
        }
        let stage: MigrationConfiguration.Stage? = map.decode("stage", required: true) { choice($0, at: $1, noun: "stage") }
        let percent = map.decode("percent") { percentage($0, at: $1) }
        let ignore = map.decode("ignore") { jsonPointers($0, at: $1) }
        let rollback = map.decode("rollback") { migrationRollback($0, at: $1) }
        guard let target, let stage, map.value("percent") == nil || percent != nil, map.value("ignore") == nil || ignore != nil,
              map.value("rollback") == nil || rollback != nil
        else { return nil }
        if stage == .canary, percent == nil {
            report("a canary needs \"percent\": the share of devices the target serves, 0 to 100", at: path.appending("percent"), node: node)
            return nil
        }
        return MigrationConfiguration(target: target, stage: stage, percent: percent ?? 0, ignore: ignore ?? [],
                                      rollback: rollback ?? MigrationConfiguration.Rollback())
    }

    private func percentage(_ node: Node, at path: ConfigurationKeyPath) -> Double? {
        guard let text = text(node, at: path, expected: "a number from 0 to 100") else { return nil }
        guard let value = Double(text), value.isFinite, (0...100).contains(value) else {
            report("expected a number from 0 to 100, found \(quoted(text))", at: path, node: node)
            return nil
        }
        return value
    }

    /// Pointers into the device document: each starts with `/` (RFC 6901; the document itself,
    /// the empty pointer, can't be left out).
    private func jsonPointers(_ node: Node, at path: ConfigurationKeyPath) -> [String]? {
        guard let items = sequence(node, at: path) else { return nil }
        var pointers: [String] = []
        for (index, item) in items.enumerated() {
            let itemPath = path.appending(index: index)
            guard let pointer = string(item, at: itemPath) else { return nil }
            guard pointer.hasPrefix("/") else {
                report("expected a JSON pointer such as \"/updatedAt\", found \(quoted(pointer))", at: itemPath, node: item)
                return nil
            }
            pointers.append(pointer)
        }
        return pointers
    }

    private func migrationRollback(_ node: Node, at path: ConfigurationKeyPath) -> MigrationConfiguration.Rollback? {
        guard let map = mapping(node, at: path) else { return nil }
        map.rejectUnknownKeys(known: MigrationConfiguration.Rollback.keys)
        let increase = map.decode("maxErrorRateIncrease") { self.ratio($0, at: $1) }
        let minimumCalls = map.integer("minimumCalls", in: 1...1_000_000)
        guard map.value("maxErrorRateIncrease") == nil || increase != nil, map.value("minimumCalls") == nil || minimumCalls != nil
        else { return nil }
        var rollback = MigrationConfiguration.Rollback()
        rollback.maxErrorRateIncrease = increase ?? rollback.maxErrorRateIncrease
        rollback.minimumCalls = minimumCalls ?? rollback.minimumCalls
        return rollback
    }
}

extension GatewayConfiguration {
    /// Every vendor binding: each tenant's own under its name, and each migration's target under
    /// `MigrationConfiguration.bindingName(of:)`. Routes, vendor quotas, concurrency caps and
    /// circuits are kept per binding.
    public var vendorBindings: [String: TenantConfiguration] {
        var bindings = tenants
        for (name, tenant) in tenants {
            if let migration = tenant.migration { bindings[MigrationConfiguration.bindingName(of: name)] = migration.target }
        }
        return bindings
    }
}
