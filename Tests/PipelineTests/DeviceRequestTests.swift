@testable import Switchyard
import SwitchyardDevices
import XCTest

/// A request's items: a single device's held in place, a bulk update's in a list; both read and
/// change alike, and `keeping` leaves out exactly the items it is told to.
final class DeviceRequestTests: XCTestCase {
    private func item(_ index: Int) -> DeviceRequest.Item {
        DeviceRequest.Item(id: "imei:35000000000000\(index)",
                           change: .success(DeviceChange(operation: .update, id: nil, document: DeviceDocument())))
    }

    private func isReady(_ item: DeviceRequest.Item) -> Bool {
        if case .success = item.change { true } else { false }
    }

    func testOneItemAndManyReadAndChangeAlike() {
        let single = DeviceRequest(single: item(0))
        XCTAssertFalse(single.isBulk)
        XCTAssertEqual(single.items.count, 1)
        XCTAssertEqual(single.items.map(\.id), ["imei:350000000000000"])
        XCTAssertEqual(single.keeping { _ in false }.items.map(isReady), [false])
        XCTAssertEqual(single.keeping { _ in true }.items.map(isReady), [true])

        let bulk = DeviceRequest(isBulk: true, items: (0..<5).map(item))
        XCTAssertEqual(bulk.items.count, 5)
        XCTAssertEqual(bulk.items.indices, 0..<5)
        let kept = bulk.keeping { $0 % 2 == 0 }
        XCTAssertEqual(kept.items.map(isReady), [true, false, true, false, true])
        XCTAssertEqual(bulk.items.map(isReady), [true, true, true, true, true], "the original is not changed")
        XCTAssertEqual(kept.items.map(\.id), bulk.items.map(\.id))
        XCTAssertTrue(DeviceRequest(isBulk: true, items: []).items.isEmpty)
    }
}
