import Core
@testable import Devices
import XCTest

final class PCIDeviceTests: XCTestCase {
    func testReadsAttributesAndLinksThroughTheBusSymlink() throws {
        let d = try PCIDevice.read("0000:01:00.0", root: Fixture.root("iommu-clean-gpu"))
        XCTAssertEqual(d.vendor, 0x10de)
        XCTAssertEqual(d.device, 0x1b81)
        XCTAssertEqual(d.classCode, 0x030000)
        XCTAssertEqual(d.subsystemVendor, 0x1458)
        XCTAssertEqual(d.subsystemDevice, 0x3702)
        XCTAssertEqual(d.driver, "vfio-pci")
        XCTAssertEqual(d.iommuGroup, 1)
        XCTAssertNil(d.physfn)
        XCTAssertEqual(d.isBridge, false)
        XCTAssertTrue(d.problems.isEmpty, "\(d.problems)")
    }

    /// The fixtures keep the kernel's relative symlinks (git mode 120000), not flattened files.
    func testFixtureUsesRealSysfsSymlinks() throws {
        let root = Fixture.root("iommu-clean-gpu")
        XCTAssertEqual(try FileReader.readLink(root.sys("bus/pci/devices/0000:01:00.0")),
                       "../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0")
        let dir = root.sys("devices/pci0000:00/0000:00:01.0/0000:01:00.0")
        XCTAssertEqual(try FileReader.readLink(dir + "/driver"), "../../../../bus/pci/drivers/vfio-pci")
        XCTAssertEqual(try FileReader.readLink(dir + "/iommu_group"), "../../../../kernel/iommu_groups/1")
        XCTAssertEqual(try FileReader.readLink(root.sys("kernel/iommu_groups/1/devices/0000:01:00.0")),
                       "../../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0")
        XCTAssertEqual(try FileReader.readLink(Fixture.root("iommu-vf-pf").sys("devices/pci0000:40/0000:40:03.1/0000:41:10.0/physfn")),
                       "../0000:41:00.0")
    }

    func testDeviceWithoutDriverLinkHasNoDriverKnown() throws {
        let d = try PCIDevice.read("0000:00:14.2", root: Fixture.root("iommu-clean-gpu"))
        XCTAssertNil(d.driver)
        XCTAssertEqual(d.knownDriver, .some(nil))
    }

    func testPhysicalFunctionListsVFsAndVFPointsBack() throws {
        let root = Fixture.root("iommu-vf-pf")
        let pf = try PCIDevice.read("0000:41:00.0", root: root)
        XCTAssertEqual(pf.virtfns, ["0000:41:10.0", "0000:41:10.2", "0000:41:10.4", "0000:41:10.6"])
        XCTAssertEqual(pf.sriovNumVFs, 4)
        XCTAssertEqual(pf.sriovTotalVFs, 63)
        XCTAssertFalse(pf.isVF)
        let vf = try PCIDevice.read("0000:41:10.2", root: root)
        XCTAssertEqual(vf.physfn, "0000:41:00.0")
        XCTAssertTrue(vf.isVF)
        XCTAssertNil(vf.sriovTotalVFs)
    }

    func testGarbageValuesBecomeProblemsNotCrashes() throws {
        let d = try PCIDevice.read("0000:01:00.0", root: Fixture.root("iommu-garbage"))
        XCTAssertNil(d.vendor)
        XCTAssertNotNil(d.problems["vendor"])
        XCTAssertNil(d.classCode)
        XCTAssertNotNil(d.problems["class"])
        XCTAssertTrue(d.knownDriver == nil, "a driver directory instead of a link is unknown, not 'no driver'")
        XCTAssertNil(d.iommuGroup)
        XCTAssertTrue(d.problems["iommu_group"]!.contains("notanumber"))
        let e = try PCIDevice.read("0000:02:00.0", root: Fixture.root("iommu-garbage"))
        XCTAssertNil(e.vendor)
        XCTAssertEqual(e.device, 0x1533)
    }

    func testAbsentDeviceThrowsNotFound() {
        XCTAssertThrowsError(try PCIDevice.read("0000:0a:00.0", root: Fixture.root("iommu-clean-gpu"))) { e in
            guard case ProbeError.notFound = e else { return XCTFail("\(e)") }
        }
    }

    func testListFindsEveryDevice() {
        XCTAssertEqual(PCIDevice.list(root: Fixture.root("iommu-vf-pf")).count, 9)
        XCTAssertEqual(PCIDevice.list(root: HostRoot("/nonexistent")), [])
    }

    func testParseHex() {
        XCTAssertEqual(PCIDevice.parseHex("0x10de\n"), 0x10de)
        XCTAssertEqual(PCIDevice.parseHex("10DE"), 0x10de)
        XCTAssertNil(PCIDevice.parseHex("0x"))
        XCTAssertNil(PCIDevice.parseHex("zzzz"))
        XCTAssertNil(PCIDevice.parseHex("0x123456789"))
    }
}
