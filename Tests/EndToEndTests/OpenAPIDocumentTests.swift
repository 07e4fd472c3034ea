import Foundation
import Switchyard
import SwitchyardDevices
import SwitchyardJSON
import XCTest

/// docs/openapi.yaml against the code it documents (problem codes, device fields) and the
/// checker the end-to-end tests hold real answers against: it must accept answers the gateway
/// writes and name exactly what is wrong with ones it must not.
final class OpenAPIDocumentTests: XCTestCase {
    static let requestID = "7f3c2a9e-4b1d-4c55-9a77-0c2f1e8d6b10"

    // MARK: The document

    func testTheDocumentLoadsAsOpenAPI31() throws {
        let document = try OpenAPIDocument()
        let version = try XCTUnwrap(document.value(at: "/openapi")?.stringValue)
        XCTAssertTrue(version.hasPrefix("3.1."), version)
        XCTAssertEqual(document.operations.map { "\($0.method) \($0.pathTemplate)" },
                       ["POST /devices", "PATCH /devices", "PATCH /devices/{id}"])
    }

    func testTheCodeEnumIsEveryProblemCodeInOrder() throws {
        let document = try OpenAPIDocument()
        let codes = try XCTUnwrap(document.value(at: "/components/schemas/Problem/properties/code/enum")?.arrayValue)
        XCTAssertEqual(codes.compactMap(\.stringValue), ProblemCode.allCases.map(\.rawValue))
    }

    /// The catalogue is what a client reads to learn a code's status; it must be the code's own.
    func testTheCatalogueGivesEachCodeItsStatusTitleAndType() throws {
        let document = try OpenAPIDocument()
        let entries = try XCTUnwrap(document.value(at: "/components/schemas/ProblemCatalogue/oneOf")?.arrayValue)
        var described: [String: (status: Int?, title: String?, type: String?, when: String?)] = [:]
        for entry in entries {
            let properties = entry.objectValue?["properties"]?.objectValue
            let code = try XCTUnwrap(properties?["code"]?.objectValue?["const"]?.stringValue, "\(entry)")
            XCTAssertNil(described[code], "\(code) is described twice")
            described[code] = (properties?["status"]?.objectValue?["const"]?.intValue,
                               properties?["title"]?.objectValue?["const"]?.stringValue,
                               properties?["type"]?.objectValue?["const"]?.stringValue,
                               entry.objectValue?["description"]?.stringValue)
        }
        XCTAssertEqual(Set(described.keys), Set(ProblemCode.allCases.map(\.rawValue)))
        for code in ProblemCode.allCases {
            let entry = described[code.rawValue]
            XCTAssertEqual(entry?.status, code.status, code.rawValue)
            XCTAssertEqual(entry?.title, code.title, code.rawValue)
            XCTAssertEqual(entry?.type, code.type, code.rawValue)
            XCTAssertFalse(entry?.when?.isEmpty ?? true, "\(code.rawValue) says when it is given")
        }
    }

    func testEveryProblemStatusIsDocumentedForSomeOperation() throws {
        let document = try OpenAPIDocument()
        let documented = Set(document.operations.flatMap { document.statuses(method: $0.method, pathTemplate: $0.pathTemplate) })
        for code in ProblemCode.allCases {
            XCTAssertTrue(documented.contains(code.status), "\(code.rawValue): \(code.status) is no operation's")
        }
    }

    /// API.md §1: every error is a problem document; no error status may be documented as anything else.
    func testEveryErrorStatusIsAProblemDocument() throws {
        let document = try OpenAPIDocument()
        for operation in document.operations {
            let responses = try XCTUnwrap(document.value(at: "/paths/\(escape(operation.pathTemplate))/\(operation.method.lowercased())/responses")?.objectValue)
            for response in responses.members where (Int(response.name) ?? 0) >= 400 {
                let content = document.dereferenced(response.value).objectValue?["content"]?.objectValue
                XCTAssertEqual(content?.members.map(\.name), ["application/problem+json"], "\(operation) \(response.name)")
                let schema = content?["application/problem+json"]?.objectValue?["schema"]
                let refersToProblem = schema?.objectValue?["allOf"]?.arrayValue?.contains {
                    $0.objectValue?["$ref"]?.stringValue == "#/components/schemas/Problem"
                }
                XCTAssertEqual(refersToProblem, true, "\(operation) \(response.name)")
            }
        }
    }

