import SwitchyardJSON

/// Misbehaviour a simulator shows on purpose, to the next `count` vendor requests (those whose
/// path starts with `pathPrefix`, when given). Control API requests are never affected.
///
/// Whether the vendor acts on the request differs by kind, as it would in life: after
/// `vendorError`, `reset` and `garbage` nothing changed; after `delay`, `gzip`, `chunked` and
/// `closeMidBody` the vendor did the work (state changed, rate limits counted) and only the
/// answer is late or odd — the case a client must not mistake for "nothing happened".
public struct SimulatorFault: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Answer with `status` and the vendor's own error body for it (control-center: the
        /// catalogue entry `errorCode`, whose status is the default), or with `body` as given.
        case vendorError(status: Int?, errorCode: String?, body: String?, headers: [SimulatorHeader])
        /// Act on the request now, answer after `seconds`.
        case delay(seconds: Double)
        /// Reset the connection (RST) instead of answering.
        case reset
        /// `byteCount` random bytes that are not HTTP, then close.
        case garbage(byteCount: Int)
        /// The normal answer, gzip-encoded with `Content-Encoding: gzip`.
        case gzip
        /// The normal answer with `Transfer-Encoding: chunked` framing in chunks of `chunkSize`.
        case chunked(chunkSize: Int)
        /// The normal answer's status line and headers with its full `Content-Length`, half of
        /// its body, then close.
        case closeMidBody
        /// `byteCount` random bytes that are not HTTP, then a reset (RST) instead of a close.
        case resetAfterGarbage(byteCount: Int)
        /// As `closeMidBody`, but the connection ends with a reset (RST).
        case resetMidBody
        /// `answers` interim `103 Early Hints` heads and then nothing: a vendor that never
        /// gets to its final answer.
        case interim(answers: Int)

        /// The name used in the control API's JSON.
        public var name: String {
            switch self {
            case .vendorError: "vendorError"
            case .delay: "delay"
            case .reset: "reset"
            case .garbage: "garbage"
            case .gzip: "gzip"
            case .chunked: "chunked"
            case .closeMidBody: "closeMidBody"
            case .resetAfterGarbage: "resetAfterGarbage"
            case .resetMidBody: "resetMidBody"
            case .interim: "interim"
            }
        }
    }

    public var kind: Kind
    /// How many requests it applies to (at least 1).
    public var count: Int
    /// Only requests whose path (the simulator's path prefix included) starts with this.
    public var pathPrefix: String?

    public init(_ kind: Kind, count: Int = 1, pathPrefix: String? = nil) {
        precondition(count > 0, "a fault applies to at least one request")
        self.kind = kind
        self.count = count
        self.pathPrefix = pathPrefix
    }

    /// Whether the fault applies to a request for `path`.
    func matches(path: String) -> Bool {
        pathPrefix.map { path.hasPrefix($0) } ?? true
    }
}

// MARK: - JSON

extension SimulatorFault {
    static let maximumCount = 1_000_000
    static let maximumDelaySeconds = 600.0

