import Foundation
import SwitchyardHTTP
import SwitchyardIO

/// The `HTTPResponder` of a simulator's server: control API requests go to `ControlAPI`; every
/// other request is recorded, meets the next matching fault, and is answered by the vendor.
///
/// `@unchecked Sendable` as `HTTPResponder` requires: it is called on its one loop only, and so
/// are its state and its gzip stream.
final class SimulatorResponder: HTTPResponder, @unchecked Sendable {
    let state: SimulatorState
    private lazy var gzip = GzipEncoder()

    init(state: SimulatorState) {
        self.state = state
    }

    func respond(to request: inout HTTPRequest, exchange: HTTPExchange) {
        let path = request.head.path
        if ControlAPI.isControlPath(path) {
            exchange.respond(ControlAPI.respond(to: request, state: state))
            return
        }
        let fault = state.faults.take(forPath: path)
        state.recorder.record(request, fault: fault?.name)
        state.callArrived()
        var answersLater = false
        defer { if !answersLater { state.callAnswered() } }
        guard let fault else {
            exchange.respond(answer(request))
            return
        }
        switch fault {
        case .vendorError(let status, let errorCode, let body, let headers):
            var response = state.vendor.errorResponse(status: status, errorCode: errorCode)
            if let body { response.body = Array(body.utf8) }
            for header in headers {
                response.headers.removeAll { $0.name.lowercased() == header.name.lowercased() }
                response.headers.append((header.name, header.value))
            }
            exchange.respond(response)
        case .delay(let seconds):
            let response = answer(request)
            answersLater = true
            exchange.loop.schedule(afterSeconds: seconds) { [state] in
                exchange.respond(response)
                state.callAnswered()
            }
        case .reset:
            exchange.resetConnection()
        case .garbage(let byteCount):
            exchange.respondRaw(FaultResponses.garbage(byteCount: byteCount), thenClose: true)
        case .gzip:
            var response = answer(request)
            response.body = gzip.compress(response.body)
            response.headers.append(("content-encoding", "gzip"))
            exchange.respond(response)
        case .chunked(let chunkSize):
            exchange.respondRaw(FaultResponses.chunked(answer(request), chunkSize: chunkSize), thenClose: false)
        case .closeMidBody:
            exchange.respondRaw(FaultResponses.truncated(answer(request)), thenClose: true)
        case .resetAfterGarbage(let byteCount):
            exchange.respondRawThenReset(FaultResponses.garbage(byteCount: byteCount))
        case .resetMidBody:
            exchange.respondRawThenReset(FaultResponses.truncated(answer(request)))
        case .interim(let answers):
            exchange.respondRawAndStall(FaultResponses.interim(answers: answers))
        }
    }

    /// The vendor's answer: its endpoints under the path prefix, its own 404 elsewhere.
    private func answer(_ request: HTTPRequest) -> HTTPResponse {
        let path = request.head.path
        let prefix = state.configuration.pathPrefix
        guard path.hasPrefix(prefix), path.dropFirst(prefix.count).hasPrefix("/") else {
            return state.vendor.errorResponse(status: 404, errorCode: nil)
        }
        let vendorRequest = SimulatorRequest(
            head: request.head,
            body: request.body,
            path: String(path.dropFirst(prefix.count)),
            query: request.head.query.map(FormEncoding.pairs) ?? [],
            date: Date(),
            monotonic: MonotonicClock.now()
        )
        return state.vendor.handle(vendorRequest)
    }

    /// What the vendor's front web server would say to a request it cannot parse: a short text.
    func rejection(for error: HTTPParseError, requestID: RequestID) -> HTTPResponse {
        HTTPResponse(
            status: error.status,
            headers: [("content-type", "text/plain; charset=utf-8")],
            body: Array("\(HTTPStatus.reasonPhrase(error.status)): \(error.detail)\n".utf8),
            closeConnection: true
        )
    }
}
