import Core
@testable import Devices
import Foundation
import XCTest

/// Every listing format, from the fixtures in Tests/Fixtures/listings/, with its verdict.
final class IOMMUListingParserTests: XCTestCase {
    func parse(_ name: String) throws -> IOMMUListing.Result {
        let text = try String(contentsOfFile: Fixture.listing(name), encoding: .utf8)
        return IOMMUListing.parse(text, file: name)
    }

    func listing(_ names: String...) throws -> IOMMUListing {
        try IOMMUReport.listing(files: names.map(Fixture.listing))
    }

    func group(_ l: IOMMUListing, _ n: Int) throws -> IOMMUGroupReport {
        try XCTUnwrap(l.groups.first { $0.group == n }, "group \(n)")
    }

    /// Each format is recognised as itself, with the expected devices and no ignored line
    /// beyond the chatter the fixture carries.
    func testEveryFormatIsRecognisedAsItsKind() throws {
        let table: [(String, Set<IOMMUListing.Kind>, devices: Int, ignored: Int)] = [
            ("desktop-groups.txt", [.groupLoop], 29, 0),
            ("server-clean.txt", [.groupLoop, .lspci], 15, 0),
            ("viewer-group-driver.txt", [.groupDriverLines], 13, 0),
            ("find-groups.txt", [.sysfsFind], 9, 0),
            ("find-no-newlines.txt", [.sysfsFind], 9, 0),
            ("ls-la-group.txt", [.sysfsList, .lspci], 3, 0),
            ("ls-la-nodriver.txt", [.sysfsList], 3, 0),
            ("dmesg-iommu.txt", [.kernelLog], 9, 0),
            ("journal-iommu-old-kernel.txt", [.kernelLog], 5, 2),
            ("thisvm-lspci-nnk.txt", [.lspci], 6, 0),
            ("thisvm-lspci-k.txt", [.lspci], 6, 0),
            ("crlf-lspci-nnk.txt", [.lspci], 6, 0),
            ("thisvm-lspci-n.txt", [.lspciNumeric], 6, 0),
            ("nodedev-gpu.xml", [.nodedevXML], 3, 0),
            ("thisvm-nodedev-net.xml", [.nodedevXML], 1, 0),
            ("chatter-and-lspci.txt", [.lspci], 2, 2),
            ("lspci-v-iommu-group.txt", [.lspci], 2, 0),
        ]
        for (name, kinds, devices, ignored) in table {
            let r = try parse(name)
            XCTAssertEqual(r.kinds, kinds, name)
            XCTAssertEqual(r.entries.count, devices, name)
            XCTAssertEqual(r.ignoredCount, ignored, "\(name): \(r.ignored.map(\.text))")
            XCTAssertTrue(r.recognised, name)
            XCTAssertTrue(IOMMUListing.recognises(try String(contentsOfFile: Fixture.listing(name), encoding: .utf8)), name)
        }
    }

    func testViewerScriptDriverColumnDecidesEachDevice() throws {
        let l = try listing("viewer-group-driver.txt")
        XCTAssertEqual(try group(l, 27).viable, true, "four functions of the GPU, all on vfio-pci")
        XCTAssertEqual(try group(l, 2).reasons, ["0000:01:00.0 is bound to host driver nvme"])
        // "Driver: " with nothing after it: the script found no driver link.
        XCTAssertEqual(l.entries["0000:00:14.3"]?.driver, IOMMUListing.DriverState.none)
        XCTAssertEqual(l.entries["0000:0d:00.1"]?.driver, .bound("ccp"))
        // Chipset functions: SMBus + LPC, and the platform security processor.
        XCTAssertEqual(try group(l, 15).viable, false)
        XCTAssertTrue(try group(l, 15).reasons.contains { $0.contains("0000:00:14.3 is a chipset function (ISA bridge)") })
        XCTAssertEqual(try group(l, 29).reasons, ["0000:0d:00.1 is a chipset function (Encryption controller): a group holding it must never be assigned to a VM"])
        // 0d:00.3 is shown, 0d:00.0 too: complete; group 30 fails on its xhci driver.
        XCTAssertEqual(try group(l, 30).reasons, ["0000:0d:00.3 is bound to host driver xhci_hcd"])
    }

