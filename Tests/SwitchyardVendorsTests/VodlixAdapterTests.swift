import XCTest
import SwitchyardDevices
import SwitchyardHTTP
@testable import SwitchyardVendors

final class VodlixAdapterTests: XCTestCase {
    /// The cookie the fixtures' `Cookie` header carries.
    let adapter = VodlixAdapter(cookie: "PHPSESSID=vodlix-session-1; remember=abc")
    let mac = DeviceIdentifier(kind: .mac, value: "A1B2C3D4E5F6")

    func testGoldenFixtures() throws {
        try GoldenFixture.runAll("vodlix", adapter: adapter)
    }

    func testCapabilities() {
        XCTAssertEqual(adapter.vendor, .vodlix)
        XCTAssertEqual(adapter.primaryKind, .mac)
        XCTAssertEqual(adapter.addressableKinds, [.mac])
        XCTAssertEqual(adapter.storableFields, [.mac, .platformOS, .platformOSVersion, .platformType, .appName, .appVersion])
        XCTAssertTrue(adapter.supportsUpsert)
        XCTAssertEqual(adapter.batchSize, 1)
        XCTAssertEqual(adapter.fanOutConcurrency, 4)
        XCTAssertNil(adapter.accessTokenRequest())
    }

    func testErrorRows() {
        let rows = VodlixAdapter.errorRows
        XCTAssertTrue(rows.allSatisfy { $0.vendor == .vodlix })
        XCTAssertEqual(rows.map { "\($0.status!) \($0.vendorCode ?? "-") \($0.problem.rawValue) \($0.documented)" }, [
            "400 - validation_failed true",
            "400 device_banned device_banned true",
            "401 - upstream_auth_failed false",
            "404 - upstream_error false",
        ])
    }

    func testCompleteChangesPassValidation() {
        XCTAssertNil(adapter.validate(DeviceChange(operation: .update, id: mac, document: fiveFields()), now: 0))
        var upsert = fiveFields()
        upsert[.mac] = .string("A1B2C3D4E5F6")
        XCTAssertNil(adapter.validate(DeviceChange(operation: .upsert, id: nil, document: upsert), now: 0))
    }

    /// A bulk item's missing fields point into its place in the bulk body, and the detail
    /// names them.
    func testMissingFieldsCarryTheItemPrefix() {
        var document = fiveFields()
        document[.appName] = nil
        document[.platformType] = nil
        let change = DeviceChange(operation: .update, id: mac, document: document, pointerPrefix: "/devices/2")
        let problem = adapter.validate(change, now: 0)
        XCTAssertEqual(problem?.code, .validationFailed)
        XCTAssertEqual(problem?.fields.map(\.pointer), ["/devices/2/platform/type", "/devices/2/app/name"])
        XCTAssertEqual(problem?.detail, "Vodlix needs mac, platform.os, platform.osVersion, platform.type, app.name and app.version on every call; missing: platform.type, app.name.")
    }

    func testRequestCarriesTheCookieAsIs() {
        let request = adapter.request(for: [DeviceChange(operation: .update, id: mac, document: fiveFields())], accessToken: nil, now: 0)
        XCTAssertEqual(request.fields.map(\.name), ["cookie", "content-type", "accept"])
        XCTAssertEqual(request.fields.first?.value, "PHPSESSID=vodlix-session-1; remember=abc")
    }

    // MARK: Helpers

    private func fiveFields() -> DeviceDocument {
        var document = DeviceDocument()
        document[.platformOS] = .string("iOS")
        document[.platformOSVersion] = .string("14.5")
        document[.platformType] = .string("Mobile")
        document[.appName] = .string("MyApp")
        document[.appVersion] = .string("2.0")
        return document
    }
}
