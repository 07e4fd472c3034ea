import Foundation
@testable import Switchyard
import SwitchyardIO
@testable import SwitchyardRedis
import SwitchyardTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Harness

/// A value handed between the test thread and a loop thread; the semaphore in `run(on:)` orders
/// the accesses.
final class RedisTestBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

final class TestLoop: @unchecked Sendable {
    let loop: EventLoop
    private let thread: EventLoopThread

    init(index: Int = 0) throws {
        loop = try EventLoop(index: index)
        thread = loop.start(name: "redis-test-\(index)")
    }

    /// Runs `body` on the loop; it calls `done` once, from the loop. nil on timeout.
    func run<T>(timeout: Double = 10, _ body: @escaping @Sendable (EventLoop, @escaping (T) -> Void) -> Void) -> T? {
        let result = RedisTestBox<T?>(nil)
        let finished = RedisTestBox(false)
        let semaphore = DispatchSemaphore(value: 0)
        loop.execute { loop in
            body(loop) { value in
                guard !finished.value else { return }
                finished.value = true
                result.value = value
                semaphore.signal()
            }
        }
        guard semaphore.wait(timeout: .now() + timeout) == .success else { return nil }
        return result.value
    }

    func stop() {
        loop.stop()
        thread.join()
    }
}

// MARK: - RESP

final class RESPRedisTests: XCTestCase {
    static let samples: [(String, RESPValue)] = [
        ("+OK\r\n", .simpleString("OK")),
        ("-ERR wrong type\r\n", .error("ERR wrong type")),
        (":-42\r\n", .integer(-42)),
        (":9223372036854775807\r\n", .integer(.max)),
        ("$5\r\nhe\r\no\r\n", .bulkString(Array("he\r\no".utf8))),
        ("$0\r\n\r\n", .bulkString([])),
        ("$-1\r\n", .null),
        ("*-1\r\n", .null),
        ("_\r\n", .null),
        ("*0\r\n", .array([])),
        ("*4\r\n:1\r\n$3\r\nfoo\r\n*2\r\n+x\r\n$-1\r\n-E\r\n",
         .array([.integer(1), .bulkString(Array("foo".utf8)), .array([.simpleString("x"), .null]), .error("E")])),
    ]

    func testParsesEveryType() throws {
        for (text, expected) in Self.samples {
            var parser = RESPParser()
            let bytes = Array(text.utf8) + Array("+next\r\n".utf8)
            let parsed = try XCTUnwrap(try parser.parse(bytes), text)
            XCTAssertEqual(parsed.value, expected, text)
            XCTAssertEqual(parsed.consumed, text.utf8.count, text)
        }
    }

    func testEverySplitPointWaitsThenCompletes() throws {
        for (text, expected) in Self.samples {
            let bytes = Array(text.utf8)
            var parser = RESPParser() // reused across prefixes, as a connection does
            for cut in 0..<bytes.count {
                XCTAssertNil(try parser.parse(Array(bytes[0..<cut])), "\(text) cut at \(cut)")
            }
            XCTAssertEqual(try parser.parse(bytes)?.value, expected, text)
        }
    }

    func testStreamFedOneByteAtATime() throws {
        let stream = Self.samples.flatMap { Array($0.0.utf8) }
        var parser = RESPParser()
        var buffer: [UInt8] = []
        var values: [RESPValue] = []
        for byte in stream {
            buffer.append(byte)
            while let parsed = try parser.parse(buffer) {
                values.append(parsed.value)
                buffer.removeFirst(parsed.consumed)
            }
        }
        XCTAssertEqual(values, Self.samples.map(\.1))
        XCTAssertTrue(buffer.isEmpty)
    }

