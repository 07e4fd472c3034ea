import Foundation
import SwitchyardDevices
import SwitchyardHTTP

/// Where one tenant's device calls go and how they are translated: built once per
/// configuration (resolving the upstream's name blocks, so never on a loop), then shared by
/// every loop. A name that does not resolve yet is not an error here: the tenant answers 503
/// `upstream_unavailable` until `UpstreamRefresher` resolves it (API.md §4).
final class TenantRoute: Sendable {
    /// The binding's name: the tenant's, or its migration target's (`MigrationConfiguration.bindingName(of:)`),
    /// under which the binding's quota, cap and circuit are kept.
    let name: String
    /// The tenant served: for metrics and logs, whichever of its bindings this is.
    let tenant: String
    let adapter: any VendorAdapter
    /// What every request asks of the adapter, read once: each read through `adapter` copies the
    /// existential (and retains what it holds), about 55 instructions a use.
    let vendor: Vendor
    let primaryKind: IdentifierKind?
    let addressableKinds: CaseSet<IdentifierKind>
    let batchSize: Int
    let fanOutConcurrency: Int
    let target: UpstreamTarget
    /// The upstream URL's path prefix; the adapter's path is appended to it.
    let pathPrefix: String
    /// For vendors that authenticate with an OAuth token (mobilefirst-push).
    let accessTokens: AccessTokenCache?
    /// The tenant's `caFile` as it was when the route was built: a reload that finds other bytes
    /// there builds a new route, so a rotated CA is trusted without a restart.
    let caBundle: [UInt8]?
    /// The tenant's name and its upstream's host as `MetricLabels` numbers.
    let tenantLabel: UInt32
    let hostLabel: UInt32

    init(tenant: TenantConfiguration, adapter: any VendorAdapter, loopCount: Int) throws(UpstreamError) {
        name = tenant.name
        self.tenant = MigrationConfiguration.tenant(ofBinding: tenant.name)
        self.adapter = adapter
        vendor = adapter.vendor
        primaryKind = adapter.primaryKind
        addressableKinds = adapter.addressableKinds
        batchSize = max(1, adapter.batchSize)
        fanOutConcurrency = max(1, adapter.fanOutConcurrency)
        caBundle = Self.readCABundle(tenant.caFilePath)
        target = try tenant.upstreamTarget()
        target.refreshAddresses()
        pathPrefix = tenant.upstream.pathPrefix
        accessTokens = adapter.accessTokenRequest() == nil ? nil : AccessTokenCache(loopCount: loopCount)
        tenantLabel = MetricLabels.number(self.tenant)
        hostLabel = MetricLabels.number(target.host)
    }
}

extension TenantRoute {
    // The two adapter calls every request makes, made here, where `adapter` is the route's own
    // `let` and is lent as it lies: made through `route.adapter`, each copied the existential (its
    // box retained) and destroyed it around the call.

    /// `VendorAdapter.request(for:accessToken:now:body:)`.
    func request(for changes: [DeviceChange], accessToken: String?, now: Double, body: consuming [UInt8]) -> UpstreamRequest {
        adapter.request(for: changes, accessToken: accessToken, now: now, body: body)
    }

    /// `VendorAdapter.interpret(_:for:lists:)`.
    func interpret(_ response: UpstreamResponse, for changes: [DeviceChange], lists: AnswerLists?) -> VendorAnswer {
        adapter.interpret(response, for: changes, lists: lists)
    }

    /// The CA file's bytes (blocking: never on a loop); nil without one, or when it can't be read
    /// (building the target then says why).
    static func readCABundle(_ path: String?) -> [UInt8]? {
        path.flatMap { FileManager.default.contents(atPath: $0) }.map { Array($0) }
    }
}

extension TenantConfiguration {
    /// The tenant's upstream as a target whose name is not resolved yet (`refreshAddresses()`
    /// does that, blocking); throws when the CA file can't be loaded.
    public func upstreamTarget() throws(UpstreamError) -> UpstreamTarget {
        try UpstreamTarget(unresolvedScheme: upstream.scheme == .https ? .https : .http, host: upstream.host,
                           port: upstream.port, caFile: caFilePath)
    }
}
