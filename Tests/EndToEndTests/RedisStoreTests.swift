import Foundation
import Synchronization
import SwitchyardSimulators
import SwitchyardTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `rateLimit.store: redis://…` end to end: real gateway processes, a real `redis-server`, tokens
/// from `switchyard token`. Cluster-wide limits, and each `onStoreFailure` mode while Redis is
/// down and after it returns.
final class RedisStoreTests: XCTestCase {
    private var redis: RedisServerProcess!
    private var gateways: [GatewayProcess] = []
    private let secret = UUID().uuidString + UUID().uuidString

    override func setUpWithError() throws {
        redis = try RedisServerProcess()
    }

    override func tearDown() {
        gateways.forEach { $0.stop() }
        redis.stop()
    }

    /// `storeTimeout` (ms) is generous where a test loads two cores with three gateways, Redis and clients.
    private func gateway(onStoreFailure: String, tenants: String, limits: String = "", storeTimeout: Int = 5) throws -> GatewayProcess {
        let configuration = GatewayProcess.configuration(limits: limits).replacingOccurrences(of: "tenants: {}", with: "") + """

        auth: {jwt: {hs256Secret: "\(secret)"}}
        rateLimit: {store: "redis://127.0.0.1:\(redis.port)", onStoreFailure: \(onStoreFailure), storeTimeoutMilliseconds: \(storeTimeout)}
        tenants:
        \(tenants)
        """
        let gateway = try GatewayProcess(configuration: configuration)
        gateways.append(gateway)
        return gateway
    }

    /// A started control-center simulator; `vendorLimits: false` lifts its own documented rate limit.
    private func controlCenter(vendorLimits: Bool = true) throws -> SimulatorHost {
        var configuration = SimulatorConfiguration(vendor: .controlCenter, certificatePath: TestEnvironment.serverCertificate,
                                                   privateKeyPath: TestEnvironment.serverKey)
        if !vendorLimits { configuration.rateLimit = nil }
        let simulator = try SimulatorHost(configuration: configuration)
        simulator.start()
        return simulator
    }