    func testLimits() {
        let limits = RESPParser.Limits(maxBulkLength: 8, maxArrayLength: 3, maxDepth: 2, maxLineLength: 16)
        let cases = [
            "$9\r\n", "*4\r\n", "*1\r\n*1\r\n*1\r\n:1\r\n", "+" + String(repeating: "a", count: 40),
            ":" + String(repeating: "1", count: 17) + "\r\n",
        ]
        for text in cases {
            var parser = RESPParser(limits: limits)
            XCTAssertThrowsError(try parser.parse(Array(text.utf8)), text) { error in
                guard case .limitExceeded = error as? RESPParser.ParseError else {
                    return XCTFail("\(text): \(error)")
                }
            }
        }
        var parser = RESPParser(limits: limits)
        XCTAssertEqual(try parser.parse(Array("$8\r\n12345678\r\n".utf8))?.value, .bulkString(Array("12345678".utf8)))
        XCTAssertEqual(try parser.parse(Array("*1\r\n*1\r\n:1\r\n".utf8))?.value, .array([.array([.integer(1)])]))
    }

    func testMalformed() {
        let cases = ["?x\r\n", ":12a\r\n", ":\r\n", ":-\r\n", "$3\r\nfoox\r\n", "+OK\n", "+O\rK\r\n", "$-2\r\n",
                     "*-5\r\n", ":99999999999999999999\r\n", "_x\r\n", "$abc\r\n"]
        for text in cases {
            var parser = RESPParser()
            XCTAssertThrowsError(try parser.parse(Array(text.utf8)), text) { error in
                guard case .malformed = error as? RESPParser.ParseError else { return XCTFail("\(text): \(error)") }
            }
        }
    }

    func testEncoder() {
        let buffer = ByteBuffer(capacity: 8)
        RESPEncoder.encodeCommand(["SET", "k", "välue", ""], into: buffer)
        RESPEncoder.encodeCommand([[0, 13, 10]], into: buffer)
        let written = Array(buffer.readableBytes)
        XCTAssertEqual(written, Array("*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\nvälue\r\n$0\r\n\r\n*1\r\n$3\r\n".utf8) + [0, 13, 10, 13, 10])
    }
}

// MARK: - Against a real redis-server

final class RedisTests: XCTestCase {
    nonisolated(unsafe) static var server: RedisServerProcess?

    override class func setUp() {
        super.setUp()
        server = try? RedisServerProcess()
    }

    override class func tearDown() {
        server?.stop()
        server = nil
        super.tearDown()
    }

    private var loops: [TestLoop] = []

    override func tearDown() {
        for loop in loops { loop.stop() }
        loops = []
        super.tearDown()
    }

    private func redis() throws -> RedisServerProcess {
        if Self.server == nil { Self.server = try RedisServerProcess() }
        return try XCTUnwrap(Self.server)
    }

    private func makeLoop() throws -> TestLoop {
        let loop = try TestLoop(index: loops.count)
        loops.append(loop)
        return loop
    }

    private func address(_ server: RedisServerProcess) throws -> SocketAddress {
        try XCTUnwrap(SocketAddress(numericHost: "127.0.0.1", port: server.port))
    }

    /// A client on `loop`, returned once all its connections are up.
    private func makeClient(on loop: TestLoop, _ server: RedisServerProcess, timeoutMilliseconds: Double = 500,
                            connections: Int = 2, connectCommands: [[String]] = []) throws -> RedisTestBox<RedisClient> {
        let address = try address(server)
        let box: RedisTestBox<RedisClient>? = loop.run { loop, done in
            let configuration = RedisClient.Configuration(connectionCount: connections, commandTimeoutMilliseconds: timeoutMilliseconds)
            done(RedisTestBox(try! RedisClient(loop: loop, address: address, configuration: configuration,
                                               connectCommands: connectCommands)))
        }
        let client = try XCTUnwrap(box)
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline {
            let ready: Int? = loop.run { _, done in done(client.value.readyConnectionCount) }
            if ready == connections { return client }
            usleep(5_000)
        }
        XCTFail("the client did not connect")
        return client
    }

    private func send(_ command: [String], _ client: RedisTestBox<RedisClient>, on loop: TestLoop) -> Result<RESPValue, RedisError>? {
        loop.run { _, done in client.value.send(command) { done($0) } }
    }

