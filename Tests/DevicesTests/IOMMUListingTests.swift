import Core
@testable import Devices
import XCTest

final class IOMMUListingTests: XCTestCase {
    func load(_ files: String...) throws -> IOMMUListing {
        try IOMMUReport.listing(files: files.map(Fixture.listing))
    }

    func group(_ l: IOMMUListing, _ n: Int) throws -> IOMMUGroupReport {
        try XCTUnwrap(l.groups.first { $0.group == n }, "group \(n)")
    }

    func testDesktopGroupLoopMergedWithLspciNamesChipsetDevicesBlockingTheGPU() throws {
        let l = try load("desktop-groups.txt", "desktop-lspci-nnk.txt")
        let g2 = try group(l, 2)
        XCTAssertEqual(g2.viable, false)
        XCTAssertEqual(g2.reasons, ["0000:03:00.0 is bound to host driver xhci_hcd",
                                    "0000:03:00.1 is bound to host driver ahci",
                                    "0000:20:00.0 is bound to host driver r8169"])
        XCTAssertEqual(g2.devices.first { $0.address == "0000:21:00.0" }?.driver, "vfio-pci")
        XCTAssertEqual(g2.devices.first { $0.address == "0000:21:00.0" }?.vendor, 0x10de)
        XCTAssertEqual(g2.devices.count, 10)
        // Bridges on pcieport never count against the group.
        XCTAssertFalse(g2.reasons.contains { $0.contains("1d:0") || $0.contains("00:01.3") })
        // Host bridges are chipset functions: never assignable, driver or not.
        XCTAssertEqual(try group(l, 0).viable, false)
        XCTAssertEqual(try group(l, 0).reasons, ["0000:00:01.0 is a chipset function (Host bridge): a group holding it must never be assigned to a VM"])
        XCTAssertEqual(try group(l, 12).reasons.count, 3)
        XCTAssertTrue(try group(l, 12).reasons.allSatisfy { $0.contains("chipset function (Host bridge)") })
        XCTAssertEqual(l.groups.count, 11)
        XCTAssertEqual(l.ungrouped, [])
    }

    func testServerWithDriverLinesInsideTheGroupLoop() throws {
        let l = try load("server-clean.txt")
        XCTAssertEqual(try group(l, 28).viable, true)
        XCTAssertEqual(try group(l, 28).devices.map(\.driver), ["vfio-pci"])
        XCTAssertEqual(try group(l, 60).viable, true)
        XCTAssertEqual(try group(l, 90).viable, true)
        // "Kernel modules: iavf" but no driver in use: no driver bound, so viable.
        let vf = try group(l, 92)
        XCTAssertEqual(vf.viable, true)
        XCTAssertEqual(vf.devices.first?.driverKnown, true)
        XCTAssertNil(vf.devices.first?.driver)
        XCTAssertEqual(try group(l, 40).reasons, ["0000:5d:00.0 is bound to host driver i40e"])
        // A bridge with no driver lines and the BMC VGA behind it.
        XCTAssertEqual(try group(l, 19).reasons, ["0000:04:00.0 is bound to host driver ast"])
        XCTAssertEqual(l.groups.count, 14)
    }

    func testACSLessChipsetGroupNamesEveryHostDriverAndSkipsPrompts() throws {
        let l = try load("acs-less-chipset.txt")
        let g5 = try group(l, 5)
        XCTAssertEqual(g5.devices.count, 9)
        XCTAssertEqual(g5.viable, false)
        XCTAssertEqual(g5.reasons, ["0000:02:00.0 is bound to host driver nvme",
                                    "0000:04:00.0 is bound to host driver igb",
                                    "0000:05:00.0 is bound to host driver xhci_hcd"])
        XCTAssertEqual(try group(l, 1).reasons.count, 4)
        XCTAssertEqual(try group(l, 2).reasons, ["0000:00:14.0 is bound to host driver xhci_hcd"])
        XCTAssertEqual(l.entries.count, 23)
    }

    func testGroupLoopAloneIsUndecidableButBridgeOnlyGroupIsViable() throws {
        var l = try load("groups-only.txt")
        // Without drivers only the chipset groups (host bridge, ISA bridge + SMBus) are decided.
        XCTAssertEqual(l.groups.filter { $0.viable == false }.map(\.group), [0, 6])
        XCTAssertTrue(l.groups.filter { $0.group != 0 && $0.group != 6 }.allSatisfy { $0.viable == nil })
        let g1 = try group(l, 1)
        XCTAssertEqual(g1.reasons.count, 4, "the bridge is not a reason")
        XCTAssertTrue(g1.reasons[0].contains("0000:01:00.0") && g1.reasons[0].contains("no driver information"))
        l.add("IOMMU Group 40 00:1d.0 PCI bridge [0604]: Intel Corporation Cannon Lake PCH PCI Express Root Port #9 [8086:a330] (rev f0)\n", source: "extra")
        XCTAssertEqual(try group(l, 40).viable, true)
    }

