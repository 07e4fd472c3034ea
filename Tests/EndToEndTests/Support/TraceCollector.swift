import Foundation
import SwitchyardHTTP
import SwitchyardJSON
import XCTest

/// An OTLP/HTTP collector for the tracing tests: a real plain-HTTP listener on 127.0.0.1 that
/// records every body POSTed to it and answers as the test says (accept, fail, or never answer).
final class TraceCollector: @unchecked Sendable {
    enum Behaviour {
        case accept
        case answer(status: Int)
        /// Reads the request and never answers: a collector that hangs.
        case stall
    }

    /// One exported span, flattened out of `resourceSpans[].scopeSpans[].spans[]`.
    struct ExportedSpan {
        let json: JSONObject
        /// The resource's `service.name` and the scope's name the span came under.
        let serviceName: String?
        let scopeName: String?

        var traceID: String? { json["traceId"]?.stringValue }
        var spanID: String? { json["spanId"]?.stringValue }
        var parentSpanID: String? { json["parentSpanId"]?.stringValue }
        var name: String? { json["name"]?.stringValue }
        var kind: Int? { json["kind"]?.intValue }
        var statusCode: Int? { json["status"]?.objectValue?["code"]?.intValue }

        /// An attribute's `value` object (`{"stringValue": …}` or `{"intValue": "…"}`).
        func attribute(_ key: String) -> JSONObject? {
            json["attributes"]?.arrayValue?.first { $0.objectValue?["key"]?.stringValue == key }?.objectValue?["value"]?.objectValue
        }

        func string(_ key: String) -> String? { attribute(key)?["stringValue"]?.stringValue }
        /// An `intValue`, which OTLP/JSON writes as a decimal string.
        func int(_ key: String) -> String? { attribute(key)?["intValue"]?.stringValue }
    }

    private let server: UpstreamTestServer
    var port: UInt16 { server.port }
    var endpoint: String { "http://127.0.0.1:\(port)/v1/traces" }

    init(_ behaviour: Behaviour = .accept) throws {
        server = try UpstreamTestServer(certificate: nil, key: nil) { _, exchange, _ in
            switch behaviour {
            case .accept: exchange.respond(HTTPResponse(status: 200, headers: [("content-type", "application/json")], body: Array("{}".utf8)))
            case .answer(let status): exchange.respond(HTTPResponse(status: status))
            case .stall: break
            }
        }
    }

    func stop() {
        server.stop()
    }

    /// Every POST received, as the test reads it.
    var requests: [ScriptedResponder.Seen] { server.responder.requests }

    /// Every span received so far, in order of arrival.
    func spans() throws -> [ExportedSpan] {
        var spans: [ExportedSpan] = []
        for request in requests {
            let document = try JSONParser.parse(request.body)
            for resource in document.objectValue?["resourceSpans"]?.arrayValue ?? [] {
                let attributes = resource.objectValue?["resource"]?.objectValue?["attributes"]?.arrayValue ?? []
                let service = attributes.first { $0.objectValue?["key"]?.stringValue == "service.name" }?
                    .objectValue?["value"]?.objectValue?["stringValue"]?.stringValue
                for scope in resource.objectValue?["scopeSpans"]?.arrayValue ?? [] {
                    let scopeName = scope.objectValue?["scope"]?.objectValue?["name"]?.stringValue
                    for span in scope.objectValue?["spans"]?.arrayValue ?? [] {
                        if let object = span.objectValue { spans.append(ExportedSpan(json: object, serviceName: service, scopeName: scopeName)) }
                    }
                }
            }
        }
        return spans
    }

    /// The spans of `traceID`, once `count` of them arrived (the loops hand spans over within a
    /// second); fails the test after `timeout`.
    func spans(ofTrace traceID: String, count: Int, timeout: Double = 10,
               file: StaticString = #filePath, line: UInt = #line) throws -> [ExportedSpan] {
        let deadline = Date().addingTimeInterval(timeout)
        var found: [ExportedSpan] = []
        while Date() < deadline {
            found = try spans().filter { $0.traceID == traceID }
            if found.count >= count { return found }
            usleep(50_000)
        }
        XCTFail("\(found.count) of \(count) spans of trace \(traceID) arrived", file: file, line: line)
        return found
    }
}