    func testPipelinesAHundredCommandsInOneTurn() throws {
        let server = try redis()
        let loop = try makeLoop()
        let single = try makeClient(on: loop, server, connections: 1)
        let key = "pipeline:\(UUID().uuidString)"
        let replies: [Int64]? = loop.run { _, done in
            var replies: [Int64] = []
            var returned = false
            for _ in 0..<100 {
                single.value.send(["INCR", key]) { result in
                    XCTAssertTrue(returned, "a completion ran inside send")
                    replies.append((try? result.get())?.integer ?? -1)
                    if replies.count == 100 { done(replies) }
                }
            }
            XCTAssertEqual(single.value.inFlightCount, 100) // all written in this turn, none answered yet
            returned = true
        }
        XCTAssertEqual(replies, Array(1...100))

        // Two connections, round-robin: every reply still reaches its own command.
        let pooled = try makeClient(on: loop, server, connections: 2)
        let echoes: [String?]? = loop.run { _, done in
            var echoes = [String?](repeating: nil, count: 100)
            var count = 0
            for i in 0..<100 {
                pooled.value.send(["ECHO", "v\(i)"]) { result in
                    echoes[i] = (try? result.get())?.string
                    count += 1
                    if count == 100 { done(echoes) }
                }
            }
        }
        XCTAssertEqual(echoes, (0..<100).map { "v\($0)" })
        _ = loop.run { (_, done: @escaping (Bool) -> Void) in single.value.close(); pooled.value.close(); done(true) }
    }

    func testDeadlinePassesWhileRedisSleepsAndTheQueueStaysInStep() throws {
        let server = try redis()
        let loop = try makeLoop()
        // The default deadline, 5 ms.
        let client = try makeClient(on: loop, server, timeoutMilliseconds: RedisClient.Configuration().commandTimeoutMilliseconds,
                                    connections: 1)
        let outcome: [(Result<RESPValue, RedisError>, Double)]? = loop.run { _, done in
            let start = MonotonicClock.now()
            var outcome: [(Result<RESPValue, RedisError>, Double)] = []
            for command in [["DEBUG", "SLEEP", "0.3"], ["ECHO", "behind"]] {
                client.value.send(command) { result in
                    outcome.append((result, Double(MonotonicClock.now() - start) / 1e6))
                    if outcome.count == 2 { done(outcome) }
                }
            }
        }
        let results = try XCTUnwrap(outcome)
        for (result, milliseconds) in results {
            XCTAssertEqual(result.failure, .timeout)
            XCTAssertGreaterThanOrEqual(milliseconds, 4.9)
            XCTAssertLessThan(milliseconds, 100, "the timeout came long after the 5 ms deadline")
        }
        // The late replies (+OK, "behind") are discarded; the next command gets its own answer.
        usleep(400_000)
        // (5 ms is tight for a debug build on a busy machine: a further timeout is tolerated, a
        // reply to the wrong command is not.)
        var answered = 0
        for i in 0..<20 where answered < 3 {
            switch send(["ECHO", "after\(i)"], client, on: loop) {
            case .success(let value):
                XCTAssertEqual(value.string, "after\(i)")
                answered += 1
            case .failure(let error):
                XCTAssertEqual(error, .timeout)
                usleep(20_000)
            case nil:
                XCTFail("no completion")
            }
        }
        XCTAssertEqual(answered, 3)
        usleep(50_000)
        let inFlight: Int? = loop.run { _, done in done(client.value.inFlightCount) }
        XCTAssertEqual(inFlight, 0)
        _ = loop.run { (_, done: @escaping (Bool) -> Void) in client.value.close(); done(true) }
    }

