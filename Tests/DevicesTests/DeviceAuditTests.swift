import Core
@testable import Devices
import Foundation
import XCTest

final class DeviceAuditTests: XCTestCase {
    func facts(_ r: DeviceAudit.Result, _ name: String) -> FactBuilder { r.domains["uuid-" + name]! }
    func hostdev(_ b: FactBuilder, _ i: Int = 0) -> JSONValue { b.tree[path: "devices.hostdevs.\(i)"]! }

    func testCleanGPUAndAudioOnVFIOInOwnGroupIsViable() {
        let r = DeviceAudit.collect(root: Fixture.root("iommu-clean-gpu"),
                                    domains: [vm("gpu-vm", [pci("0000:01:00.0"), pci("0000:01:00.1")])])
        let b = facts(r, "gpu-vm")
        XCTAssertEqual(b.tree[path: "devices.hostdevCount"], 2)
        XCTAssertEqual(b.tree[path: "devices.pciCount"], 2)
        let gpu = hostdev(b)
        XCTAssertEqual(gpu["driver"], "vfio-pci")
        XCTAssertEqual(gpu["vendor"], "0x10de")
        XCTAssertEqual(gpu["device"], "0x1b81")
        XCTAssertEqual(gpu["class"], "0x030000")
        XCTAssertEqual(gpu["iommuGroup"], 1)
        XCTAssertEqual(gpu["groupType"], "DMA-FQ")
        XCTAssertEqual(gpu["groupViable"], true)
        XCTAssertEqual(gpu["vfio"], true)
        XCTAssertEqual(gpu["legacyAssignment"], false)
        XCTAssertEqual(gpu["isVF"], false)
        XCTAssertEqual(gpu["managed"], true)
        XCTAssertEqual(gpu["groupMembers"]?.arrayValue?.compactMap { $0["address"]?.stringValue },
                       ["0000:00:01.0", "0000:01:00.0", "0000:01:00.1"])
        XCTAssertEqual(b.tree[path: "devices.nonViableReasons"], [])
        XCTAssertEqual(b.tree[path: "devices.notVFIO"], [])
        XCTAssertEqual(b.tree[path: "devices.sharedDevices"], [])
        XCTAssertTrue(b.unknown.isEmpty, "\(b.unknown)")
        // Host view.
        XCTAssertEqual(r.host.tree[path: "host.iommu.present"], true)
        XCTAssertEqual(r.host.tree[path: "host.iommu.mode"], "translated")
        XCTAssertEqual(r.host.tree[path: "host.iommu.groupCount"], 7)
        XCTAssertEqual(r.host.tree[path: "host.iommu.interruptRemapping"], true)
        XCTAssertEqual(r.host.tree[path: "host.iommu.allowUnsafeInterrupts"], false)
        XCTAssertEqual(r.host.tree[path: "host.iommu.assignedDeviceCount"], 2)
        XCTAssertEqual(r.host.tree[path: "host.iommu.cmdline.intelIommu"], "on")
        let g1 = r.groups.first { $0.group == 1 }!
        XCTAssertEqual(g1.viable, true)
        XCTAssertEqual(g1.devices.first { $0.address == "0000:01:00.0" }?.assignedTo, ["gpu-vm"])
        let g3 = r.groups.first { $0.group == 3 }!
        XCTAssertEqual(g3.viable, false)
        XCTAssertEqual(g3.reasons, ["0000:00:14.0 is bound to host driver xhci_hcd"])
    }

