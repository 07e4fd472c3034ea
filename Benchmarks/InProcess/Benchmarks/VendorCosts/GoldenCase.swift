import Foundation
import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardJSON

/// One golden fixture of the vendor tests, `Tests/SwitchyardVendorsTests/Fixtures/<vendor>/<name>.json`
/// (its format: `GoldenFixture.swift` there), as an adapter is given it: one change, the access
/// token, the clock, and the vendor's answer as `UpstreamResponse(parsing:)` reads it.
///
/// Read from the tests' own files rather than copied, so the inputs stay the ones the tests check.
/// Only success cases are benchmarked: a fixture whose request path is not the expected one, or
/// whose answer is not accepted, stops the suite before anything is measured.
struct GoldenCase: Sendable {
    let changes: [DeviceChange]
    let accessToken: String?
    let now: Double
    let response: UpstreamResponse

    /// The fixtures' folder, found from this file's place in the repository.
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // VendorCosts
        .deletingLastPathComponent()  // Benchmarks
        .deletingLastPathComponent()  // InProcess
        .deletingLastPathComponent()  // Benchmarks
        .deletingLastPathComponent()  // the repository
        .appendingPathComponent("Tests/SwitchyardVendorsTests/Fixtures")

    init(_ vendor: String, _ name: String, adapter: some VendorAdapter) {
        let label = "\(vendor)/\(name).json"
        let url = Self.fixtures.appendingPathComponent(label)
        guard let data = FileManager.default.contents(atPath: url.path),
              case .object(let fixture)? = try? JSONParser.parse(Array(data))
        else { fatalError("\(label): not found, or not a JSON object, at \(url.path)") }

        let reading = DeviceDocumentReader.read(fixture["document"]?.objectValue ?? JSONObject())
        guard reading.problem == nil,
              let text = fixture["id"]?.stringValue,
              case .success(let id) = DeviceIdentifier.parse(text, primary: adapter.primaryKind)
        else { fatalError("\(label): needs an id and a good document") }
        let operation: DeviceChange.Operation = fixture["operation"]?.stringValue == "upsert" ? .upsert : .update
        changes = [DeviceChange(operation: operation, id: id, document: reading.document)]
        accessToken = fixture["accessToken"]?.stringValue
        guard let now = RFC3339.secondsSince1970(fixture["now"]?.stringValue ?? "") else {
            fatalError("\(label): no now")
        }
        self.now = now
        response = Self.answer(fixture["upstreamResponse"]?.objectValue ?? JSONObject(), label)

        let request = adapter.request(for: changes, accessToken: accessToken, now: now)
        guard request.path == fixture["upstreamRequest"]?.objectValue?["path"]?.stringValue,
              case .accepted = adapter.interpret(response, for: changes).results.first
        else { fatalError("\(label): not a success case for this adapter") }
    }

    /// The vendor's answer as it comes over the wire: status line, the fixture's headers, a
    /// `content-length`, and the JSON body.
    private static func answer(_ fixture: JSONObject, _ label: String) -> UpstreamResponse {
        guard let status = fixture["status"]?.intValue, let json = fixture["json"] else {
            fatalError("\(label): no JSON answer")
        }
        var body = JSONWriter()
        body.value(json)
        var head = "HTTP/1.1 \(status) \(HTTPStatus.reasonPhrase(status))\r\n"
        for member in fixture["headers"]?.objectValue?.members ?? [] {
            head += "\(member.name): \(member.value.stringValue ?? "")\r\n"
        }
        head += "content-length: \(body.bytes.count)\r\n\r\n"
        guard let response = (Array(head.utf8) + body.bytes).withUnsafeBytes({ UpstreamResponse(parsing: $0) }) else {
            fatalError("\(label): the answer does not parse")
        }
        return response
    }
}
