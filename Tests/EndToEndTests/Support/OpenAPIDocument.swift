import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Switchyard
import SwitchyardTestSupport
import Yams
import SwitchyardJSON
import SwitchyardDevices

/// `docs/openapi.yaml`, read so that a test can hold a real answer of the gateway against it.
///
/// A hand-written API document drifts from the code unless something keeps checking it; here
/// every answer an end-to-end test sees can be checked (`problems(method:pathTemplate:…)`). The
/// schema checker implements only the JSON Schema subset the document uses, and loading refuses
/// a document with any other keyword or format: a rule the checker would silently skip must not
/// look enforced.
struct OpenAPIDocument {
    /// Why the document cannot be used: every finding, each with its place in the document.
    struct LoadError: Error, CustomStringConvertible {
        var findings: [String]
        var description: String { findings.joined(separator: "\n") }
    }

    /// The schema keywords the checker implements, validation and annotation alike; an `x-`
    /// extension is allowed anywhere as well. A keyword added here must be handled in
    /// `SchemaChecker.apply`, whose switch the compiler keeps exhaustive.
    enum Keyword: String {
        case ref = "$ref", type, properties, required, additionalProperties, items, minItems, maxItems
        case `enum`, const, pattern, minLength, maxLength, minimum, maximum, oneOf, anyOf, allOf, format
        case description, title, examples, readOnly, writeOnly
    }

    static let formats: Set<String> = ["date-time", "uri", "ipv4", "ipv6"]
    static let typeNames: Set<String> = ["object", "array", "string", "integer", "number", "boolean", "null"]
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
    static let defaultURL = TestEnvironment.repositoryRoot.appendingPathComponent("docs/openapi.yaml")

    /// The whole document as JSON values, mappings in document order.
    let root: JSONValue
    private let checker: SchemaChecker

    init(contentsOf url: URL = OpenAPIDocument.defaultURL) throws {
        try self.init(yaml: String(contentsOf: url, encoding: .utf8))
    }

    init(yaml: String) throws {
        guard let node = try Yams.compose(yaml: yaml) else { throw LoadError(findings: ["the document is empty"]) }
        var findings: [String] = []
        let root = Self.json(from: node, at: "", findings: &findings)
        var audit = Audit(root: root)
        audit.visit(root, at: "")
        findings += audit.findings
        // Examples are checked once every pattern is known to compile.
        let checker = SchemaChecker(root: root, expressions: audit.expressions)
        if findings.isEmpty {
            for example in audit.examples {
                findings += checker.errors(example.value, example.schema, at: "example at \(example.location)")
            }
        }
        guard findings.isEmpty else { throw LoadError(findings: findings) }
        self.root = root
        self.checker = checker
    }

    // MARK: Reading the document

    /// The value at an RFC 6901 pointer into the document (`/components/schemas/Device`).
    func value(at pointer: String) -> JSONValue? { Self.value(at: pointer, in: root) }

    /// `value` itself, or what its `$ref` (and that one's) names.
    func dereferenced(_ value: JSONValue) -> JSONValue { checker.dereferenced(value) }

    /// The documented operations, as (`POST`, `/devices`).
    var operations: [(method: String, pathTemplate: String)] {
        (root.objectValue?["paths"]?.objectValue?.members ?? []).flatMap { path in
            Self.methods.filter { path.value.objectValue?[$0] != nil }.map { ($0.uppercased(), path.name) }
        }
    }

    /// The statuses documented for an operation, in document order; empty when there is no such operation.
    func statuses(method: String, pathTemplate: String) -> [Int] {
        (responses(method: method, pathTemplate: pathTemplate)?.members ?? []).compactMap { Int($0.name) }
    }

    // MARK: Checking an answer

