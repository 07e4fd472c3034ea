import SwitchyardJSON

/// A tenant's migration in one configuration (API.md §8): its settings, both bindings' routes and
/// the report, which outlives the configuration while the target stays the same.
final class Migration: Sendable {
    let settings: MigrationConfiguration
    /// `settings.ignore`, for the comparison.
    let ignoring: Set<String>
    let current: TenantRoute
    let target: TenantRoute
    let report: MigrationReport

    init(settings: MigrationConfiguration, current: TenantRoute, target: TenantRoute, report: MigrationReport) {
        self.settings = settings
        ignoring = Set(settings.ignore)
        self.current = current
        self.target = target
        self.report = report
    }
}

extension GatewayState {
    /// Each migrating tenant's migration; its report is `previous`'s when the target is the same.
    static func migrations(of configuration: GatewayConfiguration, routes: [String: TenantRoute],
                           previous: GatewayState?) -> [String: Migration] {
        var migrations: [String: Migration] = [:]
        for (name, tenant) in configuration.tenants {
            guard let settings = tenant.migration, let current = routes[name],
                  let target = routes[MigrationConfiguration.bindingName(of: name)] else { continue }
            let kept = previous?.migrations[name].flatMap { old in
                old.settings.target == settings.target && old.current.adapter.vendor == current.adapter.vendor ? old.report : nil
            }
            let report = kept ?? MigrationReport(tenant: name, currentVendor: current.adapter.vendor, targetVendor: target.adapter.vendor)
            migrations[name] = Migration(settings: settings, current: current, target: target, report: report)
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
            migration.report.write(to: &json, stage: migration.settings.stage)
        }
        json.endArray()
        json.endObject()
        return json.bytes
    }
}