    func testRedisKilledGivesUnavailableAndTheClientRecovers() throws {
        let server = try redis()
        let loop = try makeLoop()
        let client = try makeClient(on: loop, server, timeoutMilliseconds: 1000)
        XCTAssertEqual(try send(["PING"], client, on: loop)?.get(), .simpleString("PONG"))

        server.stop(signal: SIGKILL)
        let killed = Date()
        // Well under the 1 s command deadline: the answer comes from the dead connection.
        var sawUnavailable = false
        while Date().timeIntervalSince(killed) < 0.5 {
            let result = send(["PING"], client, on: loop)
            XCTAssertNotEqual(result?.failure, .timeout)
            if result?.failure == .unavailable {
                sawUnavailable = true
                break
            }
            usleep(5_000)
        }
        XCTAssertTrue(sawUnavailable)
        XCTAssertLessThan(Date().timeIntervalSince(killed), 0.3)

        try server.start() // same port
        let restarted = Date()
        var recovered = false
        while Date().timeIntervalSince(restarted) < 3.5 {
            if case .success(.simpleString("PONG")) = send(["PING"], client, on: loop) {
                recovered = true
                break
            }
            usleep(20_000)
        }
        XCTAssertTrue(recovered, "no reconnect within the 2 s maximum backoff")
        _ = loop.run { (_, done: @escaping (Bool) -> Void) in client.value.close(); done(true) }
    }

    func testLuaGCRAGivesTheInMemoryNumbers() throws {
        let server = try redis()
        let loop = try makeLoop()
        let client = try makeClient(on: loop, server, connections: 1,
                                    connectCommands: RedisScript.connectCommands)
        let policy = RateLimitLines(name: "tenant", policy: RatePolicy(requests: 10, perSeconds: 1, burst: 5))
        let tenant = "gcra-\(UUID().uuidString)"
        let decisions: [RateLimitDecision]? = loop.run { _, done in
            let store = RedisRateLimitStore(client: client.value)
            var decisions: [RateLimitDecision] = []
            for _ in 0..<8 {
                store.check(tenant: tenant, policy: policy) { result in
                    guard case .success(let decision) = result else { return XCTFail("\(result)") }
                    decisions.append(decision)
                    if decisions.count == 8 { done(decisions) }
                }
            }
        }
        let got = try XCTUnwrap(decisions)
        let gcra = GCRA(policy.policy)
        var tat: UInt64 = 0
        let now: UInt64 = 1 << 50
        let expected = (0..<8).map { _ in
            let step = gcra.decide(tat: tat, now: now)
            if step.admitted { tat = step.newTAT }
            return step
        }
        XCTAssertEqual(got.map(\.admitted), expected.map(\.admitted))
        XCTAssertEqual(got.map(\.remaining), expected.map(\.remaining))
        XCTAssertEqual(got.map(\.resetSeconds), expected.map(\.resetSeconds))
        XCTAssertEqual(got.map(\.retryAfterSeconds), expected.map(\.retryAfterSeconds))
        XCTAssertEqual(got.map(\.admitted), [true, true, true, true, true, false, false, false])
        XCTAssertEqual(got[0].headers.first?.value, "\"tenant\";q=10;w=1")

        // The key expires with the limiter's idle time (TAT − now + τ ≤ 500 + 400 ms); refusals don't write.
        let key = RedisRateLimitStore.keyPrefix + tenant
        let ttl = try XCTUnwrap(send(["PTTL", key], client, on: loop)?.get().integer)
        XCTAssertGreaterThan(ttl, 0)
        XCTAssertLessThanOrEqual(ttl, 900)
        let before = try send(["GET", key], client, on: loop)?.get()
        let refused: Result<RateLimitDecision, RedisError>? = loop.run { _, done in
            RedisRateLimitStore(client: client.value).check(tenant: tenant, policy: policy) { done($0) }
        }
        XCTAssertEqual(try refused?.get().admitted, false)
        XCTAssertEqual(try send(["GET", key], client, on: loop)?.get(), before)

        // A flushed script cache is answered by EVAL and re-cached.
        XCTAssertEqual(try send(["SCRIPT", "FLUSH"], client, on: loop)?.get(), .simpleString("OK"))
        let other: Result<RateLimitDecision, RedisError>? = loop.run { _, done in
            RedisRateLimitStore(client: client.value).check(tenant: tenant + "-2", policy: policy) { done($0) }
        }
        XCTAssertEqual(try other?.get().remaining, 4)
        XCTAssertEqual(try send(["SCRIPT", "EXISTS", RedisRateLimitStore.gcra.sha], client, on: loop)?.get(), .array([.integer(1)]))
        _ = loop.run { (_, done: @escaping (Bool) -> Void) in client.value.close(); done(true) }
    }