    func testGPUSharingGroupWithHostUSBControllerNamesTheController() {
        let r = DeviceAudit.collect(root: Fixture.root("iommu-shared-group"),
                                    domains: [vm("gaming", running: false, [pci("0000:01:00.0"), pci("0000:01:00.1")])])
        let b = facts(r, "gaming")
        let gpu = hostdev(b)
        XCTAssertEqual(gpu["groupViable"], false)
        XCTAssertEqual(gpu["driver"], "nouveau")
        XCTAssertEqual(gpu["vfio"], true, "a managed device of a stopped VM is bound to vfio-pci at start")
        let reasons = b.tree[path: "devices.nonViableReasons"]!.strings
        XCTAssertTrue(reasons.contains { $0.contains("0000:01:00.2") && $0.contains("xhci_hcd") }, "\(reasons)")
        XCTAssertTrue(reasons.contains { $0.contains("0000:01:00.3") && $0.contains("nvidia-gpu") }, "\(reasons)")
        XCTAssertFalse(reasons.contains { $0.contains("0000:00:01.0") }, "the root port on pcieport is excepted")
        XCTAssertFalse(reasons.contains { $0.contains("0000:01:00.1") }, "the VM's own managed device is not a blocker")
    }

    func testRunningVMWithDeviceOnHostDriverIsNotVFIO() {
        let r = DeviceAudit.collect(root: Fixture.root("iommu-shared-group"),
                                    domains: [vm("gaming", running: true, [pci("0000:01:00.0")])])
        let b = facts(r, "gaming")
        XCTAssertEqual(hostdev(b)["vfio"], false)
        XCTAssertEqual(b.tree[path: "devices.notVFIO"]!.strings.first?.contains("0000:01:00.0 is on nouveau"), true)
    }

    func testVFAssignedWhilePFOnHostDriverAndSiblingsSpreadOverVMs() {
        let r = DeviceAudit.collect(root: Fixture.root("iommu-vf-pf"),
                                    domains: [vm("web1", [pci("0000:41:10.0")]), vm("web2", [pci("0000:41:10.2")])])
        let b = facts(r, "web1")
        let vf = hostdev(b)
        XCTAssertEqual(vf["isVF"], true)
        XCTAssertEqual(vf["physfn"], "0000:41:00.0")
        XCTAssertEqual(vf["pfDriver"], "ixgbe")
        XCTAssertEqual(vf["pfOnHostDriver"], true)
        XCTAssertEqual(vf["vfSiblingsAssignedTo"], ["web2"])
        XCTAssertEqual(vf["groupViable"], true)
        XCTAssertEqual(vf["iommuGroup"], 60)
        let spread = b.tree[path: "devices.vfSpread"]!.strings
        XCTAssertEqual(spread.count, 1)
        XCTAssertTrue(spread[0].contains("0000:41:10.2 in web2"), spread[0])
        XCTAssertTrue(b.tree[path: "devices.pfOnHostDriver"]!.strings[0].contains("0000:41:00.0 is on host driver ixgbe"))
        XCTAssertEqual(facts(r, "web2").tree[path: "devices.vfSpread"]!.strings.first?.contains("0000:41:10.0 in web1"), true)
        // AMD host: remapping is read from /proc/interrupts.
        XCTAssertEqual(r.host.tree[path: "host.iommu.interruptRemapping"], true)
        XCTAssertEqual(r.host.tree[path: "host.iommu.mode"], "translated")
    }

    func testSingleVFOfAPFIsNotSpread() {
        let r = DeviceAudit.collect(root: Fixture.root("iommu-vf-pf"), domains: [vm("web1", [pci("0000:41:10.0")])])
        let b = facts(r, "web1")
        XCTAssertEqual(hostdev(b)["vfSiblingsAssignedTo"], [])
        XCTAssertEqual(b.tree[path: "devices.vfSpread"], [])
    }

