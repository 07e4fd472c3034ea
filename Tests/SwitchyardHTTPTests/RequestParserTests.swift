import XCTest
import CByteScan
@testable import SwitchyardHTTP
import SwitchyardIO

/// Tests `RequestParser` against RFC 9112's grammar and the request-smuggling vectors a gateway
/// must refuse. Inputs are written with explicit `\r\n` so every line ending is visible.
final class RequestParserTests: XCTestCase {
    private let limits = HTTPLimits()

    // MARK: Helpers

    /// Parses `text` in one call with a fresh parser and head.
    private func parse(_ text: String, limits: HTTPLimits? = nil) -> (HeadParseResult, HTTPRequestHead) {
        parse(Array(text.utf8), limits: limits)
    }

    private func parse(_ bytes: [UInt8], limits: HTTPLimits? = nil) -> (HeadParseResult, HTTPRequestHead) {
        var parser = RequestParser(limits: limits ?? self.limits)
        var head = HTTPRequestHead()
        let result = bytes.withUnsafeBytes { parser.parseHead($0, into: &head) }
        return (result, head)
    }

    private func assertFailure(_ text: String, _ expected: HTTPParseError, limits: HTTPLimits? = nil,
                               file: StaticString = #filePath, line: UInt = #line) {
        let (result, _) = parse(text, limits: limits)
        XCTAssertEqual(result, .failure(expected), "input: \(text.debugDescription)", file: file, line: line)
    }

    private func assertComplete(_ text: String, limits: HTTPLimits? = nil,
                                file: StaticString = #filePath, line: UInt = #line) -> HTTPRequestHead {
        let (result, head) = parse(text, limits: limits)
        XCTAssertEqual(result, .complete(headLength: text.utf8.count), "input: \(text.debugDescription)", file: file, line: line)
        return head
    }

    private func head(with fields: String, version: String = "HTTP/1.1") -> String {
        "POST /v1/devices HTTP/1.1\r\nHost: gw.example\r\n".replacingOccurrences(of: "HTTP/1.1", with: version) + fields + "\r\n"
    }

    // MARK: Request line

    func testSimpleGet() {
        let text = "GET /v1/devices?limit=10 HTTP/1.1\r\nHost: gw.example\r\nAccept: */*\r\n\r\n"
        let head = assertComplete(text)
        XCTAssertEqual(head.method, .get)
        XCTAssertEqual(head.methodName, "GET")
        XCTAssertEqual(head.version, .http1_1)
        XCTAssertEqual(head.targetString, "/v1/devices?limit=10")
        XCTAssertEqual(head.path, "/v1/devices")
        XCTAssertEqual(head.query, "limit=10")
        XCTAssertEqual(head.bytes, Array(text.utf8))
        XCTAssertEqual(head.fields.count, 2)
        XCTAssertEqual(head.name(of: head.fields[1]), "Accept")
        XCTAssertEqual(head.value(of: head.fields[1]), "*/*")
        XCTAssertEqual(head.framing, .none)
        XCTAssertTrue(head.keepAlive)
        XCTAssertFalse(head.expectsContinue)
    }

    func testMethodsAreRecognisedCaseSensitively() {
        let cases: [(String, HTTPMethod)] = [
            ("GET", .get), ("HEAD", .head), ("POST", .post), ("PUT", .put), ("PATCH", .patch),
            ("DELETE", .delete), ("OPTIONS", .options), ("TRACE", .trace), ("CONNECT", .connect),
            ("get", .other), ("PROPFIND", .other), ("GETS", .other), ("PUSH", .other), ("X", .other),
        ]
        for (name, method) in cases {
            let head = assertComplete("\(name) / HTTP/1.1\r\nHost: a\r\n\r\n")
            XCTAssertEqual(head.method, method, name)
            XCTAssertEqual(head.methodName, name)
        }
        XCTAssertTrue(HTTPMethod.put.isIdempotent)
        XCTAssertFalse(HTTPMethod.post.isIdempotent)
        XCTAssertFalse(HTTPMethod.other.isIdempotent)
    }

    func testHTTP10WithoutHost() {
        let head = assertComplete("GET / HTTP/1.0\r\n\r\n")
        XCTAssertEqual(head.version, .http1_0)
        XCTAssertTrue(head.fields.isEmpty)
        XCTAssertFalse(head.keepAlive)
    }

    func testLeadingEmptyLinesAreSkippedButBounded() {
        let request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        let text = "\r\n\r\n" + request
        let (result, head) = parse(text)
        XCTAssertEqual(result, .complete(headLength: text.utf8.count))
        XCTAssertEqual(head.bytes, Array(request.utf8), "the copy starts at the request line")
        XCTAssertEqual(head.targetString, "/")
        XCTAssertEqual(head.firstValue("host"), "a")

        let allowed = String(repeating: "\r\n", count: RequestParser.maxLeadingEmptyLines)
        _ = assertComplete(allowed + request)
        assertFailure(allowed + "\r\n" + request, .malformedRequestLine)
        assertFailure("\n" + request, .bareLineFeed)
    }

