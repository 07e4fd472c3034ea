import SwitchyardHTTP
import SwitchyardJSON

/// The simulator's own endpoints, under `/_simulator/` on the vendor's listener (no vendor path
/// starts there, and a path prefix may not). They take no credentials: a simulator is a test
/// double on loopback. Answers are JSON; mistakes are 400 `{"error": "..."}`.
///
/// docs/SIMULATORS.md lists each endpoint with examples.
enum ControlAPI {
    static let root = "/_simulator"

    private struct Endpoint {
        let path: String
        let methods: [HTTPMethod]
        let names: String
    }

    private static let endpoints = [
        Endpoint(path: "/info", methods: [.get], names: "GET"),
        Endpoint(path: "/faults", methods: [.get, .post, .delete], names: "GET, POST, DELETE"),
        Endpoint(path: "/requests", methods: [.get, .delete], names: "GET, DELETE"),
        Endpoint(path: "/stats", methods: [.get], names: "GET"),
        Endpoint(path: "/devices", methods: [.get, .post], names: "GET, POST"),
        Endpoint(path: "/reset", methods: [.post], names: "POST"),
    ]

    static func isControlPath(_ path: String) -> Bool {
        path == root || path.hasPrefix(root + "/")
    }

    static func respond(to request: HTTPRequest, state: SimulatorState) -> HTTPResponse {
        var path = String(request.head.path.dropFirst(root.count))
        if path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        guard let endpoint = endpoints.first(where: { $0.path == path }) else {
            return .json(404) { json in
                json.member("endpoints", endpoints.map { "\($0.names) \(root)\($0.path)" })
                json.member("error", "no control endpoint \(request.head.path)")
            }
        }
        let method = request.head.method
        guard endpoint.methods.contains(method) else {
            return .json(405, headers: [("allow", endpoint.names)]) { $0.member("error", "\(root)\(path) takes \(endpoint.names)") }
        }
        do {
            return try answer(path, method, request.body, state)
        } catch {
            return .json(400) { $0.member("error", error.message) }
        }
    }

    private static func answer(_ path: String, _ method: HTTPMethod, _ body: [UInt8],
                               _ state: SimulatorState) throws(SimulatorError) -> HTTPResponse {
        switch (path, method) {
        case ("/info", _):
            return .json(200) { writeInfo(state.configuration, to: &$0) }
        case ("/faults", .post):
            for fault in try faults(from: body) { state.faults.add(fault) }
            return faultList(201, state.faults.pending)
        case ("/faults", .delete):
            state.faults.removeAll()
            return faultList(200, [])
        case ("/faults", _):
            return faultList(200, state.faults.pending)
        case ("/requests", .delete):
            state.recorder.removeAll()
            return requestList([], total: 0)
        case ("/requests", _):
            return requestList(state.recorder.requests, total: state.recorder.total)
        case ("/stats", _):
            let statistics = state.statistics
            return .json(200) { json in
                json.member("acceptedConnections", statistics.acceptedConnections)
                json.member("inFlight", statistics.inFlight)
                json.member("maxInFlight", statistics.maxInFlight)
                json.member("openConnections", statistics.openConnections)
                json.member("requests", statistics.requests)
            }
        case ("/devices", .post):
            try state.seed(body)
            return .json(200, state.vendor.state)
        case ("/devices", _):
            return .json(200, state.vendor.state)
        case ("/reset", _):
            state.reset()
            return .json(200) { json in
                json.key("reset")
                json.bool(true)
            }
        default:
            preconditionFailure("endpoint table and answers disagree on \(method) \(path)")
        }
    }

    /// What a client needs to talk to this simulator: vendor, path prefix, credentials (under the
    /// gateway's configuration names), endpoints, rate limit and fault kinds.
    private static func writeInfo(_ configuration: SimulatorConfiguration, to json: inout JSONWriter) {
        var credentials: [String: String] = [:]
        for (key, value) in configuration.credentials.configurationKeys { credentials[key] = value }
        json.key("credentials")
        json.value(.object(JSONObject(sorting: credentials)))
        json.member("endpoints", configuration.vendor.endpoints.map { endpoint -> String in
            let space = endpoint.firstIndex(of: " ")!
            return endpoint[..<space] + " " + configuration.pathPrefix + endpoint[endpoint.index(after: space)...]
        })
        json.member("faultKinds", SimulatorFault.kindNames)
        json.member("pathPrefix", configuration.pathPrefix)
        if let limit = configuration.rateLimit {
            json.key("rateLimit")
            json.beginObject()
            json.member("perSeconds", limit.perSeconds)
            json.member("requests", limit.requests)
            json.endObject()
        }
        json.member("vendor", configuration.vendor.rawValue)
    }

    private static func faultList(_ status: Int, _ faults: [SimulatorFault]) -> HTTPResponse {
        .json(status) { json in
            json.key("faults")
            json.beginArray()
            for fault in faults { fault.write(to: &json) }
            json.endArray()
        }
    }

    private static func requestList(_ requests: [RecordedRequest], total: Int) -> HTTPResponse {
        .json(200) { json in
            json.key("requests")
            json.beginArray()
            for request in requests { request.write(to: &json) }
            json.endArray()
            json.member("total", total)
        }
    }

    /// One fault object or an array of them; all are checked before any is queued.
    static func faults(from body: [UInt8]) throws(SimulatorError) -> [SimulatorFault] {
        let objects: [JSONObject]
        switch JSONBody.parse(body) {
        case .object(let object)?:
            objects = [object]
        case .array(let elements)? where !elements.isEmpty && elements.allSatisfy({ $0.objectValue != nil }):
            objects = elements.compactMap(\.objectValue)
        default:
            throw SimulatorError("POST \(root)/faults takes a fault object or a non-empty array of them, e.g. {\"kind\": \"vendorError\", \"status\": 500, \"count\": 2}")
        }
        var faults: [SimulatorFault] = []
        for object in objects { faults.append(try SimulatorFault(json: object)) }
        return faults
    }
}