    func testPCIStubAndKVMDriverAreLegacyAssignment() {
        let r = DeviceAudit.collect(root: Fixture.root("iommu-pci-stub"),
                                    domains: [vm("legacy", [pci("0000:01:00.0", driver: "kvm"), pci("0000:01:00.1", managed: false)])])
        let b = facts(r, "legacy")
        XCTAssertEqual(hostdev(b, 0)["legacyAssignment"], true)
        XCTAssertEqual(hostdev(b, 0)["vfio"], false)
        XCTAssertEqual(hostdev(b, 1)["driver"], "pci-stub")
        XCTAssertEqual(hostdev(b, 1)["legacyAssignment"], true)
        XCTAssertEqual(hostdev(b, 0)["groupViable"], true, "pci-stub members are acceptable to the kernel")
        let legacy = b.tree[path: "devices.legacyAssigned"]!.strings
        XCTAssertTrue(legacy.contains { $0.contains("0000:01:00.0") && $0.contains("kvm") })
        XCTAssertTrue(legacy.contains { $0.contains("0000:01:00.1") && $0.contains("pci-stub") })
        XCTAssertEqual(b.tree[path: "devices.notVFIO"]!.strings.count, 2)
        // Kernel older than 5.11: no group type file -> unknown with reason, not a guess.
        XCTAssertEqual(hostdev(b)["groupType"], .null)
        XCTAssertNotNil(b.unknown["devices.hostdevs.0.groupType"])
        XCTAssertEqual(r.host.tree[path: "host.iommu.mode"], "unknown")
        // No /proc/interrupts; the Intel unit can remap but whether it does is not shown.
        XCTAssertEqual(r.host.tree[path: "host.iommu.interruptRemapping"], .null)
        XCTAssertTrue(r.host.unknown["host.iommu.interruptRemapping"]!.contains("cannot be determined"))
    }

    func testNoIOMMUGivesFindingNamingTheDevice() {
        let r = DeviceAudit.collect(root: Fixture.root("iommu-none"), domains: [vm("gpu-vm", running: false, [pci("0000:01:00.0")])])
        XCTAssertEqual(r.host.tree[path: "host.iommu.present"], false)
        XCTAssertEqual(r.host.tree[path: "host.iommu.mode"], "off")
        XCTAssertEqual(r.host.tree[path: "host.iommu.cmdline.iommuDisabled"], true)
        XCTAssertEqual(r.host.tree[path: "host.iommu.interruptRemapping"], false)
        XCTAssertEqual(r.host.tree[path: "host.iommu.groups"], [])
        let b = facts(r, "gpu-vm")
        XCTAssertEqual(hostdev(b)["groupViable"], false)
        XCTAssertEqual(hostdev(b)["iommuGroup"], .null)
        let reasons = b.tree[path: "devices.nonViableReasons"]!.strings
        XCTAssertEqual(reasons.count, 1)
        XCTAssertTrue(reasons[0].hasPrefix("0000:01:00.0 has no IOMMU group"), reasons[0])
    }

    /// The command line is split by the kernel's rules (HostProbes' KernelCmdline): words inside a
    /// quoted value are not parameters.
    func testQuotedCmdlineValuesAreNotReadAsIOMMUParameters() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("virtaudit-quoted-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(atPath: Fixture.root("iommu-clean-gpu").base, toPath: dir.path)
        try "BOOT_IMAGE=/vmlinuz intel_iommu=on dyndbg=\"module vfio intel_iommu=off iommu=pt +p\" quiet\n"
            .write(toFile: dir.path + "/proc/cmdline", atomically: false, encoding: .utf8)
        let h = DeviceAudit.collect(root: HostRoot(dir.path), domains: []).host.tree
        XCTAssertEqual(h[path: "host.iommu.cmdline.intelIommu"], "on")
        XCTAssertEqual(h[path: "host.iommu.cmdline.iommu"], .null)
        XCTAssertEqual(h[path: "host.iommu.cmdline.iommuDisabled"], false)
        XCTAssertEqual(h[path: "host.iommu.cmdline.passthrough"], false)
        XCTAssertEqual(h[path: "host.iommu.present"], true)
    }