    private func token(_ gateway: GatewayProcess, tenant: String) -> String {
        TestEnvironment.run(TestEnvironment.binary.path, ["token", "--config", gateway.configPath, "--tenant", tenant,
                                                          "--scope", "devices:write"]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func post(_ client: TLSTestClient, token: String) -> TLSTestClient.Response? {
        client.send("POST /devices HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        return client.readResponse()
    }

    /// `Idempotency-Key`s live in the shared Redis (API.md §2, §7): a key answered by one replica
    /// is replayed by another, and taken there with another body it is 422; the vendor is called once.
    func testAnIdempotencyKeyAnsweredByOneReplicaIsReplayedByAnother() throws {
        let simulator = try controlCenter()
        defer { simulator.stop() }
        let tenant = "  acme: {\(DeviceTestbed.binding(.controlCenter, simulator))}"
        let first = try gateway(onStoreFailure: "local", tenants: tenant)
        let second = try gateway(onStoreFailure: "local", tenants: tenant)
        let token = token(first, tenant: "acme")
        func update(_ gateway: GatewayProcess, key: String, body: String) throws -> TLSTestClient.Response? {
            let client = try gateway.client()
            client.send("PATCH /devices/8988216716970004975 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n"
                        + "Idempotency-Key: \(key)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            return client.readResponse()
        }
        let key = "order-\(UUID().uuidString)"
        let body = #"{"sim": {"ratePlan": "Standard 5GB"}}"#
        let answered = try XCTUnwrap(try update(first, key: key, body: body))
        XCTAssertEqual(answered.status, 200)
        let replayed = try XCTUnwrap(try update(second, key: key, body: body))
        XCTAssertEqual(replayed.status, 200)
        XCTAssertEqual(replayed.header("idempotent-replayed"), "true")
        XCTAssertEqual(replayed.body, answered.body)
        let reused = try XCTUnwrap(try update(second, key: key, body: #"{"sim": {"ratePlan": "Other"}}"#))
        XCTAssertEqual(reused.status, 422)
        XCTAssertTrue(String(decoding: reused.body, as: UTF8.self).contains("idempotency_key_reused"))
        XCTAssertEqual(simulator.recordedRequests().count, 1, "one vendor call for three requests on two replicas")
    }

    func testTwoGatewaysShareOneTenantsLimit() throws {
        let tenant = "  acme: {vendor: control-center, upstream: \"https://127.0.0.1:9\", credentials: {username: u, apiKey: k}, rateLimit: {requests: 200, perSeconds: 1, burst: 50}}"
        let first = try gateway(onStoreFailure: "local", tenants: tenant)
        let second = try gateway(onStoreFailure: "local", tenants: tenant)
        let token = token(first, tenant: "acme")
        let counts = Counts()
        let start = Date()
        let group = DispatchGroup()
        for gateway in [first, second] {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                guard let client = try? gateway.client() else { return }
                // Bounded: 2 s or 20 000 requests, whichever comes first.
                for _ in 0..<20_000 where Date().timeIntervalSince(start) < 2 {
                    guard let status = Self.post(client, token: token)?.status else { counts.add(0); return }
                    counts.add(status)
                }
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
        let elapsed = Date().timeIntervalSince(start)
        let allowance = 50 + 200 * elapsed
        let admitted = Double(counts.count(501))
        XCTAssertGreaterThan(counts.count(429), 100, "both gateways pushed past the limit")
        XCTAssertEqual(counts.count(0), 0, "no connection failed")
        XCTAssertEqual(admitted, allowance, accuracy: allowance * 0.05,
                       "admitted \(admitted) of an allowance of \(allowance) over \(elapsed) s across two gateways")
    }

    /// API.md §7's "Done when": three replicas on one Redis under load from several clients keep
    /// each shared budget (a tenant's rateLimit, a vendorQuota, a vendorConcurrency cap) within 5 %;
    /// one replica killed with SIGKILL mid-run costs no 500, its clients carry on at the others
    /// (retrying with the same Idempotency-Key, which every replica knows), and the concurrency
    /// slots it held come back when their leases expire.
    func testThreeReplicasKeepEverySharedBudgetAndLoseNothingWhenOneIsKilled() throws {
        // The gateway's budgets are under test, not the vendor's.
        let metered = try controlCenter(vendorLimits: false), capped = try controlCenter(vendorLimits: false)
        defer { metered.stop(); capped.stop() }
        capped.inject(SimulatorFault(.delay(seconds: 0.2), count: 100_000))
        let tenants = """
          limited: {vendor: control-center, upstream: "https://127.0.0.1:9", credentials: {username: u, apiKey: k}, rateLimit: {requests: 150, perSeconds: 1, burst: 30}}
          metered: {\(DeviceTestbed.binding(.controlCenter, metered)), vendorQuota: {requests: 40, perSeconds: 1, burst: 10}, rateLimit: {requests: 100000, perSeconds: 1}}
          capped: {\(DeviceTestbed.binding(.controlCenter, capped)), vendorConcurrency: {limit: 3, maxWaitSeconds: 10}}
        """
        let replicas = try (0..<3).map { _ in
            try gateway(onStoreFailure: "local", tenants: tenants, limits: "upstreamTimeoutSeconds: 1, upstreamConnectTimeoutSeconds: 0.5",
                        storeTimeout: 100)
        }
        let tokens = ["limited", "metered", "capped"].reduce(into: [String: String]()) { $0[$1] = token(replicas[0], tenant: $1) }
        let counts = ["limited", "metered", "capped"].reduce(into: [String: Counts]()) { $0[$1] = Counts() }
        let retried = Counts()

        /// One client: its requests in a row to its replica, moving on to the next live one (as a load
        /// balancer would) and sending the same request again when its replica stops answering.
        @Sendable func client(tenant: String, first: Int, until end: Date) {
            var replica = first
            var connection: TLSTestClient?
            for sequence in 0..<20_000 where Date() < end {
                let key = "\(tenant)-\(first)-\(UUID().uuidString)-\(sequence)"
                let request = tenant == "limited"
                    ? "POST /devices HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(tokens[tenant]!)\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                    : "PATCH /devices/8988216716970004975 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(tokens[tenant]!)\r\n"
                        + "Idempotency-Key: \(key)\r\nContent-Type: application/json\r\nContent-Length: 37\r\n\r\n"
                        + #"{"sim": {"ratePlan": "Standard 5GB"}}"#
                var answer: TLSTestClient.Response?
                for attempt in 0..<3 {
                    if connection == nil { connection = try? replicas[replica].client() }
                    if let connection, connection.send(request) { answer = connection.readResponse(timeout: 15) }
                    if answer != nil { break }
                    // Its replica is gone: the next one, as a load balancer would (only the killed one fails).
                    connection = nil
                    replica = (replica + 1) % replicas.count
                    if attempt == 0 { retried.add(0) }
                }
                counts[tenant]!.add(answer?.status ?? 0)
                if answer?.header("connection") == "close" { connection = nil }
            }
        }
        let start = Date()
        let end = start.addingTimeInterval(3)
        let group = DispatchGroup()
        let finished = Mutex([String: Date]())
        for tenant in ["limited", "metered", "capped"] {
            for replica in 0..<3 {
                for _ in 0..<2 {
                    group.enter()
                    Thread.detachNewThread {
                        client(tenant: tenant, first: replica, until: end)
                        finished.withLock { $0[tenant] = max($0[tenant] ?? .distantPast, Date()) }
                        group.leave()
                    }
                }
            }
        }
        // Mid-run, the third replica dies without a word: its leases and keys stay in Redis.
        Thread.sleep(forTimeInterval: 1.5)
        replicas[2].signal(SIGKILL)
        let killedAt = Date()
        XCTAssertNotNil(replicas[2].waitForExit(timeout: 5))
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        func elapsed(_ tenant: String) -> Double { finished.withLock { $0[tenant]! }.timeIntervalSince(start) }

        for (tenant, count) in counts {
            XCTAssertEqual(count.count(0), 0, "\(tenant): every request was answered by some replica")
            XCTAssertEqual(count.count(500), 0, "\(tenant): no 500")
        }
        XCTAssertGreaterThan(retried.count(0), 0, "clients of the killed replica moved on")
        // The tenant's rateLimit: 30 at once, then 150 per second, for all replicas together.
        let limited = counts["limited"]!
        let allowance = 30 + 150 * elapsed("limited")
        XCTAssertGreaterThan(limited.count(429), 100, "the clients pushed past the limit")
        XCTAssertEqual(Double(limited.count(501)), allowance, accuracy: allowance * 0.05,
                       "admitted \(limited.count(501)) of \(allowance) over \(elapsed("limited")) s on three replicas")
        // The vendorQuota: what reached the vendor, 10 at once then 40 per second.
        let quota = 10 + 40 * elapsed("metered")
        let called = Double(metered.statistics().requests)
        XCTAssertGreaterThan(counts["metered"]!.count(429), 100, "the clients pushed past the quota")
        XCTAssertEqual(called, quota, accuracy: quota * 0.05, "the vendor saw \(called) calls of a quota of \(quota) over \(elapsed("metered")) s")
        XCTAssertEqual(Double(counts["metered"]!.count(200)), called, accuracy: 3, "each call was a 200 to a client (a few lost with the killed replica)")
        // The vendorConcurrency cap: never more than 3 in flight at the vendor, and every call served
        // (or, for a retry of one the killed replica had taken, 409 until its key's claim expires).
        XCTAssertEqual(capped.statistics().maxInFlight, 3, "the cap, reached and never passed; " + replicas[0..<2].map {
            $0.metricsText.split(separator: "\n").filter { $0.contains("store_failure") || $0.hasPrefix("switchyard_rate_limit_store_failures_total") }
                .joined(separator: "\n")
        }.joined(separator: "\n"))
        let served = counts["capped"]!
        XCTAssertEqual(served.count(200) + served.count(409), served.total, "capped: \(served.all)")
        XCTAssertGreaterThan(served.count(200), 20)

        // The slots the killed replica held come back once their leases expire (upstreamTimeoutSeconds + 5 s).
        let leases = "switchyard:vc:{capped}:leases"
        Thread.sleep(forTimeInterval: max(0, 6.2 - Date().timeIntervalSince(killedAt)))
        capped.reset()
        capped.inject(SimulatorFault(.delay(seconds: 0.5), count: 3))
        let burst = DispatchGroup()
        for replica in 0..<2 {
            for _ in 0..<(replica == 0 ? 2 : 1) {
                burst.enter()
                Thread.detachNewThread { client(tenant: "capped", first: replica, until: Date().addingTimeInterval(0.1)); burst.leave() }
            }
        }
        XCTAssertEqual(burst.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(capped.statistics().maxInFlight, 3, "all three slots are back: \(TestEnvironment.run("redis-cli", ["-p", String(redis.port), "ZRANGE", leases, "0", "-1", "WITHSCORES"]).output)")
        XCTAssertEqual(TestEnvironment.run("redis-cli", ["-p", String(redis.port), "ZCARD", leases]).output
            .trimmingCharacters(in: .whitespacesAndNewlines), "0", "every live replica gave its leases back")
    }

    /// API.md §7's target: the vendor quota on Redis costs no round trip of its own for a single change
    /// whose tenant has a rateLimit too: both are one script (EVALSHA), counted by Redis itself. A
    /// request the tenant's limit refuses spends no quota.
    func testTheVendorQuotaRidesTheTenantLimitsRoundTrip() throws {
        let simulator = try controlCenter()
        defer { simulator.stop() }
        let tenant = "  acme: {\(DeviceTestbed.binding(.controlCenter, simulator)), rateLimit: {requests: 4, perSeconds: 60}, vendorQuota: {requests: 100, perSeconds: 60}}"
        // A deadline no busy machine misses: this test counts round trips, not their time (at the 5 ms
        // default, a first decision slowed by a loaded CI host is a store failure, refused under `closed`).
        let gateway = try gateway(onStoreFailure: "closed", tenants: tenant, storeTimeout: 500)
        let token = token(gateway, tenant: "acme")
        func redis(_ arguments: String...) -> String {
            TestEnvironment.run("redis-cli", ["-p", String(self.redis.port)] + arguments).output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        _ = redis("CONFIG", "RESETSTAT")
        let client = try gateway.client()
        var statuses: [Int] = []
        for _ in 0..<6 {
            client.send("PATCH /devices/8988216716970004975 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 37\r\n\r\n" + #"{"sim": {"ratePlan": "Standard 5GB"}}"#)
            statuses.append(client.readResponse()?.status ?? 0)
        }
        XCTAssertEqual(statuses, [200, 200, 200, 200, 429, 429])
        let scripts = redis("INFO", "commandstats").split(whereSeparator: \.isNewline).filter { $0.hasPrefix("cmdstat_eval") }
        XCTAssertEqual(scripts.count, 1, "\(scripts)")
        XCTAssertTrue(scripts.first?.hasPrefix("cmdstat_evalsha:calls=6,") ?? false, "one script per request, both budgets in it: \(scripts)")
        XCTAssertEqual(simulator.recordedRequests().count, 4)
        // 4 of the quota's 100 spent, by the admitted requests only: 96 remain, as the TAT says (4 × 600 ms ahead).
        let time = redis("TIME").split(whereSeparator: \.isNewline).compactMap { Double($0) }
        let ahead = (Double(redis("GET", "switchyard:vq:acme")) ?? 0) / 1e6 - (time.first ?? 0) - (time.last ?? 0) / 1e6
        XCTAssertEqual(ahead, 2.4, accuracy: 0.5)
    }

    func testRedisDownThenBackUnderEachFailureMode() throws {
        func tenant(_ name: String) -> String {
            "  \(name): {vendor: control-center, upstream: \"https://127.0.0.1:9\", credentials: {username: u, apiKey: k}, rateLimit: {requests: 5, perSeconds: 60, burst: 5}}"
        }
        let modes = ["local", "open", "closed"]
        // A store timeout a busy machine can't miss: one late answer while Redis decides would be
        // decided by the process's own limiter too, and count against the local mode's budget below.
        // A dead store fails at once (the connection is refused), whatever the timeout.
        let gateways = try modes.map { try gateway(onStoreFailure: $0, tenants: tenant("t-\($0)"), storeTimeout: 250) }
        let clients = try gateways.map { try $0.client() }
        let tokens = zip(gateways, modes).map { token($0, tenant: "t-\($1)") }

        // Redis decides: 5 admitted, then refused.
        for (client, token) in zip(clients, tokens) {
            XCTAssertEqual((0..<6).map { _ in Self.post(client, token: token)?.status }, [501, 501, 501, 501, 501, 429])
        }

        redis.stop(signal: SIGKILL)
        var slowest = 0.0
        func timed(_ client: TLSTestClient, _ token: String) -> Int? {
            let start = Date()
            let status = Self.post(client, token: token)?.status
            slowest = max(slowest, Date().timeIntervalSince(start))
            return status
        }
        // local: this process's own limiter, which had counted nothing: its burst, then refused.
        XCTAssertEqual((0..<6).map { _ in timed(clients[0], tokens[0]) }, [501, 501, 501, 501, 501, 429])
        // open: everything admitted, the policy still stated (API.md §2: in every mode).
        for _ in 0..<6 {
            let start = Date()
            let admitted = try XCTUnwrap(Self.post(clients[1], token: tokens[1]))
            slowest = max(slowest, Date().timeIntervalSince(start))
            XCTAssertEqual(admitted.status, 501)
            XCTAssertEqual(admitted.header("ratelimit-policy"), #""tenant";q=5;w=60"#)
            XCTAssertTrue(admitted.header("ratelimit")?.hasPrefix(#""tenant";r="#) ?? false, admitted.header("ratelimit") ?? "none")
            XCTAssertNil(admitted.header("retry-after"))
        }
        // closed: everything refused, as over the limit.
        let refused = try XCTUnwrap(Self.post(clients[2], token: tokens[2]))
        XCTAssertEqual(refused.status, 429)
        XCTAssertEqual(refused.json?["code"] as? String, "rate_limited")
        XCTAssertEqual(refused.header("retry-after"), "1")
        XCTAssertEqual(Set((0..<5).map { _ in timed(clients[2], tokens[2]) }), [429])
        XCTAssertLessThan(slowest, 0.5, "no request waits on a dead store (each answer took at most \(slowest) s)")

        // Redis returns (empty: no persistence) and decides again within the reconnect backoff:
        // in open mode the sixth request of a fresh budget is refused once more.
        try redis.start()
        var recovered = false
        for _ in 0..<40 where !recovered {
            usleep(250_000)
            let statuses = (0..<6).map { _ in Self.post(clients[1], token: tokens[1])?.status }
            recovered = statuses.last == 429
        }
        XCTAssertTrue(recovered, "limits resumed when Redis came back")
        XCTAssertTrue(gateways[1].output.contains("rate-limit store"), "the outage was logged: \(gateways[1].output)")
    }
}

private final class Counts: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [Int: Int] = [:]
    func add(_ status: Int) { lock.lock(); counts[status, default: 0] += 1; lock.unlock() }
    func count(_ status: Int) -> Int { lock.lock(); defer { lock.unlock() }; return counts[status, default: 0] }
    var total: Int { lock.lock(); defer { lock.unlock() }; return counts.values.reduce(0, +) }
    var all: [Int: Int] { lock.lock(); defer { lock.unlock() }; return counts }
}
