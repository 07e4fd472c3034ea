import SwitchyardDevices
import SwitchyardJSON
import Synchronization

/// A tenant's migration in one configuration (API.md §8): its settings, both bindings, who
/// serves which device, the canary's health, and the report, which outlives the configuration while
/// the target stays the same.
final class Migration: Sendable {
    let settings: MigrationConfiguration
    /// `settings.ignore`, for the comparison.
    let ignoring: Set<String>
    let current: VendorBinding
    let target: VendorBinding
    let report: MigrationReport
    /// Told when a canary goes back to `mirror` by itself.
    private let log: @Sendable (String) -> Void

    /// Changes each vendor was given during a canary and how many failed (`recordOutcome`); set
    /// `rolledBack` when the target's share of failures passed the current vendor's by more than
    /// `rollback.maxErrorRateIncrease`. Per configuration: a reload starts the canary afresh.
    private struct Health {
        var currentCalls = 0
        var currentFailures = 0
        var targetCalls = 0
        var targetFailures = 0
        var rolledBack = false
    }

    private let health = Mutex(Health())

    init(settings: MigrationConfiguration, current: VendorBinding, target: VendorBinding, report: MigrationReport,
         log: @escaping @Sendable (String) -> Void) {
        self.settings = settings
        ignoring = Set(settings.ignore)
        self.current = current
        self.target = target
        self.report = report
        self.log = log
    }

    /// The stage in effect: the configured one, but `mirror` once a canary rolled back.
    var stage: MigrationConfiguration.Stage {
        settings.stage == .canary && health.withLock(\.rolledBack) ? .mirror : settings.stage
    }

    /// Whether the target serves the device named `key` (its canonical id, `iccid:8988…`): every
    /// device in `cutover`, none in `mirror`, and in a `canary` those whose key hashes within
    /// `percent` (FNV-1a, so the same device always goes the same way, on every replica).
    func servesFromTarget(deviceKey key: String?, stage: MigrationConfiguration.Stage) -> Bool {
        switch stage {
        case .mirror: false
        case .cutover: true
        case .canary: key.map { Self.share(of: $0) < settings.percent } ?? false
        }
    }

    /// Where `key` falls from 0 up to 100, in steps of 0.01.
    static func share(of key: String) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return Double(hash % 10_000) / 100
    }

    /// One change's outcome at `target` or at the current vendor during a canary: a failure is a
    /// vendor 5xx or a transport failure (`failed`), or the target refusing a change the current
    /// vendor took. Rolls the canary back to `mirror` when the target fares worse than allowed.
    func recordOutcome(atTarget: Bool, failed: Bool) {
        guard settings.stage == .canary else { return }
        let rollback = settings.rollback
        let reason: String? = health.withLock { health in
            if atTarget {
                health.targetCalls += 1
                if failed { health.targetFailures += 1 }
            } else {
                health.currentCalls += 1
                if failed { health.currentFailures += 1 }
            }
            guard !health.rolledBack, health.targetCalls >= rollback.minimumCalls, health.currentCalls >= rollback.minimumCalls
            else { return nil }
            let targetShare = Double(health.targetFailures) / Double(health.targetCalls)
            let currentShare = Double(health.currentFailures) / Double(health.currentCalls)
            guard targetShare - currentShare > rollback.maxErrorRateIncrease else { return nil }
            health.rolledBack = true
            return "\(report.targetVendor.rawValue) failed \(health.targetFailures) of \(health.targetCalls) changes, "
                + "\(report.currentVendor.rawValue) \(health.currentFailures) of \(health.currentCalls)"
        }
        guard let reason else { return }
        report.recordRollback(reason: reason)
        log("migration of tenant \(report.tenant) rolled back from canary to mirror: \(reason); a reload starts the canary again")
    }

    /// A vendor 5xx or a transport failure: what counts against a vendor in a canary.
    static func isVendorFailure(_ result: DeviceResult) -> Bool {
        guard case .failed(let problem) = result else { return false }
        return problem.code.status >= 502
    }
}

extension GatewayState {
    /// Each migrating tenant's migration; its report is `previous`'s when the target is the same.
    static func migrations(of configuration: GatewayConfiguration, bindings: [String: VendorBinding],
                           previous: GatewayState?, log: @escaping @Sendable (String) -> Void) -> [String: Migration] {
        var migrations: [String: Migration] = [:]
        for (name, tenant) in configuration.tenants {
            guard let settings = tenant.migration, let current = bindings[name],
                  let target = bindings[MigrationConfiguration.bindingName(of: name)] else { continue }
            let (currentVendor, targetVendor) = (current.route.vendor, target.route.vendor)
            let kept = previous?.migrations[name].flatMap { old in
                old.settings.target == settings.target && old.current.route.vendor == currentVendor ? old.report : nil
            }
            let report = kept ?? MigrationReport(tenant: name, currentVendor: currentVendor, targetVendor: targetVendor)
            migrations[name] = Migration(settings: settings, current: current, target: target, report: report, log: log)
        }
        return migrations
    }
}

extension Gateway {
    /// `GET /-/migrations` (API.md §8): every migrating tenant's report in the running
    /// configuration, by tenant name.
    public func migrationReports() -> [UInt8] {
        let state = runningState
        var json = JSONWriter()
        json.beginObject()
        json.key("migrations")
        json.beginArray()
        for (_, migration) in state.migrations.sorted(by: { $0.key < $1.key }) {
            migration.report.write(to: &json, stage: migration.stage, configuredStage: migration.settings.stage)
        }
        json.endArray()
        json.endObject()
        return json.bytes
    }
}