    func testPassthroughModeUnsafeInterruptsAndNoRemapping() {
        let r = DeviceAudit.collect(root: Fixture.root("iommu-passthrough"), domains: [vm("gpu-vm", [pci("0000:01:00.0")])])
        let h = r.host.tree
        XCTAssertEqual(h[path: "host.iommu.present"], true)
        XCTAssertEqual(h[path: "host.iommu.mode"], "passthrough")
        XCTAssertEqual(h[path: "host.iommu.cmdline.passthrough"], true)
        XCTAssertEqual(h[path: "host.iommu.allowUnsafeInterrupts"], true)
        XCTAssertEqual(h[path: "host.iommu.interruptRemapping"], false)
        XCTAssertEqual(h[path: "host.iommu.interruptRemappingSource"], "/proc/cmdline: intremap=off")
        XCTAssertEqual(hostdev(facts(r, "gpu-vm"))["groupType"], "identity")
    }

    func testSameDeviceInTwoDomainsIsSharedInBoth() {
        let r = DeviceAudit.collect(root: Fixture.root("iommu-clean-gpu"),
                                    domains: [vm("vm-a", [pci("0000:01:00.0")]), vm("vm-b", running: false, [pci("01:00.0")])])
        XCTAssertEqual(hostdev(facts(r, "vm-a"))["sharedWith"], ["vm-b"])
        XCTAssertEqual(hostdev(facts(r, "vm-b"))["sharedWith"], ["vm-a"])
        XCTAssertEqual(facts(r, "vm-a").tree[path: "devices.sharedDevices"], ["0000:01:00.0 is also named by vm-b"])
        XCTAssertEqual(r.groups.first { $0.group == 1 }?.devices.first { $0.address == "0000:01:00.0" }?.assignedTo, ["vm-a", "vm-b"])
    }

    func testGroupMemberAssignedToAnotherVMMakesGroupNonViable() {
        let r = DeviceAudit.collect(root: Fixture.root("iommu-clean-gpu"),
                                    domains: [vm("vm-a", [pci("0000:01:00.0")]), vm("vm-b", [pci("0000:01:00.1")])])
        let a = facts(r, "vm-a").tree[path: "devices.nonViableReasons"]!.strings
        XCTAssertEqual(a, ["0000:01:00.1 in IOMMU group 1 is assigned to vm-b"])
        let b = facts(r, "vm-b").tree[path: "devices.nonViableReasons"]!.strings
        XCTAssertEqual(b, ["0000:01:00.0 in IOMMU group 1 is assigned to vm-a"])
        XCTAssertEqual(facts(r, "vm-a").tree[path: "devices.sharedDevices"], [])
    }

    func testDeviceAbsentFromHostIsUnknownNotPass() {
        let r = DeviceAudit.collect(root: Fixture.root("iommu-clean-gpu"), domains: [vm("vm-a", [pci("0000:09:00.0")])])
        let b = facts(r, "vm-a")
        XCTAssertEqual(hostdev(b)["present"], false)
        XCTAssertEqual(hostdev(b)["groupViable"], .null)
        XCTAssertTrue(b.unknown["devices.hostdevs.0.groupViable"]!.contains("absent from the host"))
        XCTAssertEqual(b.tree[path: "devices.nonViableReasons"], .null)
        XCTAssertNotNil(b.unknown["devices.nonViableReasons"])
        XCTAssertEqual(b.tree[path: "devices.absent"], ["0000:09:00.0"])
    }