    /// Each field of the document is in `Device` where its pointer says, with its access and type;
    /// and `Device` has nothing else but `id`.
    func testDeviceHasEveryDeviceFieldAndNothingElse() throws {
        let document = try OpenAPIDocument()
        let device = try XCTUnwrap(document.value(at: "/components/schemas/Device"))
        func flag(_ name: String, _ schema: JSONValue) -> Bool {
            schema.objectValue?[name]?.boolValue == true || document.dereferenced(schema).objectValue?[name]?.boolValue == true
        }
        func properties(_ schema: JSONValue) -> JSONObject? { document.dereferenced(schema).objectValue?["properties"]?.objectValue }

        for field in DeviceField.allCases {
            var schema = device
            var (readOnly, writeOnly) = (false, false)
            var found = true
            for name in field.pointer.split(separator: "/").map(String.init) {
                guard let property = properties(schema)?[name] else {
                    found = false
                    break
                }
                readOnly = readOnly || flag("readOnly", property)
                writeOnly = writeOnly || flag("writeOnly", property)
                schema = property
            }
            XCTAssertTrue(found, "\(field.pointer) is not in Device")
            guard found else { continue }
            XCTAssertEqual(readOnly, field.access == .readOnly, "\(field.pointer) readOnly")
            XCTAssertEqual(writeOnly, field.access == .writeOnly, "\(field.pointer) writeOnly")
            let type = document.dereferenced(schema).objectValue?["type"]?.stringValue
            XCTAssertEqual(type, field.valueType == .boolean ? "boolean" : "string", field.pointer)
        }

        var pointers: Set<String> = []
        for member in properties(device)?.members ?? [] {
            if let group = properties(member.value), DeviceField.Group(named: member.name) != nil {
                pointers.formUnion(group.members.map { "/\(member.name)/\($0.name)" })
            } else {
                pointers.insert("/\(member.name)")
            }
        }
        XCTAssertEqual(pointers, Set(DeviceField.allCases.map(\.pointer) + ["/id"]))
    }

    /// API.md §1: one shape, whichever vendor serves the tenant; a success schema that names a
    /// vendor would be describing two.
    func testNoSuccessSchemaNamesAVendor() throws {
        let document = try OpenAPIDocument()
        var texts: [String] = []
        var visited: Set<String> = []
        func collect(_ value: JSONValue) {
            switch value {
            case .string(let text):
                texts.append(text.description)
            case .array(let elements):
                elements.forEach(collect)
            case .object(let object):
                for member in object.members {
                    texts.append(member.name)
                    // Problems are the error shape, where naming what a vendor said is the point.
                    if member.name == "$ref", let reference = member.value.stringValue {
                        guard reference != "#/components/schemas/Problem", visited.insert(reference).inserted,
                              let target = document.value(at: String(reference.dropFirst())) else { continue }
                        collect(target)
                    } else {
                        collect(member.value)
                    }
                }
            default:
                break
            }
        }
        for operation in document.operations {
            for status in document.statuses(method: operation.method, pathTemplate: operation.pathTemplate) where status < 300 {
                let response = "/paths/\(escape(operation.pathTemplate))/\(operation.method.lowercased())/responses/\(status)"
                collect(try XCTUnwrap(document.value(at: response + "/content")))
            }
        }
        XCTAssertTrue(visited.contains("#/components/schemas/DeviceResponse"), "the walk reached the device schemas")
        for vendor in Vendor.allCases {
            let word = try NSRegularExpression(pattern: "(?<![A-Za-z0-9-])\(NSRegularExpression.escapedPattern(for: vendor.rawValue))(?![A-Za-z0-9-])",
                                               options: .caseInsensitive)
            for text in texts where word.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil {
                XCTFail("a success schema names \(vendor.rawValue): \(text)")
            }
        }
    }