    /// Every way an answer differs from the document; empty when it conforms. The status must be
    /// documented for the operation (another method on a documented path is checked against the
    /// path's 405, as `info.description` says), the content type must be the documented one, the
    /// body must meet its schema (as an answer: read-only members allowed, write-only ones not),
    /// and every documented required header must be present and every documented header valid.
    func problems(method: String, pathTemplate: String, status: Int, contentType: String?,
                  headers: [String: String], body: JSONValue?) -> [String] {
        let operation = "\(method.uppercased()) \(pathTemplate)"
        guard let pathItem = root.objectValue?["paths"]?.objectValue?[pathTemplate]?.objectValue else {
            return ["\(pathTemplate) is not a path of the document"]
        }
        let responses: JSONObject
        if let documented = self.responses(method: method, pathTemplate: pathTemplate) {
            responses = documented
        } else if status == 405, let documented = Self.methods.lazy
            .compactMap({ pathItem[$0]?.objectValue?["responses"]?.objectValue }).first(where: { $0["405"] != nil }) {
            responses = documented
        } else {
            return ["\(operation) is not an operation of the document"]
        }
        guard let declared = responses[String(status)] else {
            let documented = responses.members.map(\.name).joined(separator: ", ")
            return ["\(operation) does not document status \(status) (documented: \(documented))"]
        }
        let response = dereferenced(declared).objectValue ?? JSONObject()
        return contentProblems(response, status: status, contentType: contentType, body: body)
            + headerProblems(response, headers: headers)
    }

    /// `problems(…)` for a body as bytes: an empty body is none, anything else must be JSON.
    func problems(method: String, pathTemplate: String, status: Int, contentType: String?,
                  headers: [String: String], body bytes: [UInt8]) -> [String] {
        guard !bytes.isEmpty else {
            return problems(method: method, pathTemplate: pathTemplate, status: status, contentType: contentType,
                            headers: headers, body: nil)
        }
        do {
            let body = try JSONParser.parse(bytes)
            return problems(method: method, pathTemplate: pathTemplate, status: status, contentType: contentType,
                            headers: headers, body: body)
        } catch {
            return ["body: not JSON (\(error))"]
        }
    }

    private func responses(method: String, pathTemplate: String) -> JSONObject? {
        root.objectValue?["paths"]?.objectValue?[pathTemplate]?.objectValue?[method.lowercased()]?
            .objectValue?["responses"]?.objectValue
    }

    private func contentProblems(_ response: JSONObject, status: Int, contentType: String?, body: JSONValue?) -> [String] {
        let content = response["content"]?.objectValue ?? JSONObject()
        let documented = content.members.map(\.name)
        let mediaType = contentType.map { $0.split(separator: ";").first.map(String.init) ?? "" }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard !documented.isEmpty else {
            return body == nil && mediaType == nil ? [] : ["status \(status) is documented without a body"]
        }
        guard let mediaType, let media = content[mediaType]?.objectValue else {
            return ["content type \(contentType ?? "(none)") is not documented for status \(status) "
                    + "(documented: \(documented.joined(separator: ", ")))"]
        }
        guard let schema = media["schema"] else { return [] }
        guard let body else { return ["status \(status) has no body; the document gives it one"] }
        return checker.errors(body, schema, at: "body")
    }

    private func headerProblems(_ response: JSONObject, headers: [String: String]) -> [String] {
        let sent = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        var problems: [String] = []
        for member in response["headers"]?.objectValue?.members ?? [] {
            let header = dereferenced(member.value).objectValue ?? JSONObject()
            guard let value = sent[member.name.lowercased()] else {
                if header["required"]?.boolValue == true { problems.append("missing header \(member.name)") }
                continue
            }
            guard let schema = header["schema"] else { continue }
            // A header is text; one documented as an integer is read as one when it is.
            let isInteger = dereferenced(schema).objectValue?["type"]?.stringValue == "integer"
            let typed: JSONValue = isInteger && Int(value) != nil ? .number(value) : .string(value)
            problems += checker.errors(typed, schema, at: "header \(member.name)")
        }
        return problems
    }

    // MARK: Loading