    func testGarbageSysfsGivesUnknownsWithReasons() {
        let r = DeviceAudit.collect(root: Fixture.root("iommu-garbage"),
                                    domains: [vm("vm-a", [pci("0000:01:00.0")]), vm("vm-b", [pci("0000:02:00.0")])])
        let a = facts(r, "vm-a")
        let dev = hostdev(a)
        XCTAssertEqual(dev["vendor"], .null)
        XCTAssertTrue(a.unknown["devices.hostdevs.0.vendor"]!.contains("not a hex number"))
        XCTAssertEqual(dev["class"], .null)
        XCTAssertEqual(dev["driver"], .null)
        XCTAssertTrue(a.unknown["devices.hostdevs.0.driver"]!.contains("not a symbolic link"))
        XCTAssertEqual(dev["vfio"], .null)
        XCTAssertEqual(dev["iommuGroup"], .null)
        XCTAssertTrue(a.unknown["devices.hostdevs.0.iommuGroup"]!.contains("notanumber"))
        XCTAssertEqual(a.tree[path: "devices.nonViableReasons"], .null)
        XCTAssertEqual(a.tree[path: "devices.notVFIO"], .null)
        let b = facts(r, "vm-b")
        XCTAssertEqual(hostdev(b)["driver"], "igb")
        XCTAssertEqual(hostdev(b)["vendor"], .null)
        XCTAssertEqual(hostdev(b)["groupType"], .null)
        XCTAssertTrue(b.unknown["devices.hostdevs.0.groupType"]!.contains("unexpected value"))
        // Host: no /proc/cmdline, unreadable parameter, an Intel unit without IR.
        XCTAssertNotNil(r.host.unknown["host.iommu.cmdline"])
        XCTAssertEqual(r.host.tree[path: "host.iommu.interruptRemapping"], false)
        XCTAssertTrue(r.host.tree[path: "host.iommu.interruptRemappingSource"]!.stringValue!.contains("dmar0"))
        XCTAssertEqual(r.host.tree[path: "host.iommu.groupCount"], 1)
    }

    func testVMWithoutHostdevsGetsZeroCountsAndEmptyLists() {
        let r = DeviceAudit.collect(root: Fixture.root("iommu-none"), domains: [vm("plain", [])])
        let b = facts(r, "plain")
        XCTAssertEqual(b.tree[path: "devices.hostdevCount"], 0)
        XCTAssertEqual(b.tree[path: "devices.pciCount"], 0)
        XCTAssertEqual(b.tree[path: "devices.hostdevs"], [])
        for p in ["nonViableReasons", "notVFIO", "legacyAssigned", "sharedDevices", "vfSpread", "pfOnHostDriver", "absent"] {
            XCTAssertEqual(b.tree[path: "devices." + p], [], p)
        }
        XCTAssertTrue(b.unknown.isEmpty)
        XCTAssertEqual(r.host.tree[path: "host.iommu.assignedDeviceCount"], 0)
    }

    func testUSBAndMdevHostdevsAreRecorded() {
        let usb = HostDeviceSpec(type: "usb", usbVendor: "0x046d", usbProduct: "0xc52b")
        let mdev = HostDeviceSpec(type: "mdev", mdevUUID: "4b20d080-1b54-4048-85b3-a6a62d165c01")
        let r = DeviceAudit.collect(root: Fixture.root("iommu-clean-gpu"), domains: [vm("a", [usb, mdev]), vm("b", [usb])])
        let b = facts(r, "a")
        XCTAssertEqual(b.tree[path: "devices.hostdevCount"], 2)
        XCTAssertEqual(b.tree[path: "devices.pciCount"], 0)
        XCTAssertEqual(hostdev(b, 0)["usbVendor"], "0x046d")
        XCTAssertEqual(hostdev(b, 0)["sharedWith"], ["b"])
        XCTAssertEqual(hostdev(b, 1)["mdevUUID"], "4b20d080-1b54-4048-85b3-a6a62d165c01")
        XCTAssertEqual(hostdev(b, 1)["present"], false)
    }

    func testLiveHostWithoutIOMMUAndGuestsWithoutHostdevs() {
        let r = DeviceAudit.collect(root: HostRoot("/"), domains: [vm("va-confined", []), vm("va-rootdac", [])])
        XCTAssertEqual(r.host.tree[path: "host.iommu.present"], false)
        XCTAssertEqual(r.host.tree[path: "host.iommu.mode"], "off")
        for name in ["va-confined", "va-rootdac"] {
            let b = facts(r, name)
            XCTAssertEqual(b.tree[path: "devices.hostdevCount"], 0)
            XCTAssertEqual(b.tree[path: "devices.nonViableReasons"], [])
        }
    }
}
