import SwitchyardDevices
import SwitchyardHTTP

/// Where one tenant's device calls go and how they are translated: built once per
/// configuration (resolving the upstream's name blocks, so never on a loop), then shared by
/// every loop. A name that does not resolve yet is not an error here: the tenant answers 503
/// `upstream_unavailable` until `UpstreamRefresher` resolves it (API.md §4).
final class TenantRoute: Sendable {
    let name: String
    let adapter: any VendorAdapter
    let target: UpstreamTarget
    /// The upstream URL's path prefix; the adapter's path is appended to it.
    let pathPrefix: String
    /// For vendors that authenticate with an OAuth token (mobilefirst-push).
    let accessTokens: AccessTokenCache?

    init(tenant: TenantConfiguration, adapter: any VendorAdapter, loopCount: Int) throws(UpstreamError) {
        name = tenant.name
        self.adapter = adapter
        target = try tenant.upstreamTarget()
        target.refreshAddresses()
        pathPrefix = tenant.upstream.pathPrefix
        accessTokens = adapter.accessTokenRequest() == nil ? nil : AccessTokenCache(loopCount: loopCount)
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
