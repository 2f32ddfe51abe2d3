import Core
@testable import Devices
import XCTest

final class HostIOMMUTests: XCTestCase {
    func testModesPerFixture() {
        XCTAssertEqual(HostIOMMU.read(root: Fixture.root("iommu-clean-gpu")).mode, "translated")
        XCTAssertEqual(HostIOMMU.read(root: Fixture.root("iommu-passthrough")).mode, "passthrough")
        XCTAssertEqual(HostIOMMU.read(root: Fixture.root("iommu-none")).mode, "off")
        XCTAssertEqual(HostIOMMU.read(root: Fixture.root("iommu-pci-stub")).mode, "unknown")
    }

    func testMissingSysfsIsUnknownNotAbsent() {
        let h = HostIOMMU.read(root: HostRoot("/nonexistent-root"))
        XCTAssertNil(h.present)
        XCTAssertEqual(h.mode, "unknown")
        XCTAssertTrue(h.presentReason.contains("sysfs not available"))
    }

    func testAMDWithoutProcInterruptsIsUnknownWithReason() {
        var h = HostIOMMU.read(root: Fixture.root("iommu-vf-pf"))
        h.interrupts = nil
        h.interruptsError = "gone"
        let ir = h.interruptRemapping
        XCTAssertNil(ir.value)
        XCTAssertTrue(ir.source.contains("AMD units do not expose"), ir.source)
    }

    func testHostViewMarksAssignmentsAndUnreadableMembers() {
        let h = HostIOMMU.read(root: Fixture.root("iommu-garbage"))
        let g = h.groupReports(assigned: ["0000:02:00.0": ["vm-b"]])
        XCTAssertEqual(g.map(\.group), [7])
        XCTAssertEqual(g[0].viable, false)
        XCTAssertEqual(g[0].reasons, ["0000:02:00.0 is bound to host driver igb",
                                      "INT33C3:00 is bound to host driver i2c_designware"])
        // A member that vanished (dangling link) is recorded, not a crash.
        XCTAssertTrue(h.deviceErrors["0000:03:00.0"]?.contains("no such file") == true)
        XCTAssertEqual(g[0].devices.first { $0.address == "0000:03:00.0" }?.driverKnown, false)
        // A non-PCI member is read through its group link.
        XCTAssertEqual(h.devices["INT33C3:00"]?.driver, "i2c_designware")
        XCTAssertEqual(g[0].devices.first { $0.address == "0000:02:00.0" }?.assignedTo, ["vm-b"])
    }

    func testLiveMachineHasNoIOMMU() {
        let h = HostIOMMU.read(root: HostRoot("/"))
        XCTAssertEqual(h.present, false)
        XCTAssertEqual(h.groupReports(), [])
        XCTAssertEqual(h.interruptRemapping.value, false)
    }
}
