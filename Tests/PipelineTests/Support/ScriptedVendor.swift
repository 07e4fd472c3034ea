import Foundation
import SwitchyardHTTP
import SwitchyardIO

/// A vendor scripted by the test, in the upstream client's place (`UpstreamTransport`): each
/// request the pipeline sends is recorded and answered by `answer`, on the loop, after `send`
/// returned, as `UpstreamClient` does. Nothing touches a socket.
final class ScriptedVendor: UpstreamTransport, @unchecked Sendable {
    /// `@unchecked Sendable`: `answer` and the record are behind `lock`; `send` runs on the loop.
    typealias Answer = (UpstreamRequest) -> Result<UpstreamResponse, UpstreamError>

    private unowned(unsafe) var loop: EventLoop!
    private let lock = NSLock()
    private var answer: Answer = { _ in .failure(UpstreamError(.connectFailed(errno: ECONNREFUSED))) }
    private var sent: [UpstreamRequest] = []
    /// Calls to this port wait for `releaseHeld` instead of being answered.
    private var heldPort: UInt16?
    private var held: [@Sendable () -> Void] = []

    /// The loop it answers on: set when the gateway makes its transport for that loop.
    func attach(to loop: EventLoop) -> ScriptedVendor {
        self.loop = loop
        return self
    }

    /// What the vendor says from now on.
    func script(_ answer: @escaping Answer) {
        lock.withLock { self.answer = answer }
    }

    /// Every request sent so far, in order.
    var requests: [UpstreamRequest] { lock.withLock { sent } }

    func send(_ request: UpstreamRequest, to target: UpstreamTarget,
              completion: @escaping (Result<UpstreamResponse, UpstreamError>) -> Void) {
        nonisolated(unsafe) let completion = completion
        let loop = loop!
        let result = lock.withLock {
            sent.append(request)
            return answer(request)
        }
        let answering: @Sendable () -> Void = { loop.execute { _ in completion(result) } }
        let isHeld = lock.withLock {
            guard heldPort == target.port else { return false }
            held.append(answering)
            return true
        }
        if !isHeld { answering() }
    }

    /// From now on, calls to `port` are held (a vendor that stalls) until `releaseHeld`.
    func hold(port: UInt16) {
        lock.withLock { heldPort = port }
    }

    /// Answers every held call, and holds no more; how many there were.
    @discardableResult
    func releaseHeld() -> Int {
        let answers = lock.withLock {
            heldPort = nil
            defer { held.removeAll() }
            return held
        }
        for answer in answers { answer() }
        return answers.count
    }

    func shutdown() {}

    /// An answer with `status` and a JSON body (a content type and length, as vendors send).
    static func json(_ status: Int, _ body: String, headers: [(String, String)] = []) -> Result<UpstreamResponse, UpstreamError> {
        var head = "HTTP/1.1 \(status) \(HTTPStatus.reasonPhrase(status))\r\ncontent-type: application/json\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let bytes = Array((head + "content-length: \(body.utf8.count)\r\n\r\n" + body).utf8)
        guard let response = bytes.withUnsafeBytes({ UpstreamResponse(parsing: $0) }) else {
            preconditionFailure("a scripted answer that does not parse: \(head)")
        }
        return .success(response)
    }
}
