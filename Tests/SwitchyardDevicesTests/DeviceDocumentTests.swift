@testable import SwitchyardDevices
@testable import SwitchyardJSON
import SwitchyardIO
import XCTest

final class DeviceDocumentTests: XCTestCase {
    private func read(_ text: String, allowsID: Bool = false) throws -> DeviceDocumentReader.Reading {
        DeviceDocumentReader.read(try XCTUnwrap(JSONParser.parse(Array(text.utf8)).objectValue), allowsID: allowsID)
    }

    func testEveryFieldHasAUniquePointerAndGroupsAreContiguous() {
        XCTAssertEqual(Set(DeviceField.allCases.map(\.pointer)).count, DeviceField.allCases.count)
        XCTAssertEqual(DeviceField.simStatus.pointer, "/sim/status")
        XCTAssertEqual(DeviceField.customerCustom5.pointer, "/custom/customerCustom5")
        XCTAssertEqual(DeviceField.named("overageLimitOverride", in: .sim), .simOverageLimitOverride)
        var seen: [String] = []
        for group in DeviceField.allCases.compactMap(\.group) where seen.last != group {
            XCTAssertFalse(seen.contains(group), "\(group) is split, so the writer would repeat it")
            seen.append(group)
        }
    }

    /// Every field is found by its member name in its group and nowhere else; every group is found
    /// by its name, and no other name is a group.
    func testFieldsAreFoundByNameOnlyInTheirGroup() {
        for field in DeviceField.allCases {
            XCTAssertEqual(DeviceField.named(field.member, in: field.groupKind), field, "\(field)")
            for group in [DeviceField.Group?.none] + DeviceField.Group.allCases.map(Optional.some) where group != field.groupKind {
                XCTAssertNotEqual(DeviceField.named(field.member, in: group), field, "\(field) in \(String(describing: group))")
            }
            XCTAssertNil(DeviceField.named(field.member + "x", in: field.groupKind))
            XCTAssertNil(DeviceField.named(field.member.uppercased(), in: field.groupKind))
        }
        XCTAssertEqual(DeviceField.Group.allCases.map(\.name), ["user", "push", "sim", "custom", "platform", "app", "session", "state"])
        for group in DeviceField.Group.allCases {
            XCTAssertEqual(DeviceField.Group(named: group.name), group)
        }
        XCTAssertNil(DeviceField.Group(named: "nosuchgroup"))
        XCTAssertNil(DeviceField.Group(named: "status"))
        XCTAssertNil(DeviceField.Group(named: "Sim"))
        XCTAssertEqual(IdentifierKind.allCases.map { DeviceIdentifier.namedKind($0.rawValue + ":1") }, IdentifierKind.allCases)
        XCTAssertNil(DeviceIdentifier.namedKind("iccidx:1"))
        XCTAssertNil(DeviceIdentifier.namedKind("iccid"))
    }