    func testMalformedRequestLines() {
        for line in [
            "GET  / HTTP/1.1",      // two spaces
            "GET /  HTTP/1.1",
            " GET / HTTP/1.1",      // leading space
            "GET\t/ HTTP/1.1",      // tab separator
            "GET / HTTP/1.1 ",      // trailing space
            "GET /",                // no version
            "GET / ",
            "GET",
            "/ HTTP/1.1",
            "G(T / HTTP/1.1",       // method not a token
            "GET / http/1.1",       // version is case-sensitive
            "GET / HTTP/1.1x",
            "GET / HTTP/11",
            "GET / HTTP/1.",
            "GET / HTTPS/1.1",
            "GET / HTTP/1.1/",
        ] {
            assertFailure(line + "\r\nHost: a\r\n\r\n", .malformedRequestLine)
        }
    }

    func testRequestTargetMustBeVisibleASCII() {
        assertFailure("GET /a\u{7F} HTTP/1.1\r\nHost: a\r\n\r\n", .invalidRequestTarget)
        assertFailure("GET /caf\u{E9} HTTP/1.1\r\nHost: a\r\n\r\n", .invalidRequestTarget)
        assertFailure("GET /a\u{1}b HTTP/1.1\r\nHost: a\r\n\r\n", .invalidRequestTarget)
        assertFailure("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n", .invalidRequestTarget)
    }

