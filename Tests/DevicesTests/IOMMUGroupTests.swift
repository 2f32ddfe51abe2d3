import Core
@testable import Devices
import XCTest

final class IOMMUGroupTests: XCTestCase {
    func testReadsMembersTypeAndReservedRegions() throws {
        let root = Fixture.root("iommu-clean-gpu")
        XCTAssertEqual(IOMMUGroup.list(root: root), [0, 1, 2, 3, 4, 5, 6])
        let g = try IOMMUGroup.read(1, root: root)
        XCTAssertEqual(g.devices, ["0000:00:01.0", "0000:01:00.0", "0000:01:00.1"])
        XCTAssertEqual(g.type, "DMA-FQ")
        XCTAssertEqual(g.reservedRegions, [.init(start: 0xfee00000, end: 0xfeefffff, type: "msi")])
    }

    func testListSortsNumericallyAndSkipsNonNumbers() {
        XCTAssertEqual(IOMMUGroup.list(root: Fixture.root("iommu-vf-pf")), [30, 31, 32, 33, 34, 60, 61, 62, 63])
        XCTAssertEqual(IOMMUGroup.list(root: Fixture.root("iommu-garbage")), [7])
        XCTAssertEqual(IOMMUGroup.list(root: Fixture.root("iommu-none")), [])
    }

    func testMissingTypeFileIsAProblemWithReason() throws {
        let g = try IOMMUGroup.read(1, root: Fixture.root("iommu-pci-stub"))
        XCTAssertNil(g.type)
        XCTAssertTrue(g.problems["type"]!.contains("5.11"))
    }

    func testGarbageTypeAndRegions() throws {
        let g = try IOMMUGroup.read(7, root: Fixture.root("iommu-garbage"))
        XCTAssertNil(g.type)
        XCTAssertNotNil(g.problems["type"])
        XCTAssertEqual(g.reservedRegions, [])
    }

    func testParseReservedRegionsAbove4G() {
        let r = IOMMUGroup.parseReservedRegions("0x00000000fee00000 0x00000000feefffff msi\n0x0000004000000000 0x00000040001fffff direct\n")
        XCTAssertEqual(r.count, 2)
        XCTAssertEqual(r[1].start, 0x40_0000_0000)
        XCTAssertEqual(r[1].type, "direct")
    }

    func testParseTypeAcceptsOnlyKernelWords() {
        XCTAssertEqual(IOMMUGroup.parseType("identity\n"), "identity")
        XCTAssertNil(IOMMUGroup.parseType("dma"))
    }
}
