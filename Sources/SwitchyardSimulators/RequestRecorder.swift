import Foundation
import SwitchyardHTTP
import SwitchyardJSON

/// One vendor request as the simulator received it.
public struct RecordedRequest: Sendable, Equatable {
    /// 1 for the first request after start or reset.
    public let sequence: Int
    public let method: String
    /// Path and query exactly as sent (the simulator's path prefix included).
    public let target: String
    public let headers: [SimulatorHeader]
    /// The body after de-chunking, byte for byte (still gzip-encoded if the client sent it so).
    public let body: [UInt8]
    /// The fault that shaped the answer (`SimulatorFault.Kind.name`), nil when answered normally.
    public let fault: String?

    /// The first header called `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The control API's form, members in `MemberOrder`: `body`, `bodyBase64`, `fault` (null
    /// when answered normally), `headers` (`[name, value]` pairs), `method`, `sequence`, `target`.
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.member("body", bodyText)
        json.member("bodyBase64", Data(body).base64EncodedString())
        json.key("fault")
        if let fault { json.string(fault) } else { json.null() }
        json.key("headers")
        json.beginArray()
        for header in headers { json.value(.array([.string(header.name), .string(header.value)])) }
        json.endArray()
        json.member("method", method)
        json.member("sequence", sequence)
        json.member("target", target)
        json.endObject()
    }
}

/// The newest `capacity` vendor requests, oldest first.
struct RequestRecorder {
    let capacity: Int
    private(set) var requests: [RecordedRequest] = []
    /// Every request since start or `removeAll`, including those no longer kept.
    private(set) var total = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    mutating func record(_ request: HTTPRequest, fault: String?) {
        total += 1
        guard capacity > 0 else { return }
        let head = request.head
        let recorded = RecordedRequest(
            sequence: total,
            method: head.methodName,
            target: head.targetString,
            headers: head.fields.map { SimulatorHeader(name: head.name(of: $0), value: head.value(of: $0)) },
            body: request.body,
            fault: fault
        )
        if requests.count == capacity { requests.removeFirst() }
        requests.append(recorded)
    }

    mutating func removeAll() {
        requests.removeAll()
        total = 0
    }
}