    /// The script's wait is `GCRA`'s: slots reserved in order within the wait, then refusals that
    /// reserve nothing; a vendor quota's keys are apart from the tenants' limits.
    func testLuaGCRAWaitsAsTheInMemoryOneDoes() throws {
        let server = try redis()
        let loop = try makeLoop()
        let client = try makeClient(on: loop, server, connections: 1, connectCommands: RedisScript.connectCommands)
        let policy = RateLimitLines(name: "vendor", policy: RatePolicy(requests: 2, perSeconds: 1, burst: 1, maxWaitSeconds: 1.2))
        let tenant = "wait-\(UUID().uuidString)"
        let decisions: [RateLimitDecision]? = loop.run { _, done in
            let store = RedisRateLimitStore(client: client.value, keyPrefix: RedisRateLimitStore.vendorKeyPrefix)
            var decisions: [RateLimitDecision] = []
            for _ in 0..<5 {
                store.check(tenant: tenant, policy: policy, maxWait: policy.policy.maxWait) { result in
                    guard case .success(let decision) = result else { return XCTFail("\(result)") }
                    decisions.append(decision)
                    if decisions.count == 5 { done(decisions) }
                }
            }
        }
        let got = try XCTUnwrap(decisions)
        XCTAssertEqual(got.map(\.admitted), [true, true, true, false, false])
        // Redis's clock moves on between the calls (microseconds): each wait is its slot less that.
        for (index, expected) in [0.0, 0.5, 1.0].enumerated() {
            XCTAssertEqual(Double(got[index].delay) / 1e9, expected, accuracy: 0.05, "call \(index)")
        }
        XCTAssertEqual(got[3].retryAfterSeconds, 2)
        XCTAssertEqual(got[0].headers.first?.value, "\"vendor\";q=2;w=1")
        XCTAssertEqual(try send(["EXISTS", RedisRateLimitStore.vendorKeyPrefix + tenant], client, on: loop)?.get(), .integer(1))
        XCTAssertEqual(try send(["EXISTS", RedisRateLimitStore.keyPrefix + tenant], client, on: loop)?.get(), .integer(0))
        _ = loop.run { (_, done: @escaping (Bool) -> Void) in client.value.close(); done(true) }
    }

    /// `vendorConcurrency`'s leases and queue on the store: slots up to the cap, waiters in arrival
    /// order (a later one does not jump the queue when a slot frees), a full queue or a call that may
    /// not wait refused without queueing, a released lease free at once, an abandoned one (a replica
    /// that died) free when it expires, and a waiter that stopped asking out of the queue.
    func testConcurrencyLeasesAndQueueOnTheStore() throws {
        let server = try redis()
        let loop = try makeLoop()
        let client = try makeClient(on: loop, server, connections: 1, connectCommands: RedisScript.connectCommands)
        let tenant = "cap-\(UUID().uuidString)"
        let policy = ConcurrencyPolicy(limit: 2, maxWaitSeconds: 1, maxQueue: 2)
        func ask(_ id: String, lease: UInt64 = 10_000_000, mayWait: Bool = true) -> RedisConcurrencyStore.Reply? {
            let result: Result<RedisConcurrencyStore.Reply, RedisError>? = loop.run { _, done in
                RedisConcurrencyStore(client: client.value).acquire(tenant: tenant, id: id, policy: policy, leaseMicroseconds: lease,
                                                                    mayWait: mayWait) { done($0) }
            }
            return try? result?.get()
        }
        func release(_ id: String) {
            _ = loop.run { (_, done: @escaping (Bool) -> Void) in
                RedisConcurrencyStore(client: client.value).release(tenant: tenant, id: id)
                client.value.send(["PING"]) { _ in done(true) }
            }
        }
        XCTAssertEqual(ask("a", lease: 300_000), .granted)
        XCTAssertEqual(ask("b"), .granted)
        XCTAssertEqual(ask("c", mayWait: false), .refused, "no slot, and it may not wait")
        XCTAssertEqual(ask("c"), .waiting(ahead: 0))
        XCTAssertEqual(ask("d"), .waiting(ahead: 1))
        XCTAssertEqual(ask("e"), .refused, "the queue holds two")
        release("b")
        XCTAssertEqual(ask("d"), .waiting(ahead: 1), "one slot free, and c is first")
        XCTAssertEqual(ask("c"), .granted)
        XCTAssertEqual(ask("d"), .waiting(ahead: 0))
        // "a" is never released, as if its replica died: its lease expires and d gets the slot.
        usleep(350_000)
        XCTAssertEqual(ask("d"), .granted)
        XCTAssertEqual(try send(["ZCARD", "switchyard:vc:{\(tenant)}:leases"], client, on: loop)?.get(), .integer(2))
        // A waiter that stops asking leaves the queue once it stops counting, and blocks no one.
        XCTAssertEqual(ask("f"), .waiting(ahead: 0))
        release("c")
        XCTAssertEqual(ask("g"), .waiting(ahead: 1), "f is still counted")
        usleep(UInt32(RedisConcurrencyStore.aliveMicroseconds) + 100_000)
        XCTAssertEqual(ask("g"), .granted)
        _ = loop.run { (_, done: @escaping (Bool) -> Void) in client.value.close(); done(true) }
    }