    func testWrappedQuotedCRLFListingMergedWithFindOutput() throws {
        let l = try load("wrapped.txt", "find-groups.txt")
        XCTAssertEqual(l.entries["0000:00:00.0"]?.vendor, 0x8086)
        XCTAssertEqual(l.entries["0000:00:00.0"]?.device, 0x5918)
        XCTAssertEqual(l.entries["0000:01:00.0"]?.name, "NVIDIA Corporation GP106GL [Quadro P2000]")
        XCTAssertEqual(l.entries["0000:01:00.0"]?.modules, ["nvidiafb", "nouveau", "nvidia_drm", "nvidia"])
        XCTAssertEqual(l.entries["0000:02:00.0"]?.driver, .bound("igb"))
        XCTAssertEqual(l.entries["0000:01:00.1"]?.driver, IOMMUListing.DriverState.none)
        XCTAssertEqual(try group(l, 1).viable, true)
        XCTAssertEqual(try group(l, 3).reasons, ["0000:00:14.0 is bound to host driver xhci_hcd"])
        XCTAssertEqual(try group(l, 9).reasons, ["0000:02:00.0 is bound to host driver igb"])
        let g7 = try group(l, 7)
        XCTAssertNil(g7.viable, "00:1f.2 appears only in the find output")
        XCTAssertEqual(g7.reasons, ["0000:00:1f.2: no driver information in the listing (add `lspci -nnk` output)",
                                    "0000:00:1f.2 is a function of a multi-function card whose function 0 (0000:00:1f.0) is missing from the listing: the group's members are incomplete"])
    }

    func testLspciAloneHasNoGroups() throws {
        let l = try load("wrapped.txt")
        XCTAssertEqual(l.groups, [])
        XCTAssertEqual(l.ungrouped.count, 8)
    }

    func testHeaderStyleWithoutIndentationAndDomainAddresses() {
        var l = IOMMUListing()
        l.add("""
            IOMMU group 3
            0000:00:14.0 USB controller [0c03]: Intel Corporation Device [8086:a36d]
            0000:00:14.2 RAM memory [0500]: Intel Corporation Device [8086:a36f]
            Group 4:
            0000:00:17.0 SATA controller [0106]: Intel Corporation Device [8086:a352]
            """, source: "a")
        XCTAssertEqual(l.entries["0000:00:14.2"]?.group, 3)
        XCTAssertEqual(l.entries["0000:00:17.0"]?.group, 4)
        XCTAssertEqual(l.entries["0000:00:14.0"]?.classCode, 0x0c0300)
    }

    func testLspciAfterIndentedGroupBlockDoesNotJoinTheLastGroup() {
        let l = IOMMUListing.parse("IOMMU Group 9:\n\t01:00.0 VGA compatible controller [0300]: NVIDIA [10de:1b81]\n02:00.0 Ethernet controller [0200]: Intel [8086:1533]\n\tKernel driver in use: igb\n")
        XCTAssertEqual(l.first { $0.address == "0000:01:00.0" }?.group, 9)
        XCTAssertNil(l.first { $0.address == "0000:02:00.0" }?.group)
    }

    func testDisagreeingListingsMakeTheGroupUndecidable() {
        var l = IOMMUListing()
        l.add("IOMMU Group 1 01:00.0 VGA compatible controller [0300]: NVIDIA [10de:1b81]\n", source: "groups")
        l.add("01:00.0 VGA compatible controller [0300]: NVIDIA [10de:1b81]\n\tKernel driver in use: vfio-pci\n", source: "before")
        l.add("01:00.0 VGA compatible controller [0300]: NVIDIA [10de:1b81]\n\tKernel driver in use: nouveau\n", source: "after")
        let g = l.groups[0]
        XCTAssertNil(g.viable)
        XCTAssertTrue(g.reasons.contains { $0.contains("disagree") && $0.contains("vfio-pci") && $0.contains("nouveau") })
    }

    func testListingsOfDifferentHostsAreFlagged() throws {
        let l = try load("groups-only.txt", "wrapped.txt")
        let g0 = try group(l, 0)
        XCTAssertNil(g0.viable)
        XCTAssertTrue(g0.reasons.contains { $0.contains("8086:3ec2") && $0.contains("8086:5918") && $0.contains("not from the same host") }, "\(g0.reasons)")
    }

    func testClassWithoutNumericCodeStillRecognisesBridges() {
        var l = IOMMUListing()
        l.add("IOMMU Group 2 00:1c.0 PCI bridge: Intel Corporation Root Port #1\nIOMMU Group 2 03:00.0 Ethernet controller: Intel Corporation I211\n", source: "x")
        l.add("03:00.0 Ethernet controller: Intel Corporation I211\n\tKernel driver in use: vfio-pci\n", source: "y")
        XCTAssertEqual(l.groups[0].viable, true)
    }

    func testGarbageAndEmptyInputGiveNothing() {
        XCTAssertEqual(IOMMUListing.parse(""), [])
        XCTAssertEqual(IOMMUListing.parse("\u{0}\u{1}binary\nIOMMU Group x 00:zz.9 nope\n99:99.9 bad\n\tKernel driver in use: orphan\n"), [])
    }

    func testJSONShapeIsTheContract() throws {
        let l = try load("wrapped.txt", "find-groups.txt")
        let json = l.json
        let groups = try XCTUnwrap(json["groups"]?.arrayValue)
        let g7 = try XCTUnwrap(groups.first { $0["group"] == 7 })
        XCTAssertEqual(g7["viable"], .null)
        XCTAssertEqual(g7["devices"]?.arrayValue?.first?["address"], "0000:00:1f.2")
        XCTAssertEqual(g7["devices"]?.arrayValue?.first?["driver"], .null)
        XCTAssertEqual(g7["reasons"]?.arrayValue?.count, 2)
        let g9 = try XCTUnwrap(groups.first { $0["group"] == 9 })
        XCTAssertEqual(g9["viable"], false)
        XCTAssertEqual(g9["devices"]?.arrayValue?.first?["driver"], "igb")
        let g1 = try XCTUnwrap(groups.first { $0["group"] == 1 })
        XCTAssertEqual(g1["viable"], true)
        XCTAssertEqual(g1["reasons"], [])
        // Round-trips through the writer as valid JSON.
        let text = JSONWriter.string(json)
        XCTAssertEqual(try JSONValue(parsing: Data(text.utf8)), json)
    }
}

import Foundation
