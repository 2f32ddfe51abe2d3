@testable import Devices
import XCTest

final class PCIClassTests: XCTestCase {
    func testOnlyPCIAndCardBusBridgesAreBridges() {
        XCTAssertTrue(PCIClass.isBridge(0x060400))
        XCTAssertTrue(PCIClass.isBridge(0x060401))
        XCTAssertTrue(PCIClass.isBridge(0x060700))
        XCTAssertFalse(PCIClass.isBridge(0x060000), "a host bridge has a normal header")
        XCTAssertFalse(PCIClass.isBridge(0x060100), "an ISA bridge has a normal header")
        XCTAssertFalse(PCIClass.isBridge(0x030000))
    }

    func testNamesFallBackToBaseClassThenCode() {
        XCTAssertEqual(PCIClass.name(0x030000), "VGA compatible controller")
        XCTAssertEqual(PCIClass.name(0x0c0330), "USB controller")
        XCTAssertEqual(PCIClass.name(0x020500), "Network controller")
        XCTAssertEqual(PCIClass.name(0xff0000), "Class ff00")
    }
}