    /// The target is checked eight bytes a step on the usual line and byte by byte otherwise: both
    /// must judge every byte alike. Every byte value at the start, middle and end of targets of
    /// every length to past three words: a visible one is kept in the target, a space ends the
    /// target early (a malformed line), CR and LF are the line scanner's, anything else is an
    /// invalid target.
    func testEveryByteOfTheTargetIsJudgedTheSameAtEveryLengthAndPosition() {
        for count in 1...27 {
            for position in Set([0, count / 2, count - 1]) {
                for value in UInt8.min...UInt8.max {
                    var target = (0..<count).map { UInt8(ascii: "a") &+ UInt8($0 % 26) }
                    target[position] = value
                    let request = Array("GET ".utf8) + target + Array(" HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
                    let (result, head) = parse(request)
                    switch value {
                    case 0x21...0x7E:
                        XCTAssertEqual(result, .complete(headLength: request.count), "\(value) at \(position) of \(count)")
                        XCTAssertEqual(head.targetString, String(decoding: target, as: UTF8.self))
                    case HTTPSyntax.sp:
                        XCTAssertEqual(result, .failure(.malformedRequestLine), "space at \(position) of \(count)")
                    case HTTPSyntax.lf:
                        XCTAssertEqual(result, .failure(.bareLineFeed))
                    case HTTPSyntax.cr:
                        XCTAssertEqual(result, .failure(.bareCarriageReturn))
                    default:
                        XCTAssertEqual(result, .failure(.invalidRequestTarget), "\(value) at \(position) of \(count)")
                    }
                }
            }
        }
    }

    func testUnsupportedVersions() {
        for version in ["HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.0", "HTTP/9.9"] {
            assertFailure("GET / \(version)\r\nHost: a\r\n\r\n", .unsupportedVersion)
        }
        XCTAssertEqual(HTTPParseError.unsupportedVersion.status, 400)
    }

    func testTargetForms() {
        let absolute = assertComplete("GET http://gw.example/v1/devices?x=1 HTTP/1.1\r\nHost: gw.example\r\n\r\n")
        XCTAssertEqual(absolute.path, "/v1/devices")
        XCTAssertEqual(absolute.query, "x=1")
        XCTAssertEqual(assertComplete("GET https://gw.example HTTP/1.1\r\nHost: a\r\n\r\n").path, "/")
        XCTAssertEqual(assertComplete("GET https://gw.example?q HTTP/1.1\r\nHost: a\r\n\r\n").path, "/")
        XCTAssertEqual(assertComplete("CONNECT gw.example:443 HTTP/1.1\r\nHost: gw.example:443\r\n\r\n").path, "gw.example:443")
        XCTAssertEqual(assertComplete("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").path, "*")
        let plain = assertComplete("GET /a/b HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(plain.path, "/a/b")
        XCTAssertNil(plain.query)
        XCTAssertEqual(assertComplete("GET /a? HTTP/1.1\r\nHost: a\r\n\r\n").query, "")
    }

    // MARK: Line endings

    func testBareLineFeedInRequestLineFailsImmediately() {
        // No more bytes will make this valid, so the parser must not wait for them.
        assertFailure("GET / HTTP/1.1\n", .bareLineFeed)
        assertFailure("GET /\n", .bareLineFeed)
    }

    func testBareLineFeedInField() {
        assertFailure("GET / HTTP/1.1\r\nHost: a\nX-Smuggle: 1\r\n\r\n", .bareLineFeed)
        assertFailure("GET / HTTP/1.1\r\nHost: a\r\n\n", .bareLineFeed)
        assertFailure("GET / HTTP/1.1\r\nHost: a\r\nX: 1\n", .bareLineFeed)
    }

    func testBareCarriageReturn() {
        assertFailure("GET / HTTP/1.1\rHost: a\r\n\r\n", .bareCarriageReturn)
        assertFailure("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", .bareCarriageReturn)
        assertFailure("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", .bareCarriageReturn)
        // A CR as the last byte so far may still be followed by LF.
        XCTAssertEqual(parse("GET / HTTP/1.1\r").0, .incomplete)
        XCTAssertEqual(parse("GET / HTTP/1.1\r\nHost: a\r\n\r").0, .incomplete)
    }

    // MARK: Field lines

    func testObsoleteLineFolding() {
        assertFailure("GET / HTTP/1.1\r\nHost: a\r\nX-Long: part one\r\n part two\r\n\r\n", .obsoleteLineFolding)
        assertFailure("GET / HTTP/1.1\r\nHost: a\r\nX-Long: part one\r\n\tpart two\r\n\r\n", .obsoleteLineFolding)
        // Whitespace between the request line and the first field (RFC 9112 §2.2).
        assertFailure("GET / HTTP/1.1\r\n Host: a\r\n\r\n", .obsoleteLineFolding)
    }

    func testWhitespaceBeforeColon() {
        assertFailure(head(with: "Content-Length : 5\r\n"), .whitespaceBeforeColon)
        assertFailure(head(with: "X-A\t: 5\r\n"), .whitespaceBeforeColon)
        assertFailure("GET / HTTP/1.1\r\nHost : a\r\n\r\n", .whitespaceBeforeColon)
    }

    func testFieldNameAndShape() {
        assertFailure(head(with: ": no-name\r\n"), .invalidFieldName)
        assertFailure(head(with: "Bad[Name]: x\r\n"), .invalidFieldName)
        assertFailure(head(with: "Bad\u{7F}: x\r\n"), .invalidFieldName)
        assertFailure(head(with: "Caf\u{E9}: x\r\n"), .invalidFieldName)
        assertFailure(head(with: "NoColonHere\r\n"), .malformedHeaderField)
        assertFailure(head(with: "Two words: x\r\n"), .malformedHeaderField)
    }

    func testFieldValueBytes() {
        assertFailure(head(with: "X-Nul: a\0b\r\n"), .invalidFieldValue)
        assertFailure(head(with: "X-Nul: \0\r\n"), .invalidFieldValue)
        assertFailure(head(with: "X-Ctl: a\u{1}b\r\n"), .invalidFieldValue)
        assertFailure(head(with: "X-Del: a\u{7F}b\r\n"), .invalidFieldValue)
        assertFailure(head(with: "X-Esc: \u{1B}[31m\r\n"), .invalidFieldValue)

        // obs-text (0x80–0xFF), HTAB and SP inside a value are allowed; OWS around it is trimmed.
        var bytes = Array(head(with: "X-Obs: \tcaf").utf8)
        bytes.removeLast(2) // the final CRLF of head(with:)
        bytes += [0xE9, 0xFF, 0x20, 0x09, 0x78, 0x20, 0x09] + Array("\r\nX-Empty:\r\nX-Blank: \t \r\n\r\n".utf8)
        let (result, parsed) = parse(bytes)
        XCTAssertEqual(result, .complete(headLength: bytes.count))
        let obs = parsed.fields[1]
        XCTAssertEqual(Array(parsed.bytes[Int(obs.value.lowerBound)..<Int(obs.value.upperBound)]),
                       Array("caf".utf8) + [0xE9, 0xFF, 0x20, 0x09, 0x78])
        XCTAssertEqual(parsed.firstValue("x-empty"), "")
        XCTAssertEqual(parsed.firstValue("x-blank"), "")
        XCTAssertTrue(parsed.fields[2].value.isEmpty)
    }

    func testFieldAccessors() {
        let parsed = assertComplete(head(with: "Accept: a\r\nX-Multi: one\r\nx-multi: two, three\r\nContent-Type:application/json \r\n"))
        XCTAssertEqual(parsed.firstValue("x-multi"), "one")
        XCTAssertEqual(parsed.firstValue("X-MULTI"), "one")
        XCTAssertEqual(parsed.values("x-multi"), ["one", "two, three"])
        XCTAssertEqual(parsed.firstValue("content-type"), "application/json")
        XCTAssertTrue(parsed.contains("accept"))
        XCTAssertFalse(parsed.contains("accep"))
        XCTAssertFalse(parsed.contains("authorization"))
        XCTAssertNil(parsed.firstValue("authorization"))
        XCTAssertEqual(parsed.values("authorization"), [])
    }

    /// The lookups by `KnownField` agree with the lookups by name for every known field: present
    /// once, present on several lines (in any case), absent, and for the look-alike names that share
    /// a known one's length and first letter.
    func testKnownFieldLookupsAgreeWithLookupsByName() {
        let section = "ACCEPT: a/b\r\nUser-Agent: ua\r\naccept: c/d\r\nTraceState: k=v\r\ntracestate: l=w\r\n"
            + "Content-Type: application/json\r\nX-Request-ID: r1\r\nAuthorization: Bearer t\r\n"
            + "Accepts: no\r\nTraceparenT: 00-x\r\nX-Request-Ix: no\r\nAccept-Encodinh: no\r\nkeep-alivE: 5\r\n"
        let parsed = assertComplete(head(with: section))
        for field in KnownField.allCases {
            XCTAssertEqual(parsed.firstValue(field), parsed.firstValue(field.lowercaseName), "\(field)")
            XCTAssertEqual(parsed.values(field), parsed.values(field.lowercaseName), "\(field)")
            let byField = parsed.withFirstValue(field) { value, count in (value.map { Array($0) }, count) }
            let byName = parsed.withFirstValue(field.lowercaseName) { value, count in (value.map { Array($0) }, count) }
            XCTAssertEqual(byField.0, byName.0, "\(field)")
            XCTAssertEqual(byField.1, byName.1, "\(field)")
        }
        XCTAssertEqual(parsed.values(.accept), ["a/b", "c/d"])
        XCTAssertEqual(parsed.withFirstValue(.accept) { _, count in count }, 2)
        XCTAssertEqual(parsed.firstValue(.requestID), "r1")
        XCTAssertEqual(parsed.firstValue(.traceparent), "00-x")
        XCTAssertNil(parsed.firstValue(.acceptEncoding))
        XCTAssertNil(parsed.firstValue(.idempotencyKey))

        // The connection's head is reused: the next request's lookups see only its own fields.
        var reused = HTTPRequestHead()
        for text in [head(with: section), head(with: "Accept: e/f\r\n")] {
            var parser = RequestParser(limits: limits)
            let result = Array(text.utf8).withUnsafeBytes { parser.parseHead($0, into: &reused) }
            XCTAssertEqual(result, .complete(headLength: text.utf8.count))
        }
        XCTAssertEqual(reused.values(.accept), ["e/f"])
        XCTAssertNil(reused.firstValue(.authorization))
        XCTAssertNil(reused.firstValue(.userAgent))
    }

    /// The scan a head's lines are found with: sixteen bytes a step, then eight, then one, so
    /// lengths up to 40 cover every path and the handovers between them; bytes around the
    /// boundaries (0x1F and 0x20, 0x7E to 0x80) are drawn more often than chance would.
    func testTheFirstControlIsFoundWhateverTheLengthAndPlace() {
        func firstControl(_ bytes: [UInt8]) -> Int { bytes.firstIndex { $0 < 0x20 || $0 == 0x7F } ?? bytes.count }
        var generator = SystemRandomNumberGenerator()
        let interesting: [UInt8] = [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x21, 0x7E, 0x7F, 0x80, 0x9F, 0xA0, 0xFE, 0xFF]
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...40, using: &generator)
            let plain = Bool.random(using: &generator)
            let bytes = (0..<count).map { _ in
                if plain { return UInt8.random(in: 0x20...0x7E, using: &generator) }
                return Bool.random(using: &generator) ? interesting.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            let found = bytes.withUnsafeBufferPointer { switchyard_first_control($0.baseAddress, $0.count) }
            XCTAssertEqual(found, firstControl(bytes), "\(bytes)")
        }
    }

    func testControlCharacterAtEveryOffsetOfALongValue() {
        let value = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        for control: UInt8 in [0x00, 0x01, 0x0B, 0x1F, 0x7F] {
            for offset in 0..<value.count {
                var bytes = Array("GET / HTTP/1.1\r\nHost: a\r\nX-Long: ".utf8) + value + Array("\r\n\r\n".utf8)
                bytes[bytes.count - 4 - value.count + offset] = control
                XCTAssertEqual(parse(bytes).0, .failure(.invalidFieldValue), "control \(control) at \(offset)")
            }
        }
        // HTAB and obs-text anywhere in a value are fine.
        for filler: UInt8 in [0x09, 0x80, 0xFF] {
            var bytes = Array("GET / HTTP/1.1\r\nHost: a\r\nX-Long: ".utf8) + value + Array("\r\n\r\n".utf8)
            bytes[bytes.count - 4 - value.count + 10] = filler
            XCTAssertEqual(parse(bytes).0, .complete(headLength: bytes.count))
        }
    }

    /// The scan that reads a field name sixteen bytes a step (then eight, then one) stops at exactly
    /// the first byte that is not a letter, a digit or `-`: every byte value at every position of
    /// runs up to 40 bytes long (so each step is taken), and random runs; and a name with any
    /// `tchar` (or a byte that is not one) at any position of names up to 24 bytes long parses as
    /// it did byte by byte.
    func testFieldNamesAreReadSixteenBytesAStepAsByteByByte() {
        let usual = Set("-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        func expected(_ bytes: [UInt8]) -> Int { bytes.firstIndex { !usual.contains($0) } ?? bytes.count }
        func scanned(_ bytes: [UInt8]) -> Int { bytes.withUnsafeBufferPointer { switchyard_name_run_end($0.baseAddress, $0.count) } }
        let run = Array("aZ0-mQ9zAz-09KkL".utf8)
        for length in 1...40 {
            for position in 0..<length {
                for byte in UInt8.min...UInt8.max {
                    var bytes = (0..<length).map { run[$0 % run.count] }
                    bytes[position] = byte
                    XCTAssertEqual(scanned(bytes), expected(bytes), "byte \(byte) at \(position) of \(length)")
                }
            }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                Bool.random(using: &generator) ? run.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            XCTAssertEqual(scanned(bytes), expected(bytes), "\(bytes)")
        }
        for length in 1...24 {
            for position in 0..<length {
                for (byte, parses) in [(UInt8(ascii: "_"), true), (UInt8(ascii: "~"), true), (UInt8(ascii: "7"), true),
                                       (UInt8(ascii: "@"), false), (UInt8(ascii: "/"), false), (0x80, false)] {
                    var name = Array(String(repeating: "x", count: length).utf8)
                    name[position] = byte
                    let bytes = Array("GET / HTTP/1.1\r\nHost: a\r\n".utf8) + name + Array(": v\r\n\r\n".utf8)
                    if parses {
                        XCTAssertEqual(parse(bytes).0, .complete(headLength: bytes.count), "\(byte) at \(position) of \(length)")
                    } else {
                        XCTAssertEqual(parse(bytes).0, .failure(.invalidFieldName), "\(byte) at \(position) of \(length)")
                    }
                }
            }
        }
    }

    /// Recognising a known field by folding each name byte with 0x20 agrees with the case-blind
    /// comparison for every known name, in both cases and with any one byte replaced by each `tchar`
    /// (a look-alike such as `content_type` or `Hos^` is no known field), and every known name is
    /// spelt in lowercase letters, digits and `-`, which that folding needs.
    func testKnownFieldNamesAreRecognisedByFoldingAsByComparingCaseBlind() {
        let tchar = Array("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        let spelling = Set("-0123456789abcdefghijklmnopqrstuvwxyz".utf8)
        for field in KnownField.allCases {
            let lowercase = field.lowercaseName.withUTF8Buffer { Array($0) }
            XCTAssertTrue(lowercase.allSatisfy(spelling.contains), "\(field)")
            var names = [lowercase, Array(String(decoding: lowercase, as: UTF8.self).uppercased().utf8)]
            for position in lowercase.indices {
                for byte in tchar {
                    var name = lowercase
                    name[position] = byte
                    names.append(name)
                }
            }
            for name in names {
                name.withUnsafeBytes { buffer in
                    XCTAssertEqual(HTTPSyntax.equalsFieldName(buffer, 0..<name.count, field.lowercaseName),
                                   HTTPSyntax.equalsIgnoringCase(buffer, 0..<name.count, field.lowercaseName),
                                   "\(String(decoding: name, as: UTF8.self)) against \(field)")
                }
            }
        }
    }

    func testTokenCharacterSetMatchesRFC9110() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for byte in UInt8.min...UInt8.max {
            XCTAssertEqual(HTTPSyntax.isTokenCharacter(byte), tchar.contains(byte), "byte \(byte)")
        }
    }

    /// The word-at-a-time comparison that recognises framing fields agrees with a byte-by-byte
    /// one: every length either side of a word, each byte changed to every value in turn.
    func testEqualsIgnoringCaseMatchesBytewiseComparison() {
        let literals: [StaticString] = ["te", "host", "expect", "keep-alive", "connection", "content-length",
                                        "transfer-encoding", "idempotency-key", "x-forwarded-for-address"]
        for literal in literals {
            let expected = Array(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
            for position in expected.indices {
                for byte in UInt8.min...UInt8.max {
                    var candidate = expected.map { $0 &- 0x61 < 26 ? $0 ^ 0x20 : $0 }
                    candidate[position] = byte
                    let bytewise = zip(candidate, expected).allSatisfy { ASCII.lowercased($0) == ASCII.lowercased($1) }
                    // Padding each side: the range, not the buffer, bounds the comparison.
                    let padded = [0x41] + candidate + [0x41]
                    padded.withUnsafeBytes { raw in
                        XCTAssertEqual(HTTPSyntax.equalsIgnoringCase(raw, 1..<(1 + candidate.count), literal), bytewise,
                                       "\(literal) with byte \(byte) at \(position)")
                    }
                }
            }
            "\(literal)x".utf8CString.withUnsafeBytes { raw in
                XCTAssertFalse(HTTPSyntax.equalsIgnoringCase(raw, 0..<(expected.count + 1), literal), "\(literal): a longer name")
            }
        }
    }

    /// The word-at-a-time check of an upstream header's value agrees with the byte-by-byte rule
    /// for every byte in every position, either side of a word.
    func testIsFieldValueMatchesBytewiseRule() {
        for length in [1, 7, 8, 9, 16, 17] {
            for position in 0..<length {
                for byte in UInt8.min...UInt8.max {
                    var value = [UInt8](repeating: UInt8(ascii: "v"), count: length)
                    value[position] = byte
                    value.withUnsafeBytes { raw in
                        XCTAssertEqual(HTTPSyntax.isFieldValue(raw), value.allSatisfy(HTTPSyntax.isFieldValueByte),
                                       "byte \(byte) at \(position) of \(length)")
                    }
                }
            }
        }
        XCTAssertTrue(HTTPSyntax.isFieldValue(UnsafeRawBufferPointer(start: nil, count: 0)))
    }

    // MARK: Host and counts

    func testHost() {
        assertFailure("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", .missingHost)
        assertFailure("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", .duplicateHost)
        assertFailure("GET / HTTP/1.1\r\nHost: a\r\nHOST: a\r\n\r\n", .duplicateHost)
        assertFailure("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", .duplicateHost)
        XCTAssertEqual(assertComplete("GET / HTTP/1.1\r\nhOsT: gw\r\n\r\n").firstValue("host"), "gw")
    }

    func testTooManyHeaders() {
        let small = HTTPLimits(maxHeaderCount: 3)
        _ = assertComplete("GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 2\r\n\r\n", limits: small)
        assertFailure("GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 2\r\nD: 3\r\n\r\n", .tooManyHeaders, limits: small)
        XCTAssertEqual(HTTPParseError.tooManyHeaders.status, 431)

        let many = (0..<100).map { "X-\($0): v\r\n" }.joined()
        _ = assertComplete("GET / HTTP/1.1\r\nHost: a\r\n" + (0..<99).map { "X-\($0): v\r\n" }.joined() + "\r\n")
        assertFailure("GET / HTTP/1.1\r\nHost: a\r\n" + many + "\r\n", .tooManyHeaders)
    }

    func testHeaderTooLarge() {
        let limits = HTTPLimits(maxHeaderBytes: 64)
        let exact = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 64 - 32) + "\r\n\r\n"
        XCTAssertEqual(exact.utf8.count, 64)
        _ = assertComplete(exact, limits: limits)

        // A complete head one byte longer than the limit.
        let over = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 65 - 32) + "\r\n\r\n"
        assertFailure(over, .headerTooLarge, limits: limits)

        // An endless head fails as soon as the buffer passes the limit, not when it ends.
        // (Byte prefixes: a String's prefix counts "\r\n" as one character.)
        let endless = Array(("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 100)).utf8)
        XCTAssertEqual(parse(Array(endless.prefix(64)), limits: limits).0, .incomplete)
        XCTAssertEqual(parse(Array(endless.prefix(65)), limits: limits).0, .failure(.headerTooLarge))
        XCTAssertEqual(HTTPParseError.headerTooLarge.status, 431)

        // Bytes after a complete head (a body) do not count against the limit.
        XCTAssertEqual(parse(exact + String(repeating: "b", count: 500), limits: limits).0, .complete(headLength: 64))
    }

    // MARK: Framing and smuggling vectors

    func testContentLength() {
        let parsed = assertComplete(head(with: "Content-Length: 5\r\n"))
        XCTAssertEqual(parsed.framing, .contentLength(5))
        XCTAssertEqual(assertComplete(head(with: "Content-Length: 05\r\n")).framing, .contentLength(5))
        XCTAssertEqual(assertComplete(head(with: "Content-Length: 0\r\n")).framing, .contentLength(0))
        XCTAssertEqual(assertComplete(head(with: "content-length:\t7 \r\n")).framing, .contentLength(7))
    }

    /// API.md §2: a field a request may carry once, given twice, is refused, even with the same
    /// value (RFC 9112 §6.3 would allow identical lengths; the contract is stricter).
    func testSingletonFieldsGivenTwiceAreRefused() {
        assertFailure(head(with: "Content-Length: 5\r\nContent-Length: 5\r\n"), .duplicateField("Content-Length"))
        assertFailure(head(with: "Content-Length: 5\r\nContent-Length: 005\r\n"), .duplicateField("Content-Length"))
        assertFailure(head(with: "Authorization: Bearer a\r\nauthorization: Bearer b\r\n"), .duplicateField("Authorization"))
        assertFailure(head(with: "Authorization: Bearer a\r\nAUTHORIZATION: Bearer a\r\n"), .duplicateField("Authorization"))
        assertFailure(head(with: "Content-Type: application/json\r\nContent-Type: text/plain\r\n"), .duplicateField("Content-Type"))
        assertFailure(head(with: "Content-Encoding: gzip\r\nContent-Encoding: gzip\r\n"), .duplicateField("Content-Encoding"))
        assertFailure(head(with: "Idempotency-Key: a\r\nIdempotency-Key: b\r\n"), .duplicateField("Idempotency-Key"))
        XCTAssertEqual(assertComplete(head(with: "Accept: a\r\nAccept: b\r\nX-Tag: 1\r\nx-tag: 2\r\n")).fields.count, 5,
                       "fields that may repeat still do")
    }

    func testInvalidContentLength() {
        for value in ["+5", "-5", "5 5", "5, 5", "5,5", "0x5", "", "5a", "1e3", "5.0",
                      String(repeating: "9", count: 19), "0000000000000000005"] {
            assertFailure(head(with: "Content-Length: \(value)\r\n"), .invalidContentLength)
        }
    }

    func testConflictingContentLength() {
        assertFailure(head(with: "Content-Length: 5\r\nContent-Length: 6\r\n"), .conflictingContentLength)
        assertFailure(head(with: "Content-Length: 0\r\ncontent-length: 10\r\n"), .conflictingContentLength)
    }

    func testContentLengthOverBodyLimitIsReportedFromTheHead() {
        let limits = HTTPLimits(maxBodyBytes: 100)
        XCTAssertEqual(assertComplete(head(with: "Content-Length: 100\r\n"), limits: limits).framing, .contentLength(100))
        assertFailure(head(with: "Content-Length: 101\r\n"), .bodyTooLarge, limits: limits)
        assertFailure(head(with: "Content-Length: 999999999999999999\r\n"), .bodyTooLarge)
        XCTAssertEqual(HTTPParseError.bodyTooLarge.status, 413)
    }

    func testChunkedFraming() {
        XCTAssertEqual(assertComplete(head(with: "Transfer-Encoding: chunked\r\n")).framing, .chunked)
        XCTAssertEqual(assertComplete(head(with: "transfer-encoding: Chunked \r\n")).framing, .chunked)
        XCTAssertEqual(assertComplete(head(with: "Transfer-Encoding: CHUNKED\r\n")).framing, .chunked)
    }

    func testCLTE() {
        assertFailure(head(with: "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n"), .contentLengthWithTransferEncoding)
    }

    func testTECL() {
        assertFailure(head(with: "Transfer-Encoding: chunked\r\nContent-Length: 6\r\n"), .contentLengthWithTransferEncoding)
    }

    func testTETEObfuscations() {
        for value in ["xchunked", "chunked, identity", "identity", "gzip, chunked", "chunked,", "chunked;q=1",
                      "\"chunked\"", "chunk", "chunked chunked", ""] {
            assertFailure(head(with: "Transfer-Encoding: \(value)\r\n"), .unsupportedTransferEncoding)
        }
        XCTAssertEqual(HTTPParseError.unsupportedTransferEncoding.status, 400)
        // A folded value and a space before the colon never reach the framing decision.
        assertFailure(head(with: "Transfer-Encoding:\r\n chunked\r\n"), .obsoleteLineFolding)
        assertFailure(head(with: "X-Padding: x\r\n chunked\r\n"), .obsoleteLineFolding)
        assertFailure(head(with: "Transfer-Encoding : chunked\r\n"), .whitespaceBeforeColon)
    }

    func testDuplicateTransferEncoding() {
        assertFailure(head(with: "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), .duplicateTransferEncoding)
        assertFailure(head(with: "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n"), .duplicateTransferEncoding)
    }

    func testTransferEncodingInHTTP10() {
        assertFailure("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .transferEncodingInHTTP10)
    }

    // MARK: Connection and Expect

    func testKeepAliveDefaultsAndConnectionTokens() {
        let cases: [(String, String?, Bool)] = [
            ("HTTP/1.1", nil, true),
            ("HTTP/1.1", "close", false),
            ("HTTP/1.1", "Close", false),
            ("HTTP/1.1", "keep-alive", true),
            ("HTTP/1.1", "keep-alive, Upgrade", true),
            ("HTTP/1.1", "Upgrade, CLOSE", false),
            ("HTTP/1.1", "closed", true),
            ("HTTP/1.1", ", , close ,", false),
            ("HTTP/1.0", nil, false),
            ("HTTP/1.0", "keep-alive", true),
            ("HTTP/1.0", "Keep-Alive", true),
            ("HTTP/1.0", "keep-alive, Upgrade", true),
            ("HTTP/1.0", "keep-alive, close", false),
            ("HTTP/1.0", "close", false),
            ("HTTP/1.0", "keep-alives", false),
        ]
        for (version, connection, keepAlive) in cases {
            let field = connection.map { "Connection: \($0)\r\n" } ?? ""
            let parsed = assertComplete("GET / \(version)\r\nHost: a\r\n\(field)\r\n")
            XCTAssertEqual(parsed.keepAlive, keepAlive, "\(version) \(connection ?? "-")")
        }
        // Tokens from several Connection fields combine.
        XCTAssertFalse(assertComplete("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nConnection: close\r\n\r\n").keepAlive)
    }

    func testExpectContinue() {
        XCTAssertTrue(assertComplete(head(with: "Expect: 100-continue\r\nContent-Length: 3\r\n")).expectsContinue)
        XCTAssertTrue(assertComplete(head(with: "expect: 100-Continue\r\n")).expectsContinue)
        XCTAssertFalse(assertComplete(head(with: "Expect: 200-ok\r\n")).expectsContinue)
        XCTAssertFalse(assertComplete(head(with: "")).expectsContinue)
        // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored.
        XCTAssertFalse(assertComplete("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expectsContinue)
    }

    // MARK: Incremental parsing and reuse

    func testDribbledHeadMatchesOneCall() {
        let text = "\r\nPOST /v1/devices?x=1 HTTP/1.1\r\nHost: gw.example\r\nContent-Length: 12\r\nConnection: keep-alive\r\nX-Obs: \u{E9}\r\n\r\nbody follows"
        let bytes = Array(text.utf8)
        let headLength = bytes.count - "body follows".utf8.count

        let (oneCall, reference) = parse(bytes)
        XCTAssertEqual(oneCall, .complete(headLength: headLength))

        var parser = RequestParser(limits: limits)
        var head = HTTPRequestHead()
        var result = HeadParseResult.incomplete
        var previousOffset = 0
        for end in 1...bytes.count {
            // A fresh array each time: the storage moves, as a real read buffer's may.
            let prefix = Array(bytes[0..<end])
            result = prefix.withUnsafeBytes { parser.parseHead($0, into: &head) }
            XCTAssertGreaterThanOrEqual(parser.scanOffset, previousOffset, "the parser never goes back")
            XCTAssertLessThanOrEqual(parser.scanOffset, end)
            previousOffset = parser.scanOffset
            if end < headLength {
                XCTAssertEqual(result, .incomplete, "after \(end) bytes")
            } else {
                break
            }
        }
        XCTAssertEqual(result, .complete(headLength: headLength))
        XCTAssertEqual(head.bytes, reference.bytes)
        XCTAssertEqual(head.fields, reference.fields)
        XCTAssertEqual(head.target, reference.target)
        XCTAssertEqual(head.method, reference.method)
        XCTAssertEqual(head.framing, reference.framing)
        XCTAssertEqual(head.keepAlive, reference.keepAlive)
        XCTAssertEqual(head.path, "/v1/devices")
    }

    func testDribbledHeadStillFailsOnBareLineFeedAtOnce() {
        var parser = RequestParser(limits: limits)
        var head = HTTPRequestHead()
        let bytes = Array("GET / HTTP/1.1\r\nHost: a\n".utf8)
        var results: [HeadParseResult] = []
        for end in 1...bytes.count {
            results.append(Array(bytes[0..<end]).withUnsafeBytes { parser.parseHead($0, into: &head) })
        }
        XCTAssertEqual(results.last, .failure(.bareLineFeed))
        XCTAssertEqual(results.dropLast().filter { $0 != .incomplete }, [])
    }

    func testPipelinedRequests() {
        let first = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
        let second = "POST /two HTTP/1.1\r\nHost: b\r\nContent-Length: 2\r\n\r\nhi"
        let bytes = Array((first + second).utf8)
        var parser = RequestParser(limits: limits)
        var head = HTTPRequestHead()

        let firstResult = bytes.withUnsafeBytes { parser.parseHead($0, into: &head) }
        XCTAssertEqual(firstResult, .complete(headLength: first.utf8.count))
        XCTAssertEqual(head.path, "/one")
        XCTAssertEqual(head.bytes.count, first.utf8.count)
        // Until reset, the parser keeps its answer.
        XCTAssertEqual(bytes.withUnsafeBytes { parser.parseHead($0, into: &head) }, firstResult)

        parser.reset()
        let capacity = head.bytes.capacity
        let rest = Array(bytes[first.utf8.count...])
        let secondResult = rest.withUnsafeBytes { parser.parseHead($0, into: &head) }
        XCTAssertEqual(secondResult, .complete(headLength: second.utf8.count - 2))
        XCTAssertEqual(head.method, .post)
        XCTAssertEqual(head.path, "/two")
        XCTAssertEqual(head.firstValue("host"), "b")
        XCTAssertEqual(head.framing, .contentLength(2))
        XCTAssertEqual(head.fields.count, 2, "fields of the first request are gone")
        XCTAssertGreaterThanOrEqual(head.bytes.capacity, capacity, "storage is reused")
    }

    func testFailureIsSticky() {
        var parser = RequestParser(limits: limits)
        var head = HTTPRequestHead()
        let bad = Array("GET / HTTP/1.1\r\nHost: a\r\nX : y\r\n".utf8)
        XCTAssertEqual(bad.withUnsafeBytes { parser.parseHead($0, into: &head) }, .failure(.whitespaceBeforeColon))
        let more = bad + Array("\r\n".utf8)
        XCTAssertEqual(more.withUnsafeBytes { parser.parseHead($0, into: &head) }, .failure(.whitespaceBeforeColon))
    }

    func testHeadResetKeepsCapacity() {
        var (_, head) = parse("GET / HTTP/1.1\r\nHost: a\r\nB: c\r\n\r\n")
        let bytesCapacity = head.bytes.capacity, fieldsCapacity = head.fields.capacity
        head.reset()
        XCTAssertTrue(head.bytes.isEmpty)
        XCTAssertTrue(head.fields.isEmpty)
        XCTAssertEqual(head.bytes.capacity, bytesCapacity)
        XCTAssertEqual(head.fields.capacity, fieldsCapacity)
        XCTAssertEqual(head.framing, .none)
        XCTAssertEqual(head.methodName, "")
    }

    // MARK: Errors

    func testEveryErrorHasAStatusAndAFixedDetail() {
        let all: [HTTPParseError] = [
            .malformedRequestLine, .invalidRequestTarget, .unsupportedVersion, .bareLineFeed, .bareCarriageReturn,
            .obsoleteLineFolding, .malformedHeaderField, .invalidFieldName, .whitespaceBeforeColon, .invalidFieldValue,
            .headerTooLarge, .tooManyHeaders, .missingHost, .duplicateHost, .contentLengthWithTransferEncoding,
            .unsupportedTransferEncoding, .duplicateTransferEncoding, .transferEncodingInHTTP10, .invalidContentLength,
            .conflictingContentLength, .bodyTooLarge, .invalidChunkSize, .chunkSizeOverflow, .chunkExtensionTooLong,
            .malformedChunk, .trailerTooLarge, .duplicateField("Authorization"), .headTimeout, .bodyTimeout, .overloaded,
        ]
        XCTAssertEqual(Set(all.map(\.detail)).count, all.count, "each detail tells its case apart")
        for error in all {
            XCTAssertTrue([400, 408, 413, 431, 503].contains(error.status), "\(error)")
            XCTAssertTrue(error.detail.hasSuffix("."), "\(error)")
        }
        XCTAssertEqual(HTTPParseError.contentLengthWithTransferEncoding.status, 400)
    }
}
