import Foundation
@testable import Switchyard
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON
import XCTest

/// A request's object and its vendor call's are used again once the answer is sent (`retire`, `begin`):
/// what one request decided must never reach the next, and a request something still holds (a
/// migrating tenant's mirror) must never start over under its holder.
final class GatewayRequestReuseTests: XCTestCase {
    private var harness: PipelineHarness!

    override func setUpWithError() throws {
        harness = try PipelineHarness()
        harness.vendor.script { _ in ScriptedVendor.json(200, #"{"iccid": "8988216716970004975"}"#) }
    }

    override func tearDown() {
        harness.stop()
    }

    /// Every stored property of a request, as a new one has it: each is set to something else,
    /// the request retired and begun again, and compared with a request made new for the same head.
    /// A stored property added to `GatewayRequest` fails here until `retire` resets it and this
    /// list names it.
    func testARetiredRequestBegunAgainIsANewOnesEqual() throws {
        let first = try Self.head("PATCH /devices/iccid:8988216716970004975", ["idempotency-key: k1", "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"])
        let second = try Self.head("GET /devices", ["user-agent: second"])
        let compared = try onLoop { context in
            // The request held here only: retired, nothing else holds it.
            func decideEverything() -> ObjectIdentifier {
                let request = GatewayRequest.begin(head: first, requestID: "first", client: SocketAddress(numericHost: "192.0.2.7", port: 1),
                                                   context: context)
                request.route = .bulkUpdate
                request.credential = Credential(tenant: "acme", scopes: [.devicesWrite], expiresAt: 1, kind: .jwt)
                request.binding = context.state.binding(named: "acme")
                request.limit = .unlimited
                request.prepaidQuota = .unlimited
                request.body = .bool(true)
                request.exchange = HTTPExchange(loop: context.loop) { _ in }
                request.device = .sent("iccid:1")
                request.problem = .notFound
                request.upstreamStatus = 200
                request.upstreamNanos = 1
                request.bytesIn = 10
                request.heldKey = (context.idempotency, "acme:k1", "fingerprint")
                var lent = first
                request.adopt(&lent)
                request.retire()
                return ObjectIdentifier(request)
            }
            let retired = decideEverything()
            XCTAssertEqual(context.requests.count, 1)
            let reused = GatewayRequest.begin(head: second, requestID: "second", client: nil, context: context)
            XCTAssertEqual(ObjectIdentifier(reused), retired, "the retired request is begun again")
            XCTAssertEqual(context.requests.count, 0)
            let new = GatewayRequest.begin(head: second, requestID: "second", client: nil, context: context)
            XCTAssertFalse(new === reused)
            return (Self.properties(of: reused), Self.properties(of: new))
        }
        let (reused, new) = compared
        XCTAssertEqual(reused.map(\.label), [
            "context", "metrics", "cache", "jsonObjects", "byteArrays", "fieldLists", "requests", "arrival", "heldHead", "spareHead", "decidedRoute", "credential", "binding", "limit",
            "prepaidQuota", "body", "exchange", "device", "problem", "upstreamStatus", "upstreamNanos", "bytesIn", "heldKey",
        ], "a stored property was added or renamed: reset it in `retire`, set it above and name it here")
        for (was, fresh) in zip(reused, new) {
            guard was.label != "spareHead" else {
                // Storage, not state: the adopted head's, for the next connection to parse into.
                XCTAssertNotEqual(was.value, fresh.value, "the adopted head's storage is kept as the spare")
                continue
            }
            XCTAssertEqual(Self.withoutReadings(was.value), Self.withoutReadings(fresh.value), "\(was.label) kept what the retired request decided")
        }
    }

    /// The head a request adopts is moved in, and what the server gets back in its place is the
    /// spare: the head the request adopted when last it was used (none, new), which the connection
    /// parses its next head into. A head kept for a refusal is its connection's, shared: never kept
    /// as a spare.
    func testAnAdoptedHeadIsHandedBackAsTheSpareOfTheNextAdoption() throws {
        let first = try Self.head("PATCH /devices/iccid:8988216716970004975", ["x-request-id: first"])
        let refused = try Self.head("GET /nowhere", ["x-request-id: refused"])
        let second = try Self.head("PATCH /devices/iccid:8988216716970004975", ["x-request-id: second"])
        let handedBack = try onLoop { context in
            // Each request held in its function only: retired, nothing else holds it.
            func adoptAndRetire() -> ObjectIdentifier {
                let request = GatewayRequest.begin(head: first, requestID: "first", client: nil, context: context)
                var lent = first
                request.adopt(&lent)
                XCTAssertEqual(request.head.bytes, first.bytes, "the request has the head it adopted")
                request.retire()
                return ObjectIdentifier(request)
            }
            func refuseAndRetire() -> ObjectIdentifier {
                let request = GatewayRequest.begin(head: refused, requestID: "refused", client: nil, context: context)
                request.keep(refused)
                XCTAssertEqual(request.head.bytes, refused.bytes)
                request.retire()
                return ObjectIdentifier(request)
            }
            let adopting = adoptAndRetire()
            XCTAssertEqual(refuseAndRetire(), adopting, "the retired request is begun again")
            let again = GatewayRequest.begin(head: second, requestID: "second", client: nil, context: context)
            XCTAssertEqual(ObjectIdentifier(again), adopting)
            XCTAssertEqual(again.head.bytes, [], "begun again, a request has no head until it adopts one")
            var next = second
            again.adopt(&next)
            XCTAssertEqual(again.head.bytes, second.bytes)
            return next.bytes
        }
        XCTAssertEqual(String(decoding: handedBack, as: UTF8.self), String(decoding: first.bytes, as: UTF8.self),
                       "the spare is the head adopted before, not the one kept for the refusal")
    }

    /// Over the pipeline: each answered request goes back to the loop and the next head takes it,
    /// a refusal at the head included, and each answer is its own request's.
    func testAnsweredRequestsAreTakenAgainAndAnswerForThemselves() throws {
        let acme = try harness.token("acme")
        let patched = try harness.send("PATCH", "/devices/iccid:8988216716970004975", token: acme, json: #"{"deviceId": "tracker-1"}"#,
                                       headers: [("idempotency-key", "reuse-1")])
        XCTAssertEqual(patched.status, 200, patched.text)
        XCTAssertEqual(try pooled(), 1)
        let refused = try harness.send("PATCH", "/devices/iccid:8988216716970004975", token: nil, json: "{}")
        XCTAssertEqual(refused.status, 401)
        XCTAssertEqual(refused.code, "unauthenticated")
        XCTAssertNil(refused.header("ratelimit-policy"), "no limit was decided for this request")
        XCTAssertEqual(try pooled(), 1, "the refused request was the retired one, and was retired again")
        let again = try harness.send("PATCH", "/devices/iccid:8988216716970004975", token: acme, json: #"{"deviceId": "tracker-1"}"#,
                                     headers: [("idempotency-key", "reuse-1")])
        XCTAssertEqual(again.status, 200, again.text)
        XCTAssertEqual(again.json?["id"]?.stringValue, "iccid:8988216716970004975")
        XCTAssertEqual(harness.vendor.requests.count, 1, "the repeat was replayed from the key the first request kept")
        let other = try harness.send("PATCH", "/devices/iccid:8988216716970004975", token: acme, json: #"{"deviceId": "tracker-2"}"#,
                                     headers: [("idempotency-key", "reuse-1")])
        XCTAssertEqual(other.status, 422, other.text)
        XCTAssertEqual(other.code, "idempotency_key_reused")
        XCTAssertEqual(try pooled(), 1)
    }

    /// The vendor call likewise: retired once its answer is handed on, it lets go of its request
    /// (so both are taken again for the next request), and begun again it is a new call's equal.
    /// A stored property added to `DeviceCall` fails here until `retire` resets it and this list
    /// names it (`context`, a `let`, is the loop's for the call's whole life, and so are the objects held
    /// from it).
    func testARetiredVendorCallLetsGoOfItsRequestAndIsANewOnesEqual() throws {
        let acme = try harness.token("acme")
        let patched = try harness.send("PATCH", "/devices/iccid:8988216716970004975", token: acme, json: #"{"deviceId": "tracker-1"}"#)
        XCTAssertEqual(patched.status, 200, patched.text)
        let head = try Self.head("PATCH /devices/iccid:8988216716970004975", [])
        let compared = try onLoop { context in
            XCTAssertEqual(context.calls.count, 1, "the call was retired")
            XCTAssertEqual(context.requests.count, 1, "and let go of its request, which was retired too")
            let request = GatewayRequest.begin(head: head, requestID: "next", client: nil, context: context)
            XCTAssertEqual(context.requests.count, 0, "the retired request was taken, not passed over as still held")
            guard let binding = context.state.binding(named: "acme") else { preconditionFailure("acme is configured") }
            let deviceRequest = DeviceRequest(isBulk: false, items: [])
            let reused = DeviceCall.begin(request: request, binding: binding, deviceRequest: deviceRequest)
            XCTAssertEqual(context.calls.count, 0)
            let new = DeviceCall.begin(request: request, binding: binding, deviceRequest: deviceRequest)
            XCTAssertFalse(new === reused)
            return (Self.properties(of: reused), Self.properties(of: new))
        }
        let (reused, new) = compared
        XCTAssertEqual(reused.map(\.label), [
            "party", "context", "transport", "metrics", "vendorSlots", "changeLists", "documents", "byteArrays", "fieldLists",
            "answerLists", "deviceRequest", "completion", "results", "ready", "readyCount", "batchSize", "sent",
            "inFlight", "countedBatches", "countedItems", "exchangeInPlace", "moreExchanges", "lastTag",
        ], "a stored property was added or renamed: reset it in `retire` and name it here")
        for (was, fresh) in zip(reused, new) {
            XCTAssertEqual(was.value, fresh.value, "\(was.label) kept what the retired call counted")
        }
    }

    // MARK: Helpers

    private func pooled() throws -> Int { try onLoop { $0.requests.count } }

    /// `body` on the harness's loop with its gateway's context, and what it returned.
    private func onLoop<T>(_ body: @escaping @Sendable (GatewayLoop) -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let result = Locked<T?>(nil)
        let context = harness.gateway.contexts[0]
        harness.loop.execute { _ in
            result.set(body(context.value))
            done.signal()
        }
        guard done.wait(timeout: .now() + 10) == .success, let value = result.get() else { throw HarnessError("the loop did not run it") }
        return value
    }

    private static func head(_ line: String, _ fields: [String]) throws -> HTTPRequestHead {
        let text = ([line + " HTTP/1.1", "host: gateway.test"] + fields).joined(separator: "\r\n") + "\r\n\r\n"
        var head = HTTPRequestHead()
        var parser = RequestParser(limits: HTTPLimits())
        let parsed = Array(text.utf8).withUnsafeBytes { parser.parseHead($0, into: &head) }
        guard case .complete = parsed else { throw HarnessError("the test's head did not parse: \(parsed)") }
        return head
    }

    /// A `dump` without what differs between any two requests: the clocks' readings, and the random
    /// ids of a trace started at the gateway (each such line with the lines nested under it).
    private static func withoutReadings(_ text: String) -> String {
        var kept: [Substring] = []
        var skippingBelow: Int?
        for line in text.split(separator: "\n") {
            let indent = line.prefix { $0 == " " }.count
            if let depth = skippingBelow {
                if indent > depth { continue }
                skippingBelow = nil
            }
            // `- name: value`, or `▿ name: …` over nested lines.
            let member = line.dropFirst(indent).dropFirst(2)
            if member.hasPrefix("arrived:") || member.hasPrefix("now:") { continue }
            if member.hasPrefix("traceID:") || member.hasPrefix("spanID:") {
                skippingBelow = indent
                continue
            }
            kept.append(line)
        }
        return kept.joined(separator: "\n")
    }

    /// Each stored property's label and its value as `dump` would spell it.
    private static func properties(of object: AnyObject) -> [(label: String, value: String)] {
        Mirror(reflecting: object).children.map { child in
            var text = ""
            dump(child.value, to: &text, maxDepth: 4)
            return (child.label ?? "?", text)
        }
    }
}