    /// Reads the control API's form: `{"kind": "delay", "seconds": 2, "count": 1, "path": "/x"}`.
    /// Unknown members are refused, so a typo is an error and not a fault that never fires.
    init(json object: JSONObject) throws(SimulatorError) {
        guard let kindName = object["kind"]?.stringValue else {
            throw SimulatorError("a fault needs \"kind\": one of \(Self.kindNames.joined(separator: ", "))")
        }
        var allowed: Set<String> = ["kind", "count", "path"]
        let kind: Kind
        switch kindName {
        case "vendorError":
            allowed.formUnion(["status", "errorCode", "body", "headers"])
            let status = try Self.integer(object, "status", in: 100...599)
            let errorCode = try Self.string(object, "errorCode")
            let body = try Self.string(object, "body")
            var headers: [SimulatorHeader] = []
            if let value = object["headers"] {
                guard let fields = value.objectValue else {
                    throw SimulatorError("\"headers\" must be an object of header names to string values")
                }
                for (name, value) in fields.members.sorted(by: { $0.name < $1.name }) {
                    guard let value = value.stringValue, Self.isToken(name), !value.contains(where: \.isNewline) else {
                        throw SimulatorError("header \"\(name)\" must be a token with a one-line string value")
                    }
                    headers.append(SimulatorHeader(name: name, value: value))
                }
            }
            kind = .vendorError(status: status, errorCode: errorCode, body: body, headers: headers)
        case "delay":
            allowed.insert("seconds")
            guard let value = object["seconds"]?.doubleValue, value > 0, value <= Self.maximumDelaySeconds else {
                throw SimulatorError("a delay needs \"seconds\": a number above 0 and at most \(Int(Self.maximumDelaySeconds))")
            }
            kind = .delay(seconds: value)
        case "reset":
            kind = .reset
        case "garbage":
            allowed.insert("bytes")
            kind = .garbage(byteCount: try Self.integer(object, "bytes", in: 1...65536) ?? 64)
        case "gzip":
            kind = .gzip
        case "chunked":
            allowed.insert("chunkSize")
            kind = .chunked(chunkSize: try Self.integer(object, "chunkSize", in: 1...65536) ?? 16)
        case "closeMidBody":
            kind = .closeMidBody
        case "resetAfterGarbage":
            allowed.insert("bytes")
            kind = .resetAfterGarbage(byteCount: try Self.integer(object, "bytes", in: 1...65536) ?? 64)
        case "resetMidBody":
            kind = .resetMidBody
        case "interim":
            allowed.insert("answers")
            kind = .interim(answers: try Self.integer(object, "answers", in: 1...100_000) ?? 1000)
        default:
            throw SimulatorError("unknown fault kind \"\(kindName)\" (expected one of \(Self.kindNames.joined(separator: ", ")))")
        }
        if let unknown = object.members.map(\.name).sorted().first(where: { !allowed.contains($0) }) {
            throw SimulatorError("a \(kindName) fault takes no \"\(unknown)\" (it takes \(allowed.sorted().joined(separator: ", ")))")
        }
        self.kind = kind
        self.count = try Self.integer(object, "count", in: 1...Self.maximumCount) ?? 1
        self.pathPrefix = try Self.string(object, "path")
    }

    static let kindNames = [
        "vendorError", "delay", "reset", "garbage", "gzip", "chunked", "closeMidBody", "resetAfterGarbage", "resetMidBody", "interim",
    ]

    /// The control API's form, as `init(json:)` reads it, members in `MemberOrder`.
    func write(to json: inout JSONWriter) {
        json.beginObject()
        switch kind {
        case .interim(let answers): json.member("answers", answers)
        case .vendorError(_, _, let body?, _): json.member("body", body)
        case .garbage(let byteCount), .resetAfterGarbage(let byteCount): json.member("bytes", byteCount)
        case .chunked(let chunkSize): json.member("chunkSize", chunkSize)
        default: break
        }
        json.member("count", count)
        if case .vendorError(_, let errorCode, _, let headers) = kind {
            if let errorCode { json.member("errorCode", errorCode) }
            if !headers.isEmpty {
                json.key("headers")
                json.value(.object(JSONObject(sorting: Dictionary(headers.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }))))
            }
        }
        json.member("kind", kind.name)
        if let pathPrefix { json.member("path", pathPrefix) }
        switch kind {
        case .delay(let seconds): json.member("seconds", seconds)
        case .vendorError(let status?, _, _, _): json.member("status", status)
        default: break
        }
        json.endObject()
    }

    /// A number that is whole, however it is spelled (`2`, `2.0`, `2e0`), within `range`.
    private static func integer(_ object: JSONObject, _ key: String, in range: ClosedRange<Int>) throws(SimulatorError) -> Int? {
        guard let value = object[key] else { return nil }
        guard let number = value.doubleValue, number == number.rounded(), let integer = Int(exactly: number), range.contains(integer) else {
            throw SimulatorError("\"\(key)\" must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return integer
    }

    private static func string(_ object: JSONObject, _ key: String) throws(SimulatorError) -> String? {
        guard let value = object[key] else { return nil }
        guard let string = value.stringValue else { throw SimulatorError("\"\(key)\" must be a string") }
        return string
    }

    private static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }
}
