import SwitchyardIO
import XCTest

/// Addresses as text: IPv4 is formatted by hand (not `inet_ntop`), so its edges are checked here.
final class SocketAddressTests: XCTestCase {
    func testHostTextMatchesTheAddressGiven() throws {
        for text in ["0.0.0.0", "255.255.255.255", "10.0.100.9", "127.0.0.1", "192.168.1.20", "1.22.103.4"] {
            let address = try XCTUnwrap(SocketAddress(numericHost: text, port: 443))
            XCTAssertEqual(address.host, text)
            XCTAssertEqual(address.description, "\(text):443")
        }
        for (given, written) in [("::1", "::1"), ("[2001:DB8::1]", "2001:db8::1"), ("::ffff:10.0.0.1", "::ffff:10.0.0.1")] {
            let address = try XCTUnwrap(SocketAddress(numericHost: given, port: 8443))
            XCTAssertEqual(address.host, written)
            XCTAssertEqual(address.description, "[\(written)]:8443")
        }
    }
}