    func testReadsAndWritesNestedFieldsCanonicallyWithoutThePassword() throws {
        let reading = try read(#"{"mac": "a1:b2:c3:d4:e5:f6", "user": {"password": "s3cret", "id": "u1"}, "sim": {"status": "ACTIVATED"}}"#)
        XCTAssertNil(reading.problem)
        XCTAssertEqual(reading.document.string(.mac), "A1B2C3D4E5F6")
        XCTAssertEqual(reading.document.string(.userPassword), "s3cret")
        var writer = JSONWriter()
        reading.document.write(to: &writer, id: DeviceIdentifier(kind: .mac, value: "A1B2C3D4E5F6"))
        XCTAssertEqual(String(decoding: writer.bytes, as: UTF8.self),
                       #"{"id":"mac:A1B2C3D4E5F6","mac":"A1B2C3D4E5F6","user":{"id":"u1"},"sim":{"status":"ACTIVATED"}}"#)
    }

    /// Writing a document with another laid over it, walking both, gives the bytes of the merged
    /// document with the id's field added when neither has it: for overlaps, groups opened by
    /// either side, write-only fields on either side, and every identifier kind.
    func testWritingWithAnOverlayIsWritingTheMergedDocument() {
        var random = SystemRandomNumberGenerator()
        func document(_ count: Int) -> DeviceDocument {
            var document = DeviceDocument()
            for _ in 0..<count {
                let field = DeviceField.allCases.randomElement(using: &random)!
                document[field] = Bool.random(using: &random) ? .string("v\(Int.random(in: 0..<3, using: &random))") : .bool(true)
            }
            return document
        }
        func written(_ write: (inout JSONWriter) -> Void) -> String {
            var writer = JSONWriter()
            write(&writer)
            return String(decoding: writer.bytes, as: UTF8.self)
        }
        for round in 0..<2_000 {
            let sent = document(round % 7), confirmed = document(round % 4)
            let kind = IdentifierKind.allCases[round % IdentifierKind.allCases.count]
            let id: DeviceIdentifier? = round % 5 == 0 ? nil : DeviceIdentifier(kind: kind, value: "i\(round % 3)")
            var merged = sent.merging(confirmed)
            if let id, merged[id.kind.field] == nil { merged[id.kind.field] = .string(id.value) }
            XCTAssertEqual(written { sent.write(to: &$0, id: id, overlaying: confirmed) }, written { merged.write(to: &$0, id: id) },
                           "sent \(sent), confirmed \(confirmed), id \(String(describing: id))")
        }
    }

    /// The walks that read fields without their values see every field in canonical order;
    /// `isCanonical` is false for a string a field's rules would write differently (a MAC with
    /// colons) or refuse, and `writeStrings` writes the string fields it is given names for, in order.
    func testFieldWalksCanonicalFormAndNamedStringsSeeTheDocumentInCanonicalOrder() {
        var document = DeviceDocument()
        document[.simStatus] = .string("ACTIVATED")
        document[.imei] = .string("123456789012345")
        document[.stateActive] = .bool(true)
        document[.iccid] = .string("8988216716970004975")
        var fields: [DeviceField] = []
        document.forEachField { fields.append($0) }
        XCTAssertEqual(fields, Array(document.fields))
        XCTAssertEqual(fields, fields.sorted())
        XCTAssertTrue(document.containsField { $0 == .stateActive })
        XCTAssertFalse(document.containsField { $0.access == .writeOnly })
        XCTAssertTrue(document.isCanonical)
        var colons = document
        colons[.mac] = .string("a1:b2:c3:d4:e5:f6")
        XCTAssertFalse(colons.isCanonical, "vodlix's form is twelve upper-case hex digits")
        colons[.mac] = .string("A1B2C3D4E5F6")
        XCTAssertTrue(colons.isCanonical)
        var short = document
        short[.iccid] = .string("898821")
        XCTAssertFalse(short.isCanonical, "an ICCID is 19 or 20 digits")
        var writer = JSONWriter()
        writer.beginObject()
        document.writeStrings(to: &writer) { $0 == .iccid ? "iccid" : $0 == .simStatus ? "status" : $0 == .stateActive ? "active" : nil }
        writer.endObject()
        XCTAssertEqual(String(decoding: writer.bytes, as: UTF8.self), #"{"iccid":"8988216716970004975","status":"ACTIVATED"}"#,
                       "the boolean is no string, the IMEI has no name")
    }

    /// A loop builds each request's documents in lists the last ones handed back, sometimes while
    /// something still holds one (a migration's mirrored answer): every document must hold exactly
    /// what it was given, the held ones included, whatever list it was built in; one that gave
    /// its list away is left empty (it moved).
    func testDocumentsBuiltInHandedBackListsHoldWhatTheyWereGiven() {
        var random = SystemRandomNumberGenerator()
        let pool = DeviceDocument.pool()
        var held: [(document: DeviceDocument, expected: DeviceDocument)] = []
        for round in 0..<2_000 {
            var pooled = DeviceDocument(storageFrom: pool), plain = DeviceDocument()
            XCTAssertTrue(pooled.isEmpty, "round \(round): a document starts empty, whatever its list held")
            for _ in 0..<(round % 11) {
                let field = DeviceField.allCases.randomElement(using: &random)!
                let value: DeviceDocument.Value? = Bool.random(using: &random) ? .string("v\(round)") : round % 3 == 0 ? nil : .bool(true)
                pooled[field] = value
                plain[field] = value
            }
            XCTAssertEqual(pooled, plain, "round \(round)")
            if round % 5 == 0 { held.append((pooled, plain)) }
            pooled.give(to: pool)
            XCTAssertTrue(pooled.isEmpty, "round \(round): a document that gave its list away holds no field")
        }
        for (index, pair) in held.enumerated() { XCTAssertEqual(pair.document, pair.expected, "held document \(index)") }
        XCTAssertLessThanOrEqual(pool.count, 1, "each document took the list the last one gave")
    }

    /// Fields set in any order, replaced and removed, stand in canonical order with their values,
    /// checked against a dictionary. The values are long enough to be held on the heap, so that one
    /// moved into place (the setter moves the entries after it by memory) is neither lost nor shared.
    func testFieldsSetInAnyOrderStandInCanonicalOrder() {
        var random = SystemRandomNumberGenerator()
        for round in 0..<2_000 {
            var document = DeviceDocument(), model: [DeviceField: String] = [:]
            for step in 0..<(round % 23) {
                let field = DeviceField.allCases.randomElement(using: &random)!
                if step % 7 == 6 {
                    document[field] = nil
                    model[field] = nil
                } else {
                    let value = String(repeating: "v", count: 40) + "\(round).\(step)"
                    document[field] = .string(CompactString(value))
                    model[field] = value
                }
            }
            XCTAssertEqual(Array(document.fields), model.keys.sorted(), "round \(round)")
            for (field, value) in model { XCTAssertEqual(document.string(field).map(String.init), value, "round \(round)") }
            for field in DeviceField.allCases { XCTAssertEqual(document.contains(field), model[field] != nil, "round \(round), \(field)") }
        }
    }

    /// A document built by appending fields in canonical order, in a fresh list or a handed-back one,
    /// is the one the setter builds from the same fields in any order.
    func testFieldsAppendedInCanonicalOrderMakeTheDocumentTheSetterMakes() {
        var random = SystemRandomNumberGenerator()
        let pool = DeviceDocument.pool()
        for round in 0..<1_000 {
            let fields = DeviceField.allCases.filter { _ in Int.random(in: 0..<6, using: &random) == 0 }
            var appended = round % 2 == 0 ? DeviceDocument() : DeviceDocument(storageFrom: pool), set = DeviceDocument()
            for field in fields {
                appended.append(field, .string(CompactString(String(repeating: "a", count: 40) + "\(field)")))
            }
            for field in fields.shuffled(using: &random) {
                set[field] = .string(CompactString(String(repeating: "a", count: 40) + "\(field)"))
            }
            XCTAssertEqual(appended, set, "round \(round)")
            XCTAssertEqual(Array(appended.fields), fields, "round \(round)")
            appended.give(to: pool)
        }
    }

    func testSortsErrorsByWhatTheClientMustFix() throws {
        let reading = try read(#"{"imei": 5, "color": "red", "state": {"active": true}, "iccid": null, "sim": {"status": "ON", "x": "1"}, "user": {"password": "12"}, "id": "iccid:1"}"#)
        XCTAssertEqual(reading.typeErrors, [FieldError(pointer: "/imei", reason: "expected a string, found a number")])
        XCTAssertEqual(reading.unsupported.map(\.pointer), ["/color", "/state/active", "/iccid", "/sim/x", "/id"])
        XCTAssertEqual(reading.invalid.map(\.pointer), ["/sim/status"])
        XCTAssertEqual(reading.problem?.code, .invalidRequest)
        // No reason repeats a value.
        XCTAssertFalse("\(reading.typeErrors + reading.unsupported + reading.invalid)".contains("red"))
    }

    func testFieldRules() {
        // `isCanonical` says what `check` says: valid and as written (only a MAC is rewritten).
        func ok(_ field: DeviceField, _ value: String, _ canonical: String? = nil, line: UInt = #line) {
            XCTAssertEqual(try? FieldRules.check(field, CompactString(value)).get().description, canonical ?? value, line: line)
            XCTAssertEqual(FieldRules.isCanonical(field, CompactString(value)), canonical == nil, "\(value)", line: line)
        }
        func bad(_ field: DeviceField, _ value: String, line: UInt = #line) {
            XCTAssertNil(try? FieldRules.check(field, CompactString(value)).get(), "\(value) should be refused", line: line)
            XCTAssertFalse(FieldRules.isCanonical(field, CompactString(value)), "\(value) should be refused", line: line)
        }
        ok(.iccid, "8988216716970004975"); ok(.iccid, "89882167169700049751"); bad(.iccid, "898821671697000497"); bad(.iccid, "8988216716970004975a")
        ok(.imei, "356938035643809"); bad(.imei, "35693803564380"); bad(.imei, "3569380356438090")
        ok(.imsi, "310150123456780"); bad(.imsi, "3101501234567801"); bad(.imsi, "31015")
        ok(.msisdn, "+15550100002"); ok(.msisdn, "15550100002"); ok(.msisdn, "123456"); ok(.msisdn, "+123456789012345")
        bad(.msisdn, "12345"); bad(.msisdn, "+1234567890123456"); bad(.msisdn, "1234567890123456"); bad(.msisdn, "+")
        bad(.msisdn, "++123456"); bad(.msisdn, "1-555-0100"); bad(.msisdn, "+1 5550100002"); bad(.msisdn, "١٢٣٤٥٦٧")
        ok(.mac, "A1B2C3D4E5F6"); ok(.mac, "a1-b2-c3-d4-e5-f6", "A1B2C3D4E5F6"); ok(.mac, "a1b2.c3d4.e5f6", "A1B2C3D4E5F6")
        bad(.mac, "A1:B2-C3:D4:E5:F6"); bad(.mac, "A1B2C3D4E5"); bad(.mac, "G1B2C3D4E5F6")
        ok(.ipv4, "10.0.0.1"); bad(.ipv4, "10.0.0.256"); bad(.ipv4, "10.0.1")
        ok(.ipv6, "2003:2002:1001:114a::"); bad(.ipv6, "2003::114a::1")
        ok(.userId, String(repeating: "u", count: 254)); bad(.userId, String(repeating: "u", count: 255)); bad(.userId, "")
        ok(.simStatus, "TEST_READY"); bad(.simStatus, "activated")
        ok(.simOverageLimitOverride, "PERMANENT_OVERRIDE"); bad(.simOverageLimitOverride, "NONE")
        for status in FieldRules.simStatuses.values {
            ok(.simStatus, status); bad(.simStatus, status + "D"); bad(.simStatus, String(status.dropLast())); bad(.simStatus, status.lowercased())
        }
        XCTAssertEqual(FieldRules.check(.simOverageLimitOverride, "NONE"),
                       .failure(FieldRules.Violation("one of DEFAULT, PERMANENT_OVERRIDE, TEMPORARY_OVERRIDE")))
        ok(.effectiveAt, "2026-12-01T08:30:00Z"); ok(.effectiveAt, "2026-12-01t08:30:00.25+05:30"); ok(.effectiveAt, "2028-02-29T00:00:00Z")
        bad(.effectiveAt, "2026-02-29T00:00:00Z"); bad(.effectiveAt, "2026-12-01 08:30:00Z"); bad(.effectiveAt, "2026-12-01T08:30:00")
        bad(.effectiveAt, "2026-13-01T00:00:00Z"); bad(.effectiveAt, "2026-12-01T24:00:00Z")
        ok(.accountCustom1, ""); bad(.appName, ""); bad(.accountCustom1, String(repeating: "x", count: 2001))
    }

    func testRFC3339Arithmetic() {
        XCTAssertEqual(RFC3339.secondsSince1970("1970-01-01T00:00:00Z"), 0)
        XCTAssertEqual(RFC3339.secondsSince1970("2026-11-21T12:00:00Z"), 1_795_262_400)
        XCTAssertEqual(RFC3339.secondsSince1970("2026-11-21T13:30:00+01:30"), 1_795_262_400)
        XCTAssertEqual(RFC3339.utcString(secondsSince1970: 1_795_262_400), "2026-11-21T12:00:00Z")
    }

    func testIdentifiers() {
        func parse(_ text: String, _ primary: IdentifierKind?) -> String {
            switch DeviceIdentifier.parse(CompactString(text), primary: primary) {
            case .success(let id): id.description
            case .failure(let problem): "\(problem.code.rawValue): \(problem.detail)"
            }
        }
        XCTAssertEqual(parse("iccid:8988216716970004975", nil), "iccid:8988216716970004975")
        XCTAssertEqual(parse("8988216716970004975", .iccid), "iccid:8988216716970004975")
        XCTAssertEqual(parse("a1:b2:c3:d4:e5:f6", .mac), "mac:A1B2C3D4E5F6")
        XCTAssertEqual(parse("mac:ab:cd:ef:ab:cd:ef", .mac), "mac:ABCDEFABCDEF")
        XCTAssertEqual(parse("12345-6789", .deviceId), "deviceId:12345-6789")
        XCTAssertTrue(parse("8988216716970004975", nil).hasPrefix("invalid_request: A bare identifier"))
        XCTAssertTrue(parse("serial:1", .iccid).hasPrefix("invalid_request: \"serial\" is not an identifier kind"))
        XCTAssertTrue(parse("imei:1", nil).hasPrefix("invalid_request: The imei identifier is malformed"))
    }
}
