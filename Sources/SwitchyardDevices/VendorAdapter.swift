import SwitchyardHTTP
import SwitchyardJSON

/// One change a client asked for: a `POST /devices` document, a `PATCH /devices/{id}`, or one
/// item of a bulk update. Its fields have passed `FieldRules` and are in canonical form.
public struct DeviceChange: Sendable {
    public enum Operation: Sendable {
        /// `POST /devices`: register, or update where the identifiers exist.
        case upsert
        /// `PATCH`: update the device `id` names.
        case update
    }

    public var operation: Operation
    /// The device addressed: the path's (or the bulk item's) identifier; nil for an upsert.
    public var id: DeviceIdentifier?
    /// The fields to set.
    public var document: DeviceDocument
    /// Where the document sits in the request body, for problem pointers: `""` for a single
    /// request, `/devices/3` for the fourth item of a bulk update.
    public var pointerPrefix: String

    public init(operation: Operation, id: DeviceIdentifier?, document: DeviceDocument, pointerPrefix: String = "") {
        self.operation = operation
        self.id = id
        self.document = document
        self.pointerPrefix = pointerPrefix
    }

    /// The pointer of `field` in the request body.
    public func pointer(_ field: DeviceField) -> String { pointerPrefix + field.pointer }
}

/// What became of one change.
public enum DeviceResult: Sendable {
    /// The vendor took the change: `status` is 200, 201 or 202 (API.md), `confirmed` holds the
    /// fields the vendor's answer states (the gateway lays them over what was sent).
    case accepted(status: Int, confirmed: DeviceDocument)
    case failed(Problem)
}

/// A vendor's answer to one upstream call, as results per change.
public struct VendorAnswer: Sendable {
    /// A list, or one result standing for every change (a single change answered, a whole call
    /// refused): the usual answer then makes no list.
    private enum Results: Sendable {
        case each([DeviceResult])
        case all(DeviceResult, count: Int)
    }

    private var storage: Results
    /// Set when the vendor reports only how many changes it applied (iot-security's
    /// `updatedDeviceNum`) and that is fewer than were sent: no item is claimed as applied,
    /// each is 202, and this is the number that succeeded.
    public var reportedSuccesses: Int?

    public init(results: [DeviceResult], reportedSuccesses: Int? = nil) {
        storage = .each(results)
        self.reportedSuccesses = reportedSuccesses
    }

    /// One result per change, from `result`: a single change's answer (the usual call) makes no list.
    public static func each(_ changes: [DeviceChange], _ result: (DeviceChange) -> DeviceResult) -> VendorAnswer {
        changes.count == 1 ? .all(result(changes[0]), count: 1) : VendorAnswer(results: changes.map(result))
    }

    /// The same result for every change (a whole call refused, say). Taken (`consuming`): the usual
    /// caller builds the result in the call, and it is moved into the answer rather than copied.
    public static func all(_ result: consuming DeviceResult, count: Int) -> VendorAnswer {
        VendorAnswer(storage: .all(consume result, count: count))
    }

    private init(storage: Results) {
        self.storage = storage
    }

    /// How many results there are: one per change sent, unless the adapter is at fault.
    public var count: Int {
        switch storage {
        case .each(let results): results.count
        case .all(_, let count): count
        }
    }

    /// The result for the change at `position` among those sent.
    public subscript(position: Int) -> DeviceResult {
        switch storage {
        case .each(let results):
            return results[position]
        case .all(let result, let count):
            precondition(position >= 0 && position < count, "no result at \(position)")
            return result
        }
    }

    /// One result per change sent, in order.
    public var results: [DeviceResult] { (0..<count).map { self[$0] } }
}

/// An OAuth access token and how long the vendor says it lives.
public struct AccessToken: Sendable, Equatable {
    public var value: String
    public var expiresInSeconds: Double

    public init(value: String, expiresInSeconds: Double) {
        self.value = value
        self.expiresInSeconds = expiresInSeconds
    }
}

/// One vendor's translation, for one tenant's account: unified changes in, upstream requests
/// out; upstream answers in, results or problems out. Pure: no sockets, no clocks (`now` is
/// passed in), no state, so each adapter is tested with golden request/response pairs.
///
/// The gateway does everything common to all vendors before it asks an adapter: it parses and
/// checks the body against `FieldRules`, refuses an operation the vendor lacks (501), an id
/// kind it cannot address or a field it cannot store (422 `unsupported_field`), and after
/// `validate` it spends the vendor quota, sends, and merges the answer.
public protocol VendorAdapter: Sendable {
    var vendor: Vendor { get }
    /// The kind a bare `{id}` means; nil when the vendor has none (a bare id is then 400).
    var primaryKind: IdentifierKind? { get }
    /// The identifier kinds the vendor can address a device by. Asked on every request: a stored
    /// `let` in each adapter, as `storableFields`, since a static one is a lazy global and costs a
    /// `swift_once` call on every read.
    var addressableKinds: CaseSet<IdentifierKind> { get }
    /// The fields a change may carry for this vendor (the mapping table's request direction).
    var storableFields: CaseSet<DeviceField> { get }
    /// Whether the vendor has `POST /devices` (register-or-update).
    var supportsUpsert: Bool { get }
    /// Changes per upstream call in a bulk update: more than 1 for a native bulk API, else 1
    /// (fanned out, one call per item).
    var batchSize: Int { get }
    /// How many fanned-out calls one bulk request may have in flight at once.
    var fanOutConcurrency: Int { get }

    /// Rules of this vendor beyond the common ones (required fields, date windows): the
    /// problem (422) when the change cannot be sent, nil when it can. `now` is seconds since 1970.
    func validate(_ change: DeviceChange, now: Double) -> Problem?

    /// The token request for a vendor that authenticates with an OAuth token (mobilefirst-push),
    /// nil for the others.
    func accessTokenRequest() -> UpstreamRequest?
    /// The token in the token endpoint's answer, or the problem for a failed exchange.
    func accessToken(from response: UpstreamResponse) -> Result<AccessToken, Problem>

    /// The upstream request for `changes` (one, or up to `batchSize` for a native bulk call):
    /// the path is relative to the tenant's upstream prefix; the vendor's authentication is set
    /// (`accessToken` for token vendors). Its body is written into `body`, an empty array (the
    /// loop's reused one), taken so that writing grows it in place.
    func request(for changes: [DeviceChange], accessToken: String?, now: Double, body: consuming [UInt8]) -> UpstreamRequest
    /// The vendor's answer to `request(for: changes…)` as one result per change, read into `lists`
    /// (the loop's) when given: its JSON's objects, handed back once read (`JSONParser.parse(_:objects:)`),
    /// and the confirmed documents, which the gateway hands back once the answer is written.
    func interpret(_ response: UpstreamResponse, for changes: [DeviceChange], lists: AnswerLists?) -> VendorAnswer
    /// The problem for a call that got no answer (refused, reset, timed out, unreadable).
    func problem(for failure: UpstreamError) -> Problem
}

extension VendorAdapter {
    /// The vendor's answer read without a loop's lists, for a caller that keeps none.
    public func interpret(_ response: UpstreamResponse, for changes: [DeviceChange]) -> VendorAnswer {
        interpret(response, for: changes, lists: nil)
    }

    /// The upstream request for `changes` in a body array of its own, for a caller that keeps none.
    public func request(for changes: [DeviceChange], accessToken: String?, now: Double) -> UpstreamRequest {
        request(for: changes, accessToken: accessToken, now: now, body: [])
    }
}