    /// YAML to JSON values, refusing what JSON cannot say (non-scalar keys, aliases) and duplicate
    /// keys, which YAML parsers resolve differently and which would hide a typo.
    private static func json(from node: Node, at location: String, findings: inout [String]) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case Tag.Name.int.rawValue: return node.int.map { .number(String($0)) } ?? .string(scalar.string)
            case Tag.Name.float.rawValue: return node.float.map { .number(String($0)) } ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .mapping(let mapping):
            var object = JSONObject()
            for (key, value) in mapping {
                guard let name = key.scalar?.string else {
                    findings.append("\(location): a key that is not a scalar")
                    continue
                }
                let inner = location + "/" + DeviceDocumentReader.escape(name)
                if object[name] != nil { findings.append("\(inner): duplicate key") }
                object.append(name, json(from: value, at: inner, findings: &findings))
            }
            return .object(object)
        case .sequence(let sequence):
            return .array(sequence.enumerated().map { json(from: $1, at: "\(location)/\($0)", findings: &findings) })
        case .alias:
            findings.append("\(location): a YAML alias (spell the value out)")
            return .null
        }
    }

    static func value(at pointer: String, in root: JSONValue) -> JSONValue? {
        guard !pointer.isEmpty else { return root }
        var value = root
        for token in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let name = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch value {
            case .object(let object):
                guard let inner = object[name] else { return nil }
                value = inner
            case .array(let elements):
                guard let index = Int(name), elements.indices.contains(index) else { return nil }
                value = elements[index]
            default:
                return nil
            }
        }
        return value
    }

    /// One walk over the document at load: every `$ref` resolves inside it, every schema keeps to
    /// `Keyword` with values of the right shape, every pattern compiles, every response of an
    /// operation is keyed by a status; schema `examples` are collected to be checked.
    private struct Audit {
        let root: JSONValue
        var findings: [String] = []
        var expressions: [String: NSRegularExpression] = [:]
        var examples: [(value: JSONValue, schema: JSONValue, location: String)] = []

        mutating func visit(_ value: JSONValue, at location: String) {
            switch value {
            case .object(let object):
                for member in object.members {
                    let inner = location + "/" + DeviceDocumentReader.escape(member.name)
                    if member.name == "schema" || location == "/components/schemas" {
                        schema(member.value, at: inner)
                    } else if member.name == "$ref" {
                        reference(member.value, at: inner)
                    } else {
                        if member.name == "responses", location.hasPrefix("/paths/") { statuses(member.value, at: inner) }
                        visit(member.value, at: inner)
                    }
                }
            case .array(let elements):
                for (index, element) in elements.enumerated() { visit(element, at: "\(location)/\(index)") }
            default:
                break
            }
        }

        /// The checker looks responses up by status: `default` or `4XX` would be skipped.
        private mutating func statuses(_ responses: JSONValue, at location: String) {
            for member in responses.objectValue?.members ?? [] where Int(member.name).map({ !(100...599).contains($0) }) ?? true {
                findings.append("\(location)/\(member.name): the checker knows responses by three-digit status only")
            }
        }

        private mutating func reference(_ value: JSONValue, at location: String) {
            let target = value.stringValue.flatMap { $0.hasPrefix("#") ? OpenAPIDocument.value(at: String($0.dropFirst()), in: root) : nil }
            if target == nil {
                findings.append("\(location): \(value.stringValue ?? value.typeName) does not name a place in this document")
            }
        }

        private mutating func schema(_ schema: JSONValue, at location: String) {
            if case .bool = schema { return }
            guard case .object(let object) = schema else {
                findings.append("\(location): a schema must be an object or a boolean")
                return
            }
            for member in object.members where !member.name.hasPrefix("x-") {
                let at = location + "/" + DeviceDocumentReader.escape(member.name)
                guard let keyword = Keyword(rawValue: member.name) else {
                    findings.append("\(at): the checker does not implement the keyword \"\(member.name)\"")
                    continue
                }
                let value = member.value
                switch keyword {
                case .ref:
                    reference(value, at: at)
                case .type:
                    let names = value.stringValue.map { [$0] } ?? value.arrayValue?.compactMap(\.stringValue) ?? []
                    if names.isEmpty || names.contains(where: { !OpenAPIDocument.typeNames.contains($0) })
                        || (value.arrayValue.map { $0.count != names.count } ?? false) {
                        findings.append("\(at): not a type name or a list of them")
                    }
                case .properties:
                    guard let properties = value.objectValue else {
                        findings.append("\(at): must be an object")
                        continue
                    }
                    for property in properties.members {
                        self.schema(property.value, at: at + "/" + DeviceDocumentReader.escape(property.name))
                    }
                case .required:
                    if value.arrayValue?.allSatisfy({ $0.stringValue != nil }) != true { findings.append("\(at): must be a list of names") }
                case .additionalProperties, .items:
                    self.schema(value, at: at)
                case .minItems, .maxItems, .minLength, .maxLength:
                    if (value.intValue ?? -1) < 0 { findings.append("\(at): must be a non-negative integer") }
                case .minimum, .maximum:
                    if case .number = value {} else { findings.append("\(at): must be a number") }
                case .enum:
                    if value.arrayValue?.isEmpty != false { findings.append("\(at): must be a non-empty list") }
                case .const, .description, .title:
                    break
                case .pattern:
                    guard let text = value.stringValue, let expression = try? NSRegularExpression(pattern: text) else {
                        findings.append("\(at): not a regular expression")
                        continue
                    }
                    expressions[text] = expression
                case .oneOf, .anyOf, .allOf:
                    guard let alternatives = value.arrayValue, !alternatives.isEmpty else {
                        findings.append("\(at): must be a non-empty list of schemas")
                        continue
                    }
                    for (index, alternative) in alternatives.enumerated() { self.schema(alternative, at: "\(at)/\(index)") }
                case .format:
                    if !OpenAPIDocument.formats.contains(value.stringValue ?? "") {
                        findings.append("\(at): the checker does not implement the format \(value.stringValue ?? value.typeName)")
                    }
                case .examples:
                    guard let values = value.arrayValue else {
                        findings.append("\(at): must be a list")
                        continue
                    }
                    examples += values.map { ($0, schema, at) }
                case .readOnly, .writeOnly:
                    if value.boolValue == nil { findings.append("\(at): must be a boolean") }
                }
            }
        }
    }
}

