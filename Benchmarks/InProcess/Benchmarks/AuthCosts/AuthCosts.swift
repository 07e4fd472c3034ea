import Benchmark
import SuiteDefaults
import Switchyard

/// Checking a bearer JWT (HS256), as every `/devices` request does: `Authenticator.authenticate`
/// without a cache (the signature checked and the claims read every time: a client's first request
/// on a loop) and with the loop's `AuthenticationCache` already holding the token (every request
/// after that). Built from `AuthSettings` as `AuthenticatorTests` builds it, issuer and audience
/// required, and the token minted by `HS256TokenMinter` as `switchyard token` mints it.
let benchmarks: @Sendable () -> Void = {
    SuiteDefaults.apply()

    let now = 1_800_000_000
    let secret = Secret("0123456789abcdef0123456789abcdef-bench-secret")
    var jwt = JWTSettings()
    jwt.issuer = "https://id.example"
    jwt.audience = "switchyard"
    jwt.hs256Secret = secret
    let authenticator = try! Authenticator(
        settings: AuthSettings(jwt: jwt, apiKeys: []), tenantNames: ["acme", "globex"], jwksDocument: nil)
    let token = try! HS256TokenMinter.mint(
        secret: secret, tenant: "acme", scopes: [.devicesWrite, .devicesBulk],
        issuedAt: now, expiresAt: now + 3600, issuer: jwt.issuer, audience: jwt.audience)
    let header = "Bearer \(token)"
    guard case .success = authenticator.authenticate(authorizationHeader: header, now: Double(now)) else {
        fatalError("the minted token does not verify")
    }

    Benchmark("authenticate: HS256 JWT, no cache") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(authenticator.authenticate(authorizationHeader: header, now: Double(now)))
        }
    }

    let cache = AuthenticationCache()
    _ = authenticator.authenticate(authorizationHeader: header, now: Double(now), cache: cache)
    Benchmark("authenticate: HS256 JWT, cached") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(authenticator.authenticate(authorizationHeader: header, now: Double(now), cache: cache))
        }
    }
}
