import SwitchyardDevices
import SwitchyardJSON
import SwitchyardHTTP
import SwitchyardIO

/// The shared harness of the vendor-* targets: one vendor answer (the fuzz input, read by
/// `UpstreamResponse(parsing:)`) interpreted by an adapter for a few fixed sets of changes, and the
/// invariants every adapter's reading must keep whatever the vendor says.
public enum VendorHarness {
    /// A change as the gateway would hand it over: `id` in `kind:value` form, `document` a
    /// device document's JSON. The harness's own set-up, so a bad one stops the target at once.
    public static func change(
        _ operation: DeviceChange.Operation, id: String?, document: String, primary: IdentifierKind?,
        pointerPrefix: String = ""
    ) -> DeviceChange {
        var identifier: DeviceIdentifier?
        if let id {
            switch DeviceIdentifier.parse(CompactString(id), primary: primary) {
            case .success(let parsed): identifier = parsed
            case .failure(let problem): fatalError("fuzz set-up: id \(id): \(problem.detail)")
            }
        }
        guard case .object(let object)? = try? JSONParser.parse(Array(document.utf8)) else {
            fatalError("fuzz set-up: document is not a JSON object: \(document)")
        }
        let reading = DeviceDocumentReader.read(object, pointerPrefix: pointerPrefix)
        if let problem = reading.problem { fatalError("fuzz set-up: document: \(problem.detail) \(problem.fields)") }
        return DeviceChange(operation: operation, id: identifier, document: reading.document, pointerPrefix: pointerPrefix)
    }

    /// The lists answers are read in (their JSON's member lists, their documents' field lists),
    /// reused from one input to the next. A fuzz target runs on one thread.
    nonisolated(unsafe) private static let lists = AnswerLists(objects: JSONObject.pool(), documents: DeviceDocument.pool())

    /// Interprets `response` for each set of changes and checks:
    /// - one result per change;
    /// - an accepted change has status 200, 201 or 202, and only a 2xx vendor answer is accepted;
    /// - `reportedSuccesses` only with a short count (0 ≤ n < changes), every result then 202;
    /// - a confirmed document never holds a write-only field (the password) and writes valid JSON;
    /// - every problem passes `checkProblem`.
    public static func check(
        _ adapter: some VendorAdapter, _ response: UpstreamResponse, _ changeSets: [[DeviceChange]],
        withheld: [String] = []
    ) {
        for changes in changeSets {
            // Through one loop's lists: each input is read in lists the previous ones handed back.
            let answer = adapter.interpret(response, for: changes, lists: lists)
            defer {
                for case .accepted(_, var confirmed) in answer.results { confirmed.give(to: lists.documents) }
            }
            invariant(answer.results.count == changes.count,
                      "\(adapter.vendor): \(answer.results.count) results for \(changes.count) changes")
            if let successes = answer.reportedSuccesses {
                invariant(successes >= 0 && successes < changes.count,
                          "\(adapter.vendor): reportedSuccesses \(successes) for \(changes.count) changes")
            }
            for (index, result) in answer.results.enumerated() {
                switch result {
                case .accepted(let status, let confirmed):
                    invariant([200, 201, 202].contains(status), "\(adapter.vendor): accepted with status \(status)")
                    invariant((200..<300).contains(response.status),
                              "\(adapter.vendor): accepted a vendor answer with status \(response.status)")
                    if answer.reportedSuccesses != nil {
                        invariant(status == 202, "\(adapter.vendor): a short count must make every item 202, got \(status)")
                    }
                    for field in DeviceField.allCases where field.access == .writeOnly {
                        invariant(confirmed[field] == nil, "\(adapter.vendor): confirmed the write-only field \(field)")
                    }
                    var json = JSONWriter()
                    confirmed.write(to: &json, id: changes[index].id)
                    invariant((try? JSONParser.parse(json.bytes))?.objectValue != nil,
                              "\(adapter.vendor): the confirmed document does not write as a JSON object: "
                                  + String(decoding: json.bytes, as: UTF8.self))
                case .failed(let problem):
                    checkProblem(problem, adapter.vendor, response: response, withheld: withheld)
                }
            }
        }
    }

    /// A problem made of a vendor answer: never `internal_error` (500 is for the gateway's own
    /// bugs, ErrorCatalogue), a 4xx/5xx status, a non-empty detail, the vendor's status kept in
    /// `upstream`, a `Retry-After` of 1 to 3600 seconds with `upstream_rate_limited`, a problem
    /// document that is valid JSON, and none of `withheld` (the change's password) anywhere in it.
    public static func checkProblem(_ problem: Problem, _ vendor: Vendor, response: UpstreamResponse?, withheld: [String] = []) {
        invariant(problem.code != .internalError, "\(vendor): a vendor answer (\(response?.status ?? 0)) became internal_error: \(problem.detail)")
        invariant((400..<600).contains(problem.code.status), "\(vendor): problem status \(problem.code.status)")
        invariant(!problem.detail.isEmpty, "\(vendor): a problem without detail")
        if let upstream = problem.upstream, let response {
            invariant(upstream.status == response.status, "\(vendor): upstream.status \(upstream.status) for a \(response.status)")
        }
        if problem.code == .upstreamRateLimited {
            let retryAfter = problem.headers.first { $0.name.lowercased() == "retry-after" }?.value
            invariant(retryAfter.flatMap(Int.init).map { (1...3600).contains($0) } == true,
                      "\(vendor): upstream_rate_limited with Retry-After \(retryAfter ?? "none")")
        }
        for header in problem.headers {
            invariant(!header.value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 },
                      "\(vendor): a problem header value holds CR, LF or NUL")
        }
        let body = problem.body(requestID: "fuzz-request")
        invariant((try? JSONParser.parse(body))?.objectValue != nil,
                  "\(vendor): the problem document is not a JSON object: " + String(decoding: body, as: UTF8.self))
        let text = String(decoding: body, as: UTF8.self)
        for secret in withheld {
            invariant(!text.contains(secret), "\(vendor): the problem document carries a withheld value: \(text)")
        }
    }
}
