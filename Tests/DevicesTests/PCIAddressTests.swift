@testable import Devices
import XCTest

final class PCIAddressTests: XCTestCase {
    func testNormalizesShortAndFullForms() {
        XCTAssertEqual(PCIAddress.normalize("01:00.0"), "0000:01:00.0")
        XCTAssertEqual(PCIAddress.normalize("0000:5D:02.1"), "0000:5d:02.1")
        XCTAssertEqual(PCIAddress.normalize(" 10000:00:1f.6 "), nil)
        XCTAssertEqual(PCIAddress.normalize("1:0.0"), "0000:01:00.0")
    }

    func testRejectsGarbage() {
        for bad in ["", "01:00", "01:00.8", "zz:00.0", "01:20.0", "0000:01:00.0.1", "a:b:c:d", "01:00.x"] {
            XCTAssertNil(PCIAddress.normalize(bad), bad)
        }
    }
}