    func testFindOutputWithLostNewlinesIsSplitOnThePathPrefix() throws {
        let r = try parse("find-no-newlines.txt")
        let byAddress = Dictionary(uniqueKeysWithValues: r.entries.map { ($0.address, $0.group) })
        XCTAssertEqual(byAddress["0000:03:00.0"], 17)
        XCTAssertEqual(byAddress["0000:00:1f.3"], 5)
        XCTAssertEqual(byAddress["0000:01:00.1"], 1, "space-joined links on a line with prose before them")
        XCTAssertTrue(r.entries.allSatisfy { $0.driver == .unknown })
    }

    func testLsSymlinkTargetsGiveTheBridgePath() throws {
        let l = try listing("ls-la-group.txt")
        XCTAssertEqual(l.entries["0000:02:00.0"]?.upstream, ["0000:00:1c.0"])
        let g = try group(l, 16)
        XCTAssertEqual(g.devices.first { $0.address == "0000:00:1c.0" }?.bridge, true, "a device below it makes it a bridge")
        XCTAssertEqual(g.viable, true, "the root port is a bridge, both functions are on vfio-pci")
        let bare = try listing("ls-la-nodriver.txt")
        XCTAssertNil(try group(bare, 16).viable)
        XCTAssertEqual(try group(bare, 16).reasons.count, 2)
    }

    func testKernelLogGivesGroupsIdsAndClassesButNoDrivers() throws {
        let l = try listing("dmesg-iommu.txt")
        XCTAssertEqual(l.entries["0000:01:00.0"]?.vendor, 0x10de)
        XCTAssertEqual(l.entries["0000:01:00.0"]?.classCode, 0x030000)
        XCTAssertNil(try group(l, 1).viable, "drivers are not in the kernel log")
        XCTAssertEqual(try group(l, 7).viable, false, "ISA bridge and SMBus in group 7")
        XCTAssertEqual(try group(l, 0).viable, false, "host bridge")
        let old = try listing("journal-iommu-old-kernel.txt")
        XCTAssertEqual(old.entries["0000:00:14.2"]?.group, 2)
        XCTAssertEqual(old.ignored.map(\.number), [1, 8])
    }

    func testNodedevDumpGivesDriverGroupMembersAndPath() throws {
        let l = try listing("nodedev-gpu.xml")
        let g = try group(l, 1)
        XCTAssertEqual(g.viable, false)
        XCTAssertEqual(g.reasons, ["0000:01:00.1 is bound to host driver snd_hda_intel"])
        XCTAssertEqual(l.entries["0000:01:00.0"]?.driver, .bound("vfio-pci"))
        XCTAssertEqual(l.entries["0000:01:00.0"]?.name, "NVIDIA Corporation GP104 [GeForce GTX 1070]")
        // The root port is only an <address> in the group: unknown class, a bridge by the path.
        XCTAssertEqual(g.devices.first { $0.address == "0000:00:01.0" }?.bridge, true)
        // This machine's own dump (no IOMMU): a device without a group, its driver known.
        let vm = try listing("thisvm-nodedev-net.xml")
        XCTAssertEqual(vm.groups, [])
        XCTAssertEqual(vm.ungrouped.map(\.driver), ["virtio-pci"])
    }

    func testNumericLspciGivesIdsAndClasses() throws {
        let r = try parse("thisvm-lspci-n.txt")
        let balloon = try XCTUnwrap(r.entries.first { $0.address == "0000:00:01.0" })
        XCTAssertEqual(balloon.vendor, 0x1af4)
        XCTAssertEqual(balloon.device, 0x1045)
        XCTAssertEqual(balloon.classCode, 0xffff00)
        XCTAssertEqual(balloon.driver, .unknown)
    }

