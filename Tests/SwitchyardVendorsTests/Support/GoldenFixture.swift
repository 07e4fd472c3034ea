import Foundation
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardVendors
import XCTest

/// A golden request/response pair for an adapter, read from `Fixtures/<vendor>/<case>.json`:
/// the client's change(s), the exact upstream request the adapter must build, the vendor's
/// answer, and the results the adapter must make of it (or the problem `validate` must find,
/// in which case no request is built).
///
/// Format (one change at the top level, or several under `changes` for a batch):
/// ```
/// {"description": "…", "now": "2026-11-21T12:00:00Z",
///  "operation": "update" | "upsert", "id": "iccid:…", "document": {…},   or  "changes": [{…}, …]
///  "accessToken": "…",
///  "upstreamRequest": {"method": "PUT", "path": "/…", "headers": {…}, "json": … | "text": "…"},
///  "upstreamResponse": {"status": 200, "headers": {…}, "json": … | "text": "…"},
///  "expected": {"status": 200, "confirmed": {…}} | {"problem": {…}}
///           | {"results": [ {"status": …, "confirmed": …} | {"problem": …}, … ], "reportedSuccesses": n}}
/// ```
/// Headers are compared as an exact set (names case-insensitively); a `json` body is compared
/// as parsed JSON, a `text` body byte for byte. A problem is compared by `code`, `status`,
/// `fields` (exactly; none when absent) and `upstream` (exactly; none when absent).
struct GoldenFixture {
    let name: String
    let object: JSONObject