/// The JSON Schema subset of `OpenAPIDocument.Keyword`, applied to answers: `readOnly` members
/// are allowed (answers are where they belong), `writeOnly` ones are errors, since a write-only
/// value in an answer is a leaked secret. Each error names its place (`body/sim/status`).
private struct SchemaChecker {
    let root: JSONValue
    let expressions: [String: NSRegularExpression]

    func errors(_ value: JSONValue, _ schema: JSONValue, at place: String) -> [String] {
        var errors: [String] = []
        check(value, schema, at: place, into: &errors)
        return errors
    }

    func dereferenced(_ value: JSONValue) -> JSONValue {
        var value = value
        while let target = value.objectValue?["$ref"].flatMap(resolve) { value = target }
        return value
    }

    /// The place a `$ref` value (`#/components/…`) names.
    private func resolve(_ reference: JSONValue) -> JSONValue? {
        reference.stringValue.flatMap { OpenAPIDocument.value(at: String($0.dropFirst()), in: root) }
    }

    private func check(_ value: JSONValue, _ schema: JSONValue, at place: String, into errors: inout [String]) {
        switch schema {
        case .bool(let admits):
            if !admits { errors.append("\(place): no value is allowed here") }
        case .object(let keywords):
            for member in keywords.members {
                // Anything else is an `x-` extension: the audit let nothing else through.
                guard let keyword = OpenAPIDocument.Keyword(rawValue: member.name) else { continue }
                apply(keyword, member.value, of: keywords, to: value, at: place, into: &errors)
            }
        default:
            errors.append("\(place): the document's schema here is not a schema")
        }
    }

