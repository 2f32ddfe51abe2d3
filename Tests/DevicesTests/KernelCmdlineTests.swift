@testable import Devices
import XCTest

final class KernelCmdlineTests: XCTestCase {
    func testIOMMUParameters() {
        let c = KernelCmdline.parse("BOOT_IMAGE=/vmlinuz ro intel_iommu=on,sm_on iommu=pt intremap=off vfio_iommu_type1.allow_unsafe_interrupts=1\n")
        XCTAssertEqual(c.intelIommu, "on,sm_on")
        XCTAssertTrue(c.requestsPassthrough)
        XCTAssertTrue(c.interruptRemappingDisabled)
        XCTAssertFalse(c.iommuDisabled)
        XCTAssertEqual(c.unsafeInterruptsRequested, true)
    }

    func testOffAndLastWins() {
        XCTAssertTrue(KernelCmdline.parse("amd_iommu=off").iommuDisabled)
        XCTAssertTrue(KernelCmdline.parse("intel_iommu=on intel_iommu=off").iommuDisabled)
        XCTAssertFalse(KernelCmdline.parse("intel_iommu=off intel_iommu=on").iommuDisabled)
        XCTAssertTrue(KernelCmdline.parse("iommu.passthrough=1").requestsPassthrough)
        XCTAssertFalse(KernelCmdline.parse("iommu=pt iommu.passthrough=0").requestsPassthrough)
        XCTAssertFalse(KernelCmdline.parse("iommu=nopt").requestsPassthrough)
        XCTAssertNil(KernelCmdline.parse("quiet").unsafeInterruptsRequested)
        XCTAssertEqual(KernelCmdline.parse("pcie_acs_override=downstream,multifunction").acsOverride, "downstream,multifunction")
        XCTAssertNil(KernelCmdline.parse("quiet").acsOverride)
    }

    func testReadsFixtureAndMissingFileThrows() throws {
        XCTAssertEqual(try KernelCmdline.read(root: Fixture.root("iommu-none")).intelIommu, "off")
        XCTAssertThrowsError(try KernelCmdline.read(root: Fixture.root("iommu-garbage")))
    }
}
