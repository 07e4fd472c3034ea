import ArgumentParser
import Foundation
import Switchyard

/// `switchyard token --config FILE --tenant T --scope "devices:write" [--ttl 3600]`: mints an HS256
/// token the gateway accepts, signed with the configured `auth.jwt.hs256Secret`.
struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mint an HS256 JWT for a tenant, signed with the configured hs256Secret.",
        discussion: "Prints the token on standard output. The token carries tenant, scope, iat and exp, and iss/aud when auth.jwt sets issuer/audience. Reads only the file's auth section and its tenants' names (no TLS files, no vendor credentials). Exits 1 when the auth section is invalid, has no hs256Secret, or the file has no such tenant."
    )

    @OptionGroup var options: ConfigurationOption

    @Option(name: .long, help: ArgumentHelp("A configured tenant's name.", valueName: "name"))
    var tenant: String

    @Option(name: .long, help: ArgumentHelp(
        "Space-separated scopes (\(Scope.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "scopes"))
    var scope: String = Scope.devicesWrite.rawValue

    @Option(name: .long, help: ArgumentHelp("Lifetime in seconds (1 to 31536000).", valueName: "seconds"))
    var ttl: Int = 3600

    func validate() throws {
        guard (1...31_536_000).contains(ttl) else { throw ValidationError("--ttl must be between 1 and 31536000 seconds") }
        for name in scope.split(separator: " ") where Scope(rawValue: String(name)) == nil {
            throw ValidationError("unknown scope \"\(name)\" (known: \(Scope.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    func run() throws {
        // Only the auth section and the tenants' names: no TLS files, no vendor credentials.
        let settings: (auth: AuthSettings, tenantNames: Set<String>)
        do {
            settings = try GatewayConfiguration.loadTokenSettings(path: options.config)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        guard let jwt = settings.auth.jwt, let secret = jwt.hs256Secret else {
            printError("\(options.config): auth.jwt.hs256Secret is not set; only tokens for it can be minted here")
            throw ExitCode(1)
        }
        guard settings.tenantNames.contains(tenant) else {
            let known = settings.tenantNames.sorted().joined(separator: ", ")
            printError("\(options.config): no tenant named \"\(tenant)\" (configured: \(known.isEmpty ? "none" : known))")
            throw ExitCode(1)
        }
        var scopes: [Scope] = []
        for name in scope.split(separator: " ") {
            if let s = Scope(rawValue: String(name)), !scopes.contains(s) { scopes.append(s) }
        }
        let now = Int(Date().timeIntervalSince1970)
        do {
            let token = try HS256TokenMinter.mint(
                secret: secret, tenant: tenant, scopes: scopes, issuedAt: now, expiresAt: now + ttl,
                issuer: jwt.issuer, audience: jwt.audience)
            printNow(token)
        } catch {
            printError("\(options.config): \(error)")
            throw ExitCode(1)
        }
    }
}