    func testTwoGatewaysShareOneLimit() throws {
        let server = try redis()
        let policy = RateLimitLines(name: "tenant", policy: RatePolicy(requests: 100, perSeconds: 1, burst: 50))
        let tenant = "shared-\(UUID().uuidString)"
        let gateways = try (0..<2).map { _ in try makeLoop() }
        let clients = try gateways.map {
            try makeClient(on: $0, server, timeoutMilliseconds: 1000, connectCommands: RedisScript.connectCommands)
        }
        let window = 2.0
        let end = MonotonicClock.now() + 200_000_000 + MonotonicClock.nanoseconds(seconds: window)
        let start = end - MonotonicClock.nanoseconds(seconds: window)
        let counts = RedisTestBox<[(admitted: Int, refused: Int, failed: Int)?]>([nil, nil])
        let group = DispatchGroup()
        for (i, gateway) in gateways.enumerated() {
            group.enter()
            let client = clients[i]
            DispatchQueue.global().async {
                let result: (admitted: Int, refused: Int, failed: Int)? = gateway.run(timeout: 10) { loop, done in
                    let store = RedisRateLimitStore(client: client.value)
                    var admitted = 0, refused = 0, failed = 0, inFlight = 0
                    func issue() {
                        guard MonotonicClock.now() < end else {
                            if inFlight == 0 { done((admitted, refused, failed)) }
                            return
                        }
                        inFlight += 1
                        store.check(tenant: tenant, policy: policy) { result in
                            inFlight -= 1
                            switch result {
                            case .success(let decision): if decision.admitted { admitted += 1 } else { refused += 1 }
                            case .failure: failed += 1
                            }
                            issue()
                        }
                    }
                    loop.schedule(afterSeconds: 0) {
                        while MonotonicClock.now() < start { usleep(200) } // both gateways start together
                        for _ in 0..<8 { issue() }
                    }
                }
                counts.value[i] = result
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 15), .success)
        let results = counts.value.compactMap { $0 }
        XCTAssertEqual(results.count, 2)
        let admitted = results.reduce(0) { $0 + $1.admitted }
        let refused = results.reduce(0) { $0 + $1.refused }
        print("two gateways, one tenant (burst 50, 100/s, 2 s): admitted \(admitted), refused \(refused): \(results)")
        XCTAssertEqual(results.reduce(0) { $0 + $1.failed }, 0)
        XCTAssertTrue(results.allSatisfy { $0.admitted > 0 }, "both gateways were admitted: \(results)")
        // burst + rate × window = 50 + 100 × 2 = 250, ± 5 %.
        XCTAssertEqual(Double(admitted), 250, accuracy: 12.5, "admitted \(admitted), refused \(refused): \(results)")
        for (i, gateway) in gateways.enumerated() {
            _ = gateway.run { (_, done: @escaping (Bool) -> Void) in clients[i].value.close(); done(true) }
        }
    }
}

private extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
