import Foundation
import Switchyard
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON
import SwitchyardTestSupport
import SwitchyardVendors
import XCTest

/// The gateway's pipeline on an event loop of its own, driven in-process as the server drives
/// it (`admit` with the head, then `respond` with the whole request), with `ScriptedVendor` as
/// every tenant's vendor: each phase's outcome in milliseconds, with no socket and no child
/// process. The wire is the end-to-end tests' business.
final class PipelineHarness: @unchecked Sendable {
    /// `@unchecked Sendable`: the gateway is used on `loop` only (through `execute`); the test
    /// thread waits for each answer.
    let loop: EventLoop
    private let thread: EventLoopThread
    let gateway: Gateway
    let vendor = ScriptedVendor()

    /// A fresh HS256 secret per run: nothing secret is committed, not even for tests.
    static let secret = UUID().uuidString + UUID().uuidString

    /// Five tenants, one per vendor, at an address literal (nothing is resolved, nothing is
    /// dialled: the scripted vendor answers). `acme` has a rate limit of `burst` requests and a
    /// vendor quota; `tenants` adds keys to acme's binding; `limits` overrides the limits; `adapter`
    /// makes each tenant's adapter.
    init(acme: String = "", limits: String = "maxBulkDevices: 5", burst: Int = 50,
         adapter: @escaping @Sendable (TenantConfiguration) -> any VendorAdapter = VendorAdapters.adapter(for:)) throws {
        let yaml = """
            listen: "127.0.0.1:0"
            tls: {certificate: "\(TestEnvironment.serverCertificate)", privateKey: "\(TestEnvironment.serverKey)"}
            accessLog: off
            limits: {\(limits)}
            auth:
              jwt: {hs256Secret: "\(Self.secret)"}
            tenants:
              acme: {vendor: control-center, upstream: "https://127.0.0.1:9", credentials: {username: u, apiKey: k},
                     rateLimit: {requests: 600, perSeconds: 60, burst: \(burst)}\(acme)}
              globex: {vendor: gate, upstream: "https://127.0.0.1:9/api/v1", credentials: {token: t}}
              initech: {vendor: mobilefirst-push, upstream: "https://127.0.0.1:9", applicationId: myapp,
                        credentials: {clientId: c, clientSecret: s}}
              umbrella: {vendor: vodlix, upstream: "https://127.0.0.1:9", credentials: {cookie: "PHPSESSID=x"}}
              hooli: {vendor: iot-security, upstream: "https://127.0.0.1:9", customerId: hooli, updateSource: cellular,
                      credentials: {keyId: i, accessKey: a}}
            """
        let configuration = try GatewayConfiguration.parse(yaml: yaml, baseDirectory: "/", source: "pipeline.yaml", environment: [:])
        loop = try EventLoop(index: 0)
        let vendor = vendor
        gateway = try Gateway(configuration: configuration, loops: [loop], adapter: adapter, upstream: { loop, _, _ in vendor.attach(to: loop) })
        thread = loop.start(name: "pipeline-test")
    }

    func stop() {
        gateway.close()
        loop.stop()
        thread.join()
    }

    /// A token of `tenant` with `scopes`, valid for an hour.
    func token(_ tenant: String, _ scopes: [Scope] = [.devicesWrite, .devicesBulk]) throws -> String {
        let now = Int(Date().timeIntervalSince1970)
        return try HS256TokenMinter.mint(secret: Secret(Self.secret), tenant: tenant, scopes: scopes, issuedAt: now, expiresAt: now + 3600)
    }

    /// One request through the pipeline, as the server hands it over, and its answer.
    func send(_ method: String, _ path: String, token: String?, headers: [(String, String)] = [],
              body: [UInt8] = [], file: StaticString = #filePath, line: UInt = #line) throws -> Answer {
        var text = "\(method) \(path) HTTP/1.1\r\nhost: gateway.test\r\n"
        if let token { text += "authorization: Bearer \(token)\r\n" }
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty { text += "content-length: \(body.count)\r\n" }
        var head = HTTPRequestHead()
        var parser = RequestParser(limits: HTTPLimits())
        let parsed = Array((text + "\r\n").utf8).withUnsafeBytes { parser.parseHead($0, into: &head) }
        guard case .complete = parsed else { throw HarnessError("the test's head did not parse: \(parsed)") }

        let answered = DispatchSemaphore(value: 0)
        let answer = Locked<HTTPResponse?>(nil)
        let parsedHead = head
        loop.execute { [gateway] loop in
            let requestID: RequestID = "pipeline-test"
            switch gateway.admit(parsedHead, requestID: requestID, client: SocketAddress(numericHost: "192.0.2.7", port: 50_000), loop: loop) {
            case .refuse(let refusal):
                answer.set(refusal)
                answered.signal()
            case .admit(let admission):
                var request = HTTPRequest(head: parsedHead, body: body, requestID: requestID, isTLS: true, admission: admission)
                gateway.respond(to: &request, exchange: HTTPExchange(loop: loop) { response in
                    answer.set(response)
                    answered.signal()
                })
            }
        }
        guard answered.wait(timeout: .now() + 10) == .success, let response = answer.get() else {
            throw HarnessError("no answer within 10 s")
        }
        return Answer(response)
    }

    /// `send` with a JSON body.
    func send(_ method: String, _ path: String, token: String?, json: String, headers: [(String, String)] = []) throws -> Answer {
        try send(method, path, token: token, headers: [("content-type", "application/json")] + headers, body: Array(json.utf8))
    }
}

/// An answer as a test reads it.
struct Answer {
    let status: Int
    let headers: [(name: String, value: String)]
    let body: [UInt8]

    init(_ response: HTTPResponse) {
        status = response.status
        headers = response.fields
        body = response.body
    }

    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }

    var json: JSONObject? { (try? JSONParser.parse(body))?.objectValue }
    /// The problem's `code`, for a problem document.
    var code: String? { json?["code"]?.stringValue }
    var text: String { String(decoding: body, as: UTF8.self) }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A value handed from the loop's thread to the test's.
final class Locked<Value>: @unchecked Sendable {
    /// `@unchecked Sendable`: every access is under `lock`.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.withLock { value } }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
}
