import SwitchyardHTTP

/// Where one tenant's device calls go and how they are translated: built once per
/// configuration (resolving the upstream's name blocks, so never on a loop), then shared by
/// every loop.
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
        let upstream = tenant.upstream
        target = try UpstreamTarget(
            scheme: upstream.scheme == .https ? .https : .http, host: upstream.host, port: upstream.port,
            caFile: tenant.caFilePath)
        pathPrefix = upstream.pathPrefix
        accessTokens = adapter.accessTokenRequest() == nil ? nil : AccessTokenCache(loopCount: loopCount)
    }
}
