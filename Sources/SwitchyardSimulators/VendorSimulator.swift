import Foundation
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON

/// One vendor's behaviour: its endpoints, authentication, validation, errors and device state.
///
/// Lives on its host's loop and is called there only, so it keeps plain mutable state.
protocol VendorSimulator: AnyObject {
    /// Answers a request for one of the vendor's paths (`request.path` is without the prefix).
    func handle(_ request: SimulatorRequest) -> HTTPResponse
    /// The vendor's own error answer for `status`, or for its catalogue entry `errorCode` where
    /// it has a catalogue: what a `vendorError` fault without a body sends, and the answer to an
    /// unknown path.
    func errorResponse(status: Int?, errorCode: String?) -> HTTPResponse
    /// Adds or replaces state from the control API's seed document; with `replacing`, the
    /// devices (users, banned addresses…) there were are forgotten first.
    func seed(_ document: JSONObject, replacing: Bool) throws(SimulatorError)
    /// The state, in the seed document's shape.
    var state: JSONObject { get }
    /// Back to the seeded defaults (or to nothing), with rate limits and tokens forgotten.
    func reset()
}

extension VendorSimulator {
    /// Seed members a vendor does not know are refused, so a seed that does nothing is an error.
    func checkMembers(_ document: JSONObject, allowed: Set<String>) throws(SimulatorError) {
        if let unknown = document.members.map(\.name).sorted().first(where: { !allowed.contains($0) }) {
            throw SimulatorError("this simulator's seed takes no \"\(unknown)\" (it takes \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    /// The array of objects under `key`, or an empty array when absent.
    func objects(_ document: JSONObject, _ key: String) throws(SimulatorError) -> [JSONObject] {
        try array(document, key, of: "objects", \.objectValue) ?? []
    }

    /// The array of strings under `key`, or nil when absent.
    func strings(_ document: JSONObject, _ key: String) throws(SimulatorError) -> [String]? {
        try array(document, key, of: "strings", \.stringValue)
    }

    /// The elements of the array under `key`, each read by `element`; nil when absent.
    private func array<Element>(_ document: JSONObject, _ key: String, of kind: String,
                                _ element: (JSONValue) -> Element?) throws(SimulatorError) -> [Element]? {
        guard let value = document[key] else { return nil }
        guard let elements = value.arrayValue, elements.allSatisfy({ element($0) != nil }) else {
            throw SimulatorError("\"\(key)\" must be an array of \(kind)")
        }
        return elements.compactMap(element)
    }
}

/// A vendor request as the simulators read it: the parsed head and body, the path with the
/// simulator's prefix removed, the query as name-value pairs, and one clock reading.
struct SimulatorRequest {
    let head: HTTPRequestHead
    let body: [UInt8]
    /// The vendor path: the request's path without the configured prefix.
    let path: String
    /// The query's pairs, percent-decoded, in order.
    let query: [(name: String, value: String)]
    /// Wall-clock time for timestamps the vendor shows.
    let date: Date
    /// Monotonic nanoseconds for rate limits and token lifetimes.
    let monotonic: UInt64

    var method: HTTPMethod { head.method }
    var methodName: String { head.methodName }

    func header(_ name: StaticString) -> String? {
        head.firstValue(name)
    }

    /// The first value of query parameter `name`.
    func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    /// The path split at `/` without the empty first segment; each segment percent-decoded.
    var segments: [String] {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            FormEncoding.decode($0, plusIsSpace: false)
        }
    }
}