    // MARK: The checker accepts what the gateway writes

    func testADeviceAnswerConforms() throws {
        let document = try OpenAPIDocument()
        let body = """
        {"id": "iccid:8988216716970004975", "iccid": "8988216716970004975", "ipv4": "10.20.0.11", "apn": "iot.example",
         "pdpId": "1", "sim": {"status": "ACTIVATED", "ratePlan": "plan-a", "overageLimitOverride": "DEFAULT"},
         "custom": {"accountCustom1": "", "operatorCustom5": "blue"}, "effectiveAt": "2026-12-01T00:00:00Z"}
        """
        XCTAssertEqual(check(document, "PATCH", "/devices/{id}", 202, body, headers: [
            "ratelimit-policy": "\"tenant\";q=600;w=60", "ratelimit": "\"tenant\";r=49;t=1",
        ]), [])
        let registered = """
        {"id": "mac:A1B2C3D4E5F6", "mac": "A1B2C3D4E5F6", "platform": {"os": "android", "osVersion": "14", "type": "tv"},
         "app": {"name": "player", "version": "2.1"}, "state": {"active": true, "banned": false}}
        """
        XCTAssertEqual(check(document, "POST", "/devices", 201, registered), [])
    }

    func testABulkAnswerWithSuccessesAndFailuresConforms() throws {
        let document = try OpenAPIDocument()
        let body = """
        {"results": [
          {"id": "deviceId:android-0001", "status": 200, "device": {"id": "deviceId:android-0001", "deviceId": "android-0001",
           "msisdn": "+15550100001", "push": {"token": "fcm-token-0002", "platform": "G"}, "user": {"id": "alice"},
           "createdAt": "2015-05-20T11:42:11Z", "updatedAt": "2026-01-02T08:30:00.123+01:00"}},
          {"id": "deviceId:gone-0002", "status": 404, "problem": \(problem(.deviceNotFound, extra: #""upstream": {"status": 404}"#))},
          {"id": "iccid:12", "status": 400, "problem": \(problem(.invalidRequest))},
          {"status": 400, "problem": \(problem(.invalidRequest, extra: #""fields": [{"pointer": "/devices/3/id", "reason": "required"}]"#))}
        ], "succeeded": 1, "failed": 3}
        """
        XCTAssertEqual(check(document, "PATCH", "/devices", 207, body), [])
        XCTAssertEqual(check(document, "PATCH", "/devices", 200, #"{"results": [], "succeeded": 0, "failed": 0}"#), [])
    }

    func testProblemAnswersConform() throws {
        let document = try OpenAPIDocument()
        let unsupported = problem(.unsupportedField, extra: """
            "fields": [{"pointer": "/push/platform", "reason": "set by the vendor; responses only"},
                       {"pointer": "", "reason": "needs one of iccid"}, {"pointer": "/a~1b", "reason": "not a field of the device document"}]
            """)
        XCTAssertEqual(check(document, "POST", "/devices", 422, unsupported, contentType: "application/problem+json"), [])
        let upstream = problem(.upstreamAuthFailed, extra: #""upstream": {"status": 401, "code": "10000001", "message": "Invalid credentials"}"#)
        XCTAssertEqual(check(document, "PATCH", "/devices/{id}", 502, upstream, contentType: "application/problem+json"), [])
        XCTAssertEqual(check(document, "PATCH", "/devices", 429, problem(.rateLimited), contentType: "application/problem+json",
                             headers: ["retry-after": "2", "ratelimit-policy": "\"tenant\";q=5;w=1", "ratelimit": "\"tenant\";r=0;t=1"]), [])
        XCTAssertEqual(check(document, "POST", "/devices", 401, problem(.unauthenticated), contentType: "application/problem+json",
                             headers: ["www-authenticate": "Bearer error=\"invalid_token\""]), [])
        // Another method on a documented path is held against the path's 405.
        XCTAssertEqual(check(document, "DELETE", "/devices/{id}", 405, problem(.methodNotAllowed),
                             contentType: "application/problem+json", headers: ["allow": "PATCH"]), [])
    }

    // MARK: The checker names what is wrong

    func testTheCheckerNamesEachMismatch() throws {
        let document = try OpenAPIDocument()
        let device = #""id": "iccid:8988216716970004975", "iccid": "8988216716970004975""#

        XCTAssertEqual(check(document, "PATCH", "/devices/{id}", 200, "{\(device), \"sim\": {\"colour\": \"red\"}}"),
                       [#"body/sim: unknown member "colour""#])
        XCTAssertEqual(check(document, "POST", "/devices", 201, "{\(device), \"state\": {\"active\": \"yes\"}}"),
                       ["body/state/active: expected boolean, found a string"])
        XCTAssertEqual(check(document, "PATCH", "/devices/{id}", 200, #"{"iccid": "8988216716970004975"}"#),
                       [#"body: missing required member "id""#])
        XCTAssertEqual(check(document, "PATCH", "/devices/{id}", 200, "{\(device), \"user\": {\"password\": \"hunter2hunter2\"}}"),
                       ["body/user/password: write-only, and must never be in an answer"])
        XCTAssertEqual(check(document, "POST", "/devices", 201, #"{"id": "mac:A1B2C3D4E5F6", "mac": "a1:b2:c3:d4:e5:f6"}"#),
                       [#"body/mac: "a1:b2:c3:d4:e5:f6" does not match ^[0-9A-F]{12}$"#])
        XCTAssertEqual(check(document, "PATCH", "/devices", 502, problem(.upstreamError), contentType: "application/problem+json"),
                       ["PATCH /devices does not document status 502 (documented: 200, 207, 400, 401, 403, 405, 406, 408, 409, 413, 415, 422, 429, 431, 500)"])
        XCTAssertEqual(check(document, "POST", "/devices", 422, problem(.validationFailed), contentType: "application/json"),
                       ["content type application/json is not documented for status 422 (documented: application/problem+json)"])
        XCTAssertEqual(check(document, "PUT", "/devices", 200, "{\(device)}"), ["PUT /devices is not an operation of the document"])
        XCTAssertEqual(check(document, "GET", "/device", 404, problem(.notFound)), ["/device is not a path of the document"])
    }

    func testTheCheckerNamesProblemAndHeaderMismatches() throws {
        let document = try OpenAPIDocument()
        let problemJSON = "application/problem+json"
        var withoutRequestID = problem(.validationFailed)
        withoutRequestID.replace(#", "requestId": "\#(Self.requestID)""#, with: "")
        XCTAssertEqual(check(document, "POST", "/devices", 422, withoutRequestID, contentType: problemJSON),
                       [#"body: missing required member "requestId""#])

        // A code answered with another code's status: the catalogue names the status it should be.
        var misfiled = problem(.upstreamError)
        misfiled.replace(#""status": 502"#, with: #""status": 503"#)
        let problems = check(document, "POST", "/devices", 503, misfiled, contentType: problemJSON, headers: ["retry-after": "1"])
        XCTAssertEqual(problems.count, 1, "\(problems)")
        XCTAssertTrue(problems.first?.hasPrefix("body: matches none of the \(ProblemCode.allCases.count) alternatives of oneOf; the nearest (#") ?? false, "\(problems)")
        XCTAssertTrue(problems.first?.hasSuffix("says: body/status: expected 502, found 503") ?? false, "\(problems)")

        XCTAssertEqual(check(document, "PATCH", "/devices", 200, #"{"results": [], "succeeded": 0, "failed": 1}"#),
                       ["body/failed: expected 0, found 1"])
        XCTAssertEqual(check(document, "PATCH", "/devices", 429, problem(.rateLimited), contentType: problemJSON),
                       ["missing header Retry-After"])
        XCTAssertEqual(check(document, "PATCH", "/devices", 429, problem(.rateLimited), contentType: problemJSON,
                             headers: ["retry-after": "soon", "ratelimit": "tenant;r=1"]),
                       [#"header Retry-After: expected integer, found a string"#,
                        #"header RateLimit: "tenant;r=1" does not match ^"tenant";r=[0-9]+;t=[0-9]+$"#])
        let noRequestID = document.problems(method: "POST", pathTemplate: "/devices", status: 406, contentType: problemJSON,
                                            headers: [:], body: Array(problem(.notAcceptable).utf8))
        XCTAssertEqual(noRequestID, ["missing header X-Request-Id"])
    }

    // MARK: The checker refuses what it cannot check

    func testADocumentBeyondTheCheckerIsRefused() {
        let yaml = """
        openapi: 3.1.0
        info: {title: beyond, version: '1'}
        paths:
          /things:
            get:
              responses:
                default: {description: anything}
        components:
          schemas:
            Negated: {not: {type: string}}
            Unevaluated: {type: object, unevaluatedProperties: false}
            Email: {type: string, format: email}
            Dangling: {$ref: '#/components/schemas/Missing'}
            Unbalanced: {type: string, pattern: '('}
            Exemplary: {type: string, pattern: '^a$', examples: [b]}
            Typo: {type: strin}
        """
        XCTAssertThrowsError(try OpenAPIDocument(yaml: yaml)) { error in
            let findings = (error as? OpenAPIDocument.LoadError)?.findings ?? []
            XCTAssertEqual(findings, [
                "/paths/~1things/get/responses/default: the checker knows responses by three-digit status only",
                #"/components/schemas/Negated/not: the checker does not implement the keyword "not""#,
                #"/components/schemas/Unevaluated/unevaluatedProperties: the checker does not implement the keyword "unevaluatedProperties""#,
                "/components/schemas/Email/format: the checker does not implement the format email",
                "/components/schemas/Dangling/$ref: #/components/schemas/Missing does not name a place in this document",
                "/components/schemas/Unbalanced/pattern: not a regular expression",
                "/components/schemas/Typo/type: not a type name or a list of them",
            ])
        }
        let exemplary = """
        openapi: 3.1.0
        info: {title: examples, version: '1'}
        paths: {}
        components:
          schemas:
            Exemplary: {type: string, pattern: '^a$', examples: [a, b]}
        """
        XCTAssertThrowsError(try OpenAPIDocument(yaml: exemplary)) { error in
            XCTAssertEqual((error as? OpenAPIDocument.LoadError)?.findings,
                           [#"example at /components/schemas/Exemplary/examples: "b" does not match ^a$"#])
        }
    }

    // MARK: Helpers

    /// The answer's mismatches, with an `X-Request-Id` as the gateway always sends one.
    private func check(_ document: OpenAPIDocument, _ method: String, _ path: String, _ status: Int, _ body: String,
                       contentType: String = "application/json", headers: [String: String] = [:]) -> [String] {
        document.problems(method: method, pathTemplate: path, status: status, contentType: contentType,
                          headers: headers.merging(["x-request-id": Self.requestID]) { sent, _ in sent }, body: Array(body.utf8))
    }

    /// A problem document as `Problem.write` lays it out.
    private func problem(_ code: ProblemCode, extra: String? = nil) -> String {
        let members = [
            #""type": "\#(code.type)""#, #""title": "\#(code.title)""#, #""status": \#(code.status)"#,
            #""detail": "Something about \#(code.rawValue).", "code": "\#(code.rawValue)""#,
            #""requestId": "\#(Self.requestID)""#,
        ] + (extra.map { [$0] } ?? [])
        return "{" + members.joined(separator: ", ") + "}"
    }

    private func escape(_ name: String) -> String { DeviceDocumentReader.escape(name) }
}