    /// Every fixture of `vendor` (its directory name under Fixtures), sorted by file name.
    static func all(_ vendor: String, file: StaticString = #filePath, line: UInt = #line) throws -> [GoldenFixture] {
        guard let directory = Bundle.module.url(forResource: "Fixtures/\(vendor)", withExtension: nil) else {
            XCTFail("no fixtures for \(vendor)", file: file, line: line)
            return []
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { name in
            let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
            guard case .object(let object) = try JSONParser.parse(bytes) else {
                throw FixtureError("\(vendor)/\(name) is not a JSON object")
            }
            return GoldenFixture(name: "\(vendor)/\(name)", object: object)
        }
    }

    /// Runs every fixture of `vendor` against `adapter`; fails the test when there are none.
    static func runAll(_ vendor: String, adapter: some VendorAdapter, file: StaticString = #filePath, line: UInt = #line) throws {
        let fixtures = try all(vendor, file: file, line: line)
        XCTAssertFalse(fixtures.isEmpty, "no fixtures for \(vendor)", file: file, line: line)
        for fixture in fixtures { try fixture.run(adapter, file: file, line: line) }
    }

    struct FixtureError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    func run(_ adapter: some VendorAdapter, file: StaticString = #filePath, line: UInt = #line) throws {
        let now = try nowSeconds()
        let changes = try readChanges(adapter)
        guard let expected = object["expected"]?.objectValue else { throw FixtureError("\(name): no expected") }

        for change in changes {
            if let problem = adapter.validate(change, now: now) {
                guard let expectedProblem = expected["problem"]?.objectValue else {
                    XCTFail("\(name): validate refused: \(problem.code.rawValue) \(problem.detail) \(problem.fields)", file: file, line: line)
                    return
                }
                XCTAssertNil(object["upstreamRequest"], "\(name): a refused change must have no upstream request", file: file, line: line)
                compare(problem, expectedProblem, "validate", file: file, line: line)
                return
            }
        }
        guard let expectedRequest = object["upstreamRequest"]?.objectValue else {
            XCTFail("\(name): validate passed, but the fixture expects a refusal", file: file, line: line)
            return
        }
        let request = adapter.request(for: changes, accessToken: object["accessToken"]?.stringValue, now: now)
        compare(request, expectedRequest, file: file, line: line)

        guard let answer = object["upstreamResponse"]?.objectValue else { throw FixtureError("\(name): no upstreamResponse") }
        // Read as the gateway reads it, twice through one loop's lists: the second time its objects
        // and confirmed documents are built in the lists the first handed back.
        let lists = AnswerLists(objects: JSONObject.pool(), documents: DeviceDocument.pool())
        for _ in 0..<2 {
            let result = adapter.interpret(try Self.response(answer), for: changes, lists: lists)
            defer {
                for case .accepted(_, var confirmed) in result.results { confirmed.give(to: lists.documents) }
            }
            let expectedResults: [JSONValue]
            if let results = expected["results"]?.arrayValue {
                expectedResults = results
                XCTAssertEqual(result.reportedSuccesses, expected["reportedSuccesses"]?.intValue, "\(name): reportedSuccesses", file: file, line: line)
            } else {
                expectedResults = [.object(expected)]
                XCTAssertNil(result.reportedSuccesses, "\(name): reportedSuccesses", file: file, line: line)
            }
            XCTAssertEqual(result.results.count, expectedResults.count, "\(name): result count", file: file, line: line)
            for (index, (got, want)) in zip(result.results, expectedResults).enumerated() {
                guard let want = want.objectValue else { throw FixtureError("\(name): results[\(index)] is not an object") }
                compare(got, want, "results[\(index)]", file: file, line: line)
            }
        }
    }

    // MARK: Reading

    private func nowSeconds() throws -> Double {
        let text = object["now"]?.stringValue ?? "2026-11-21T12:00:00Z"
        guard let seconds = RFC3339.secondsSince1970(text) else { throw FixtureError("\(name): bad now") }
        return seconds
    }

    private func readChanges(_ adapter: some VendorAdapter) throws -> [DeviceChange] {
        if let list = object["changes"]?.arrayValue {
            return try list.enumerated().map { index, value in
                guard let item = value.objectValue else { throw FixtureError("\(name): changes[\(index)] is not an object") }
                return try change(item, adapter, pointerPrefix: list.count > 1 ? "/devices/\(index)" : "")
            }
        }
        return [try change(object, adapter, pointerPrefix: "")]
    }

    private func change(_ item: JSONObject, _ adapter: some VendorAdapter, pointerPrefix: String) throws -> DeviceChange {
        let operation: DeviceChange.Operation
        switch item["operation"]?.stringValue {
        case "upsert": operation = .upsert
        case "update", nil: operation = .update
        default: throw FixtureError("\(name): operation is upsert or update")
        }
        var id: DeviceIdentifier?
        if let text = item["id"]?.compactString {
            switch DeviceIdentifier.parse(text, primary: adapter.primaryKind) {
            case .success(let parsed): id = parsed
            case .failure(let problem): throw FixtureError("\(name): id: \(problem.detail)")
            }
        }
        let reading = DeviceDocumentReader.read(item["document"]?.objectValue ?? JSONObject(), pointerPrefix: pointerPrefix)
        if let problem = reading.problem { throw FixtureError("\(name): document: \(problem.detail) \(problem.fields)") }
        return DeviceChange(operation: operation, id: id, document: reading.document, pointerPrefix: pointerPrefix)
    }

    static func response(_ answer: JSONObject) throws -> UpstreamResponse {
        guard let status = answer["status"]?.intValue else { throw FixtureError("upstreamResponse needs a status") }
        var head = "HTTP/1.1 \(status) \(HTTPStatus.reasonPhrase(status))\r\n"
        for member in answer["headers"]?.objectValue?.members ?? [] {
            head += "\(member.name): \(member.value.stringValue ?? "")\r\n"
        }
        let body = try bodyBytes(answer) ?? []
        head += "content-length: \(body.count)\r\n\r\n"
        guard let response = (Array(head.utf8) + body).withUnsafeBytes({ UpstreamResponse(parsing: $0) }) else {
            throw FixtureError("upstreamResponse head did not parse: \(head)")
        }
        return response
    }

    private static func bodyBytes(_ part: JSONObject) throws -> [UInt8]? {
        if let text = part["text"]?.stringValue { return Array(text.utf8) }
        if let json = part["json"] {
            var writer = JSONWriter()
            writer.value(json)
            return writer.bytes
        }
        return nil
    }

    // MARK: Comparing

    private func compare(_ request: UpstreamRequest, _ expected: JSONObject, file: StaticString, line: UInt) {
        XCTAssertEqual("\(request.method)".uppercased(), expected["method"]?.stringValue, "\(name): method", file: file, line: line)
        XCTAssertEqual(request.requestTarget, expected["path"]?.stringValue, "\(name): path", file: file, line: line)
        let got = Dictionary(request.fields.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { "\($0), \($1)" })
        let want = Dictionary((expected["headers"]?.objectValue?.members ?? []).map { ($0.name.lowercased(), $0.value.stringValue ?? "") },
                              uniquingKeysWith: { "\($0), \($1)" })
        XCTAssertEqual(got, want, "\(name): headers", file: file, line: line)
        XCTAssertEqual(request.fields.count, got.count, "\(name): a header is repeated", file: file, line: line)
        if let text = expected["text"]?.stringValue {
            XCTAssertEqual(String(decoding: request.body, as: UTF8.self), text, "\(name): body", file: file, line: line)
        } else if let json = expected["json"] {
            XCTAssertEqual(try? JSONParser.parse(request.body), json, "\(name): body as JSON", file: file, line: line)
        } else {
            XCTAssertTrue(request.body.isEmpty, "\(name): body should be empty", file: file, line: line)
        }
    }

    private func compare(_ result: DeviceResult, _ expected: JSONObject, _ label: String, file: StaticString, line: UInt) {
        switch result {
        case .accepted(let status, let confirmed):
            guard expected["problem"] == nil else {
                XCTFail("\(name) \(label): accepted with \(status), expected a problem", file: file, line: line)
                return
            }
            XCTAssertEqual(status, expected["status"]?.intValue, "\(name) \(label): status", file: file, line: line)
            let want = DeviceDocumentReader.read(expected["confirmed"]?.objectValue ?? JSONObject(), direction: .response)
            XCTAssertNil(want.problem, "\(name) \(label): expected.confirmed is not a device document", file: file, line: line)
            XCTAssertEqual(Self.json(confirmed), Self.json(want.document), "\(name) \(label): confirmed", file: file, line: line)
        case .failed(let problem):
            guard let want = expected["problem"]?.objectValue else {
                XCTFail("\(name) \(label): failed with \(problem.code.rawValue): \(problem.detail)", file: file, line: line)
                return
            }
            compare(problem, want, label, file: file, line: line)
        }
    }

    private func compare(_ problem: Problem, _ expected: JSONObject, _ label: String, file: StaticString, line: UInt) {
        XCTAssertEqual(problem.code.rawValue, expected["code"]?.stringValue, "\(name) \(label): code", file: file, line: line)
        XCTAssertEqual(problem.code.status, expected["status"]?.intValue ?? problem.code.status, "\(name) \(label): status", file: file, line: line)
        let wantFields = (expected["fields"]?.arrayValue ?? []).map { value -> FieldError in
            let field = value.objectValue ?? JSONObject()
            return FieldError(pointer: field["pointer"]?.stringValue ?? "?", reason: field["reason"]?.stringValue ?? "?")
        }
        XCTAssertEqual(problem.fields, wantFields, "\(name) \(label): fields", file: file, line: line)
        let wantUpstream = expected["upstream"]?.objectValue.map { upstream in
            UpstreamDiagnostic(status: upstream["status"]?.intValue ?? -1, code: upstream["code"]?.stringValue,
                               message: upstream["message"]?.stringValue)
        }
        XCTAssertEqual(problem.upstream, wantUpstream, "\(name) \(label): upstream", file: file, line: line)
    }

    /// A document as its response JSON, for comparison with a readable failure message.
    static func json(_ document: DeviceDocument) -> String {
        var writer = JSONWriter()
        document.write(to: &writer, id: nil)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
