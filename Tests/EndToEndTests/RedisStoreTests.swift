import Foundation
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

    private func gateway(onStoreFailure: String, tenants: String) throws -> GatewayProcess {
        let configuration = GatewayProcess.configuration().replacingOccurrences(of: "tenants: {}", with: "") + """

        auth: {jwt: {hs256Secret: "\(secret)"}}
        rateLimit: {store: "redis://127.0.0.1:\(redis.port)", onStoreFailure: \(onStoreFailure)}
        tenants:
        \(tenants)
        """
        let gateway = try GatewayProcess(configuration: configuration)
        gateways.append(gateway)
        return gateway
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
        let simulator = try SimulatorHost(configuration: SimulatorConfiguration(
            vendor: .controlCenter, certificatePath: TestEnvironment.serverCertificate, privateKeyPath: TestEnvironment.serverKey))
        simulator.start()
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

    func testRedisDownThenBackUnderEachFailureMode() throws {
        func tenant(_ name: String) -> String {
            "  \(name): {vendor: control-center, upstream: \"https://127.0.0.1:9\", credentials: {username: u, apiKey: k}, rateLimit: {requests: 5, perSeconds: 60, burst: 5}}"
        }
        let modes = ["local", "open", "closed"]
        let gateways = try modes.map { try gateway(onStoreFailure: $0, tenants: tenant("t-\($0)")) }
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
}