    /// A device whose lspci -k block shows detail lines but no driver has none; one the paste
    /// cut off, or that lspci printed without -k, has an unknown driver.
    func testDriverKnowledgeIsPerDeviceNotPerFile() throws {
        let vm = try parse("thisvm-lspci-nnk.txt")
        XCTAssertEqual(vm.entries.first { $0.address == "0000:00:00.0" }?.driver, .unknown, "the host bridge shows no -k lines")
        XCTAssertEqual(vm.entries.first { $0.address == "0000:00:03.0" }?.driver, .bound("virtio-pci"))

        let l = try listing("groups-for-truncated.txt", "lspci-k-truncated.txt")
        XCTAssertEqual(l.entries["0000:01:00.0"]?.driver, .bound("vfio-pci"))
        XCTAssertEqual(l.entries["0000:01:00.1"]?.driver, .unknown, "the paste ends before its driver line could come")
        let g = try group(l, 1)
        XCTAssertNil(g.viable)
        XCTAssertEqual(g.reasons, ["0000:01:00.1: no driver information in the listing (add `lspci -nnk` output)"])

        // A block closed by the next device with Subsystem but no driver line: no driver.
        let r = IOMMUListing.parse("01:00.0 VGA compatible controller: X\n\tSubsystem: Y\n01:00.1 Audio device: X\n\tSubsystem: Y\n\tKernel driver in use: vfio-pci\n\tKernel modules: snd_hda_intel\n", file: "x")
        XCTAssertEqual(r.entries.map(\.driver), [.none, .bound("vfio-pci")])
    }

    func testMultiFunctionCardWithSiblingsMissingIsIncomplete() throws {
        var l = IOMMUListing()
        l.add(IOMMUListing.parse("IOMMU Group 3 0b:00.1 Audio device [0403]: NVIDIA [10de:10f8]\n\tKernel driver in use: vfio-pci\n\tKernel modules: snd_hda_intel\n", file: "a"))
        let g = try group(l, 3)
        XCTAssertNil(g.viable, "function 0 (the GPU itself) is not in the listing")
        XCTAssertEqual(g.reasons, ["0000:0b:00.1 is a function of a multi-function card whose function 0 (0000:0b:00.0) is missing from the listing: the group's members are incomplete"])

        // Siblings that another file shows without a group.
        var m = IOMMUListing()
        m.add(IOMMUListing.parse("IOMMU Group 4 0c:00.0 VGA compatible controller [0300]: AMD [1002:67df]\n\tKernel driver in use: vfio-pci\n\tKernel modules: amdgpu\n", file: "groups"))
        m.add(IOMMUListing.parse("0c:00.1 Audio device [0403]: AMD [1002:aaf0]\n\tKernel driver in use: snd_hda_intel\n\tKernel modules: snd_hda_intel\n", file: "lspci"))
        XCTAssertNil(try group(m, 4).viable)
        XCTAssertTrue(try group(m, 4).reasons.contains { $0.contains("0000:0c:00.1") && $0.contains("without an IOMMU group") })
    }

    func testChipsetFunctionsAreNeverAssignableEvenOnVFIO() throws {
        let r = IOMMUListing.parse("""
            IOMMU Group 9:
            \t00:1f.0 ISA bridge [0601]: Intel Corporation Z390 Chipset LPC/eSPI Controller [8086:a305] (rev 10)
            \tKernel driver in use: vfio-pci
            \tKernel modules: lpc_ich
            \t00:1f.4 SMBus [0c05]: Intel Corporation Cannon Lake PCH SMBus Controller [8086:a323] (rev 10)
            \tKernel driver in use: vfio-pci
            \tKernel modules: i2c_i801
            """, file: "x")
        var l = IOMMUListing()
        l.add(r)
        XCTAssertEqual(try group(l, 9).viable, false)
        XCTAssertEqual(try group(l, 9).reasons.count, 2)
    }

    func testVerboseLspciGivesTheGroupFromTheFlagsLine() throws {
        let l = try listing("lspci-v-iommu-group.txt")
        let g = try group(l, 14)
        XCTAssertEqual(g.devices.map(\.address), ["0000:01:00.0", "0000:01:00.1"])
        XCTAssertEqual(g.viable, true)
        XCTAssertEqual(IOMMUListing.parse("01:00.0 VGA compatible controller: X\n\tIOMMU group: 3\n\tKernel driver in use: vfio-pci\n", file: "x").entries.first?.group, 3)
    }
}