    private func apply(_ keyword: OpenAPIDocument.Keyword, _ argument: JSONValue, of schema: JSONObject,
                       to value: JSONValue, at place: String, into errors: inout [String]) {
        switch keyword {
        case .ref:
            guard let target = resolve(argument) else { return errors.append("\(place): the document's $ref does not resolve") }
            check(value, target, at: place, into: &errors)
        case .type:
            let names = argument.stringValue.map { [$0] } ?? argument.arrayValue?.compactMap(\.stringValue) ?? []
            if !names.contains(where: { Self.value(value, is: $0) }) {
                errors.append("\(place): expected \(names.joined(separator: " or ")), found \(value.typeName)")
            }
        case .properties:
            guard case .object(let object) = value, let properties = argument.objectValue else { return }
            for property in properties.members {
                guard let member = object[property.name] else { continue }
                let inner = place + "/" + DeviceDocumentReader.escape(property.name)
                if isWriteOnly(property.value) { errors.append("\(inner): write-only, and must never be in an answer") }
                check(member, property.value, at: inner, into: &errors)
            }
        case .required:
            guard case .object(let object) = value else { return }
            for name in argument.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
                errors.append("\(place): missing required member \"\(name)\"")
            }
        case .additionalProperties:
            guard case .object(let object) = value else { return }
            let known = schema["properties"]?.objectValue
            for member in object.members where known?[member.name] == nil {
                let inner = place + "/" + DeviceDocumentReader.escape(member.name)
                if argument == .bool(false) {
                    errors.append("\(place): unknown member \"\(member.name)\"")
                } else {
                    check(member.value, argument, at: inner, into: &errors)
                }
            }
        case .items:
            guard case .array(let elements) = value else { return }
            for (index, element) in elements.enumerated() { check(element, argument, at: "\(place)/\(index)", into: &errors) }
        case .minItems, .maxItems:
            guard case .array(let elements) = value, let bound = argument.intValue else { return }
            if keyword == .minItems ? elements.count < bound : elements.count > bound {
                errors.append("\(place): \(elements.count) items, \(keyword == .minItems ? "at least" : "at most") \(bound) allowed")
            }
        case .enum:
            let allowed = argument.arrayValue ?? []
            if !allowed.contains(where: { Self.same($0, value) }) {
                errors.append("\(place): \(Self.text(value)) is not one of \(allowed.map(Self.text).joined(separator: ", "))")
            }
        case .const:
            if !Self.same(argument, value) { errors.append("\(place): expected \(Self.text(argument)), found \(Self.text(value))") }
        case .pattern:
            guard let text = value.stringValue, let pattern = argument.stringValue, let expression = expressions[pattern] else { return }
            if expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                errors.append("\(place): \(Self.text(value)) does not match \(pattern)")
            }
        case .minLength, .maxLength:
            guard let text = value.stringValue, let bound = argument.intValue else { return }
            // JSON Schema counts code points.
            let length = text.unicodeScalars.count
            if keyword == .minLength ? length < bound : length > bound {
                errors.append("\(place): \(length) characters, \(keyword == .minLength ? "at least" : "at most") \(bound) allowed")
            }
        case .minimum, .maximum:
            guard case .number(let text) = value, let number = Double(text), let bound = argument.scalarText.flatMap(Double.init) else { return }
            if keyword == .minimum ? number < bound : number > bound {
                errors.append("\(place): \(text) is \(keyword == .minimum ? "below the minimum" : "above the maximum") \(argument.scalarText ?? "")")
            }
        case .format:
            guard let text = value.stringValue, let format = argument.stringValue else { return }
            if !Self.conforms(text, to: format) { errors.append("\(place): \(Self.text(value)) is not a \(format)") }
        case .allOf:
            for alternative in argument.arrayValue ?? [] { check(value, alternative, at: place, into: &errors) }
        case .anyOf, .oneOf:
            let outcomes = (argument.arrayValue ?? []).map { self.errors(value, $0, at: place) }
            let matches = outcomes.filter(\.isEmpty).count
            if matches == 0, let nearest = outcomes.indices.min(by: { outcomes[$0].count < outcomes[$1].count }) {
                errors.append("\(place): matches none of the \(outcomes.count) alternatives of \(keyword.rawValue); "
                              + "the nearest (#\(nearest)) says: " + outcomes[nearest].joined(separator: "; "))
            } else if keyword == .oneOf, matches > 1 {
                errors.append("\(place): matches \(matches) alternatives of oneOf, not exactly one")
            }
        case .description, .title, .examples, .readOnly, .writeOnly:
            break
        }
    }

    /// Whether a property's schema, or one it refers to, is `writeOnly`.
    private func isWriteOnly(_ schema: JSONValue) -> Bool {
        var schema = schema
        while true {
            if schema.objectValue?["writeOnly"]?.boolValue == true { return true }
            guard let target = schema.objectValue?["$ref"].flatMap(resolve) else { return false }
            schema = target
        }
    }

    private static func value(_ value: JSONValue, is type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object):
            return true
        case ("integer", .number(let text)):
            // JSON Schema: 2.0 is an integer too.
            return Double(text).map { $0.isFinite && $0.rounded() == $0 } ?? false
        default:
            return false
        }
    }

    /// JSON equality: numbers by value (`200` is `200.0`), objects whatever their members' order.
    private static func same(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.number(let left), .number(let right)):
            return Double(left) == Double(right)
        case (.array(let left), .array(let right)):
            return left.count == right.count && zip(left, right).allSatisfy(same)
        case (.object(let left), .object(let right)):
            return left.count == right.count && left.members.allSatisfy { member in right[member.name].map { same(member.value, $0) } ?? false }
        default:
            return lhs == rhs
        }
    }

    /// The formats, loosely: the shape of each, not every rule of its RFC.
    private static func conforms(_ text: String, to format: String) -> Bool {
        switch format {
        case "date-time":
            return text.range(of: #"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"#,
                              options: .regularExpression) != nil
        case "uri":
            return text.range(of: #"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$"#, options: .regularExpression) != nil
        case "ipv4", "ipv6":
            var address = in6_addr()
            return inet_pton(format == "ipv4" ? AF_INET : AF_INET6, text, &address) == 1
        default:
            return false
        }
    }

    /// A value as JSON text, for messages.
    private static func text(_ value: JSONValue) -> String {
        var writer = JSONWriter()
        writer.value(value)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
