import SwitchyardHTTP

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
            return .json(404, [
                "error": "no control endpoint \(request.head.path)",
                "endpoints": endpoints.map { "\($0.names) \(root)\($0.path)" },
            ])
        }
        let method = request.head.method
        guard endpoint.methods.contains(method) else {
            return .json(405, ["error": "\(root)\(path) takes \(endpoint.names)"], headers: [("allow", endpoint.names)])
        }
        do {
            return try answer(path, method, request.body, state)
        } catch {
            return .json(400, ["error": error.message])
        }
    }

    private static func answer(_ path: String, _ method: HTTPMethod, _ body: [UInt8],
                               _ state: SimulatorState) throws(SimulatorError) -> HTTPResponse {
        switch (path, method) {
        case ("/info", _):
            return .json(200, state.info)
        case ("/faults", .post):
            for fault in try faults(from: body) { state.faults.add(fault) }
            return .json(201, ["faults": state.faults.pending.map(\.json)])
        case ("/faults", .delete):
            state.faults.removeAll()
            return .json(200, ["faults": [Any]()])
        case ("/faults", _):
            return .json(200, ["faults": state.faults.pending.map(\.json)])
        case ("/requests", .delete):
            state.recorder.removeAll()
            return .json(200, ["requests": [Any](), "total": 0])
        case ("/requests", _):
            return .json(200, ["requests": state.recorder.requests.map(\.json), "total": state.recorder.total])
        case ("/stats", _):
            return .json(200, state.statistics.json)
        case ("/devices", .post):
            try state.seed(body)
            return .json(200, state.vendor.state)
        case ("/devices", _):
            return .json(200, state.vendor.state)
        case ("/reset", _):
            state.reset()
            return .json(200, ["reset": true])
        default:
            preconditionFailure("endpoint table and answers disagree on \(method) \(path)")
        }
    }

    /// One fault object or an array of them; all are checked before any is queued.
    static func faults(from body: [UInt8]) throws(SimulatorError) -> [SimulatorFault] {
        let parsed = SimulatorJSON.parse(body)
        let objects: [[String: Any]]
        if let object = parsed as? [String: Any] {
            objects = [object]
        } else if let array = parsed as? [[String: Any]], !array.isEmpty {
            objects = array
        } else {
            throw SimulatorError("POST \(root)/faults takes a fault object or a non-empty array of them, e.g. {\"kind\": \"vendorError\", \"status\": 500, \"count\": 2}")
        }
        var faults: [SimulatorFault] = []
        for object in objects { faults.append(try SimulatorFault(json: object)) }
        return faults
    }
}
