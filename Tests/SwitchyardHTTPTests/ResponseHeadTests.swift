@testable import SwitchyardHTTP
import SwitchyardIO
import XCTest

/// What every response's head starts with: the status line, encoded once for the common statuses
/// and formatted for the others, and the `date` header, formatted once a second.
final class ResponseHeadTests: XCTestCase {
    private func statusLine(_ status: Int) -> String {
        let buffer = ByteBuffer(capacity: 16)
        HTTPStatus.appendStatusLine(status, to: buffer)
        return String(decoding: buffer.readableBytes, as: UTF8.self)
    }

    /// Encoded or formatted, the line is the same: every status from 100 to 599 and beyond.
    func testEveryStatusLineReadsTheSameEncodedOrFormatted() {
        for status in Array(100..<600) + [99, 600, 999] {
            XCTAssertEqual(statusLine(status), "HTTP/1.1 \(status) \(HTTPStatus.reasonPhrase(status))\r\n")
        }
        XCTAssertEqual(statusLine(200), "HTTP/1.1 200 OK\r\n")
        XCTAssertEqual(statusLine(422), "HTTP/1.1 422 Unprocessable Content\r\n")
        XCTAssertEqual(statusLine(299), "HTTP/1.1 299 Status 299\r\n")
        XCTAssertEqual(HTTPStatus.reasonPhrase(404), "Not Found")
        XCTAssertEqual(HTTPStatus.reasonPhrase(431), "Request Header Fields Too Large")
        XCTAssertEqual(HTTPStatus.reasonPhrase(99), "Status 99")
    }

    /// IMF-fixdate (RFC 9110 §5.6.7) for now, appended again and again from what was formatted.
    func testTheDateIsNowInIMFFixdate() throws {
        let dates = DateCache()
        let buffer = ByteBuffer(capacity: 64)
        let before = time(nil)
        dates.append(to: buffer)
        dates.append(to: buffer)
        let after = time(nil)
        let text = String(decoding: buffer.readableBytes, as: UTF8.self)
        XCTAssertEqual(text.utf8.count, 58, text)
        let first = String(text.prefix(29))
        let second = String(text.suffix(29))
        let times = Set([before, after].map { DateCache.format($0) })
        XCTAssertTrue(times.contains(first), "\(first) is not one of \(times)")
        XCTAssertTrue(times.contains(second), "\(second) is not one of \(times)")
        XCTAssertNotNil(first.range(of: #"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$"#,
                                    options: .regularExpression), first)
        XCTAssertEqual(DateCache.format(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT")
    }
}
