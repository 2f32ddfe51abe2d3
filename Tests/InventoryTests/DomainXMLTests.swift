import Core
import XCTest
@testable import Inventory

final class DomainXMLTests: XCTestCase {
    func testLiveXMLOfConfinedLabGuest() throws {
        let d = try DomainXML.parse(try Fixture.text("inventory-xml/va-confined.xml"))
        XCTAssertEqual(d.type, "qemu")
        XCTAssertEqual(d.name, "va-confined")
        XCTAssertEqual(d.id, 1)
        XCTAssertEqual(d.uuid, "1b12e57c-bb1d-43e2-ad97-9f409ec2e398")
        XCTAssertEqual(d.emulator, "/usr/bin/qemu-system-x86_64")
        XCTAssertEqual(d.arch, "x86_64")
        XCTAssertEqual(d.machine, "pc-i440fx-7.2")
        XCTAssertEqual(d.memoryKiB, 65536)
        XCTAssertEqual(d.vcpus, 1)
        XCTAssertEqual(d.seclabels, [.init(model: "dac", type: "dynamic", relabel: true,
                                           label: "+64055:+64055", imagelabel: "+64055:+64055")])
        XCTAssertEqual(d.controllers.map(\.type), ["usb", "pci"])
        XCTAssertEqual(d.controllers.first?.model, "piix3-uhci")
        XCTAssertEqual(d.inputs, [.init(type: "mouse", bus: "ps2"), .init(type: "keyboard", bus: "ps2")])
        XCTAssertEqual(d.videos, ["cirrus"])
        XCTAssertEqual(d.graphics, [.init(type: "vnc", listenType: "address", listen: "127.0.0.1")])
        XCTAssertNil(d.memballoon, "model='none' is no balloon")
        XCTAssertTrue(d.hostdevs.isEmpty)
        XCTAssertNil(d.launchSecurity)
        XCTAssertTrue(d.isQemu)
    }

    func testLiveXMLOfRootDACLabGuestKeepsStaticLabel() throws {
        let d = try DomainXML.parse(try Fixture.text("inventory-xml/va-rootdac.xml"))
        XCTAssertEqual(d.name, "va-rootdac")
        XCTAssertEqual(d.seclabels, [.init(model: "dac", type: "static", relabel: false, label: "+0:+0")])
    }

    func testInactiveConfigHasNoIdAndNoAllocatedLabel() throws {
        let d = try DomainXML.parse(try Fixture.text("inventory-xml/va-confined-inactive.xml"))
        XCTAssertNil(d.id)
        XCTAssertEqual(d.name, "va-confined")
        XCTAssertNil(d.seclabels.first?.label)
    }

    func testFullFeaturedDefinition() throws {
        let d = try DomainXML.parse(try Fixture.text("inventory-xml/full-features.xml"))
        XCTAssertEqual(d.uuid, "9d8c7b6a-5f4e-4d3c-8b2a-190817263545", "UUIDs are lower-cased")
        XCTAssertEqual(d.memoryKiB, 8 * 1024 * 1024)
        XCTAssertEqual(d.vcpus, 4)
        XCTAssertEqual(d.emulator, "/usr/libexec/qemu-kvm")

        XCTAssertEqual(d.metadata.count, 2)
        XCTAssertEqual(d.metadata[0], .init(namespace: "https://virtaudit.dev/xmlns/1", name: "profile", attributes: [:], text: "baseline"))
        XCTAssertEqual(d.metadata[1].namespace, "http://openstack.org/xmlns/libvirt/nova/1.1")
        XCTAssertEqual(d.metadata[1].name, "instance")
        XCTAssertEqual(d.metadata[1].text, "vm-1")

        XCTAssertEqual(d.seclabels.count, 2)
        XCTAssertEqual(d.seclabels[0].baselabel, "system_u:system_r:svirt_t:s0")
        XCTAssertEqual(d.seclabels[1].model, "dac")
        XCTAssertTrue(d.seclabels[1].relabel, "dynamic labels relabel by default")

        XCTAssertEqual(d.hostdevs, [
            HostDeviceSpec(type: "pci", managed: true, driverName: "vfio", pciAddress: "0000:3b:10.2"),
            HostDeviceSpec(type: "usb", managed: true, usbBus: 1, usbDevice: 10),
            HostDeviceSpec(type: "pci", managed: false, driverName: "kvm", pciAddress: "0001:af:1f.7"),
        ])
        XCTAssertEqual(d.interfaces.map(\.type), ["hostdev", "bridge"])
        XCTAssertEqual(d.disks, [.init(device: "disk", bus: "scsi", target: "sda"), .init(device: "cdrom", bus: "sata", target: "sdb")])

        let serials = d.chardevs.filter { $0.kind == "serial" }
        XCTAssertEqual(serials.map(\.source), ["0.0.0.0:2445", "192.0.2.10:2447"], "udp names its connect peer")
        XCTAssertEqual(d.chardevs.first { $0.targetName == "org.qemu.guest_agent.0" }?.type, "unix")

        XCTAssertEqual(d.graphics, [
            .init(type: "vnc"),
            .init(type: "spice", listenType: "network", listen: "default"),
            .init(type: "vnc", listenType: "socket", listen: "/run/libvirt/qemu/full.vnc"),
        ])
        XCTAssertEqual(d.videos, ["qxl", "vmvga"])
        XCTAssertEqual(d.sounds, ["ac97"])
        XCTAssertEqual(d.smartcards, ["passthrough"])
        XCTAssertEqual(d.tpms, ["tpm-crb"])
        XCTAssertEqual(d.rngs, [.init(model: "virtio", backend: "egd", source: "192.0.2.1:708")])
        XCTAssertEqual(d.shmems, [
            .init(name: "legacy-ivshmem", model: "ivshmem", sizeBytes: 1 << 20),
            .init(name: "doorbell0", model: "ivshmem-doorbell", serverPath: "/tmp/socket-ivshmem0"),
        ])
        XCTAssertEqual(d.vsock, .init(model: "virtio", cid: nil, autoCID: true))
        XCTAssertEqual(d.watchdogs, [.init(model: "i6300esb", action: "poweroff")])
        XCTAssertEqual(d.qemuCommandline, ["-device", "pci-testdev"])
        XCTAssertEqual(d.launchSecurity, .init(type: "sev-snp", policy: "0x00030000"))
        XCTAssertEqual(d.launchSecurity?.debugAllowed, false)
    }

    func testQemuCommandlineNeedsTheQemuNamespace() throws {
        let xml = """
        <domain type='kvm' xmlns:other='https://example.org/not-qemu'><name>x</name>
          <other:commandline><other:arg value='-evil'/></other:commandline></domain>
        """
        XCTAssertEqual(try DomainXML.parse(xml).qemuCommandline, [])
    }

    func testPCIAddressesAreNormalisedToSysfsForm() throws {
        let cases: [(String, String)] = [
            ("domain='0x0000' bus='0x01' slot='0x00' function='0x0'", "0000:01:00.0"),
            ("bus='0x3' slot='0x1f' function='0x7'", "0000:03:1f.7"),
            ("domain='0x10' bus='255' slot='2' function='1'", "0010:ff:02.1"),
            ("domain='0' bus='010' slot='0x1' function='0'", "0000:08:01.0"),
        ]
        for (attrs, expected) in cases {
            let xml = "<domain type='kvm'><name>x</name><devices><hostdev mode='subsystem' type='pci'><source><address \(attrs)/></source></hostdev></devices></domain>"
            XCTAssertEqual(try DomainXML.parse(xml).hostdevs.first?.pciAddress, expected, attrs)
        }
    }

    func testMemoryUnits() throws {
        let cases: [(String, Int)] = [("unit='KiB'>1024", 1024), ("unit='MiB'>2", 2048), ("unit='G'>1", 1 << 20),
                                      ("unit='b'>1048576", 1024), ("unit='MB'>1", 976), (">512", 512)]
        for (body, kib) in cases {
            let xml = "<domain type='qemu'><name>x</name><memory \(body)</memory></domain>"
            XCTAssertEqual(try DomainXML.parse(xml).memoryKiB, kib, body)
        }
    }

    func testLaunchSecurityDebugBitsPerType() {
        XCTAssertEqual(DomainDefinition.LaunchSecurity(type: "sev", policy: "0x0003").debugAllowed, false)
        XCTAssertEqual(DomainDefinition.LaunchSecurity(type: "sev", policy: "0x0002").debugAllowed, true)
        XCTAssertEqual(DomainDefinition.LaunchSecurity(type: "sev-snp", policy: "0x000B0000").debugAllowed, true)
        XCTAssertEqual(DomainDefinition.LaunchSecurity(type: "tdx", policy: "0x10000001").debugAllowed, true)
        XCTAssertEqual(DomainDefinition.LaunchSecurity(type: "tdx", policy: "0x10000000").debugAllowed, false)
        XCTAssertNil(DomainDefinition.LaunchSecurity(type: "s390-pv").debugAllowed)
        XCTAssertNil(DomainDefinition.LaunchSecurity(type: "sev", policy: "zz").debugAllowed)
    }

    func testMalformedInputGivesTypedErrorsNamingTheProblem() {
        let cases: [(String, String, (DomainXMLError) -> Bool)] = [
            ("", "empty", { if case .malformed = $0 { return true } else { return false } }),
            ("<domain type='kvm'><name>x</name>", "unclosed", { if case .malformed = $0 { return true } else { return false } }),
            ("\u{0}\u{1}binary\u{ff}", "binary", { if case .malformed = $0 { return true } else { return false } }),
            ("<network><name>x</name></network>", "wrong root", { $0 == .notADomain(root: "network") }),
            ("<domain><name>x</name></domain>", "no type", { $0 == .missing("the type attribute of <domain>") }),
            ("<domain type='kvm'><uuid>u</uuid></domain>", "no name", { $0 == .missing("<name>") }),
            ("<domain type='kvm'><name>x</name><memory>lots</memory></domain>", "bad memory",
             { $0 == .invalid(what: "<memory>", value: "lots") }),
            ("<domain type='kvm'><name>x</name><memory unit='furlong'>1</memory></domain>", "bad unit",
             { $0 == .invalid(what: "<memory> unit", value: "furlong") }),
            ("<domain type='kvm'><name>x</name><vcpu>-2</vcpu></domain>", "negative vcpu",
             { $0 == .invalid(what: "<vcpu>", value: "-2") }),
            ("<domain type='kvm'><name>x</name><devices><hostdev type='pci'><source><address bus='0x1' slot='0x40' function='0'/></source></hostdev></devices></domain>",
             "slot out of range", { if case .invalid(what: "PCI address", _) = $0 { return true } else { return false } }),
            ("<domain type='kvm'><name>x</name><devices><hostdev type='pci'><source><address bus='0x1'/></source></hostdev></devices></domain>",
             "incomplete PCI address", { $0 == .missing("bus/slot/function of a PCI <address>") }),
            ("<domain type='kvm'><name>x</name><devices><shmem><model type='ivshmem-plain'/></shmem></devices></domain>",
             "unnamed shmem", { $0 == .missing("the name attribute of <shmem>") }),
            ("<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/shadow'>]><domain type='kvm'><name>&x;</name></domain>", "external entity",
             { _ in true }),
        ]
        for (xml, label, check) in cases {
            do {
                let d = try DomainXML.parse(xml)
                // Only the external-entity case may parse, and never with the file's content.
                XCTAssertEqual(label, "external entity", "\(label) parsed: \(d)")
                XCTAssertFalse(d.name.contains("root:"), "external entity was loaded")
            } catch {
                XCTAssertTrue(check(error), "\(label): unexpected \(error)")
                XCTAssertFalse(error.description.isEmpty)
            }
        }
    }

    func testMalformedErrorCarriesTheParserMessage() {
        XCTAssertThrowsError(try DomainXML.parse("<domain type='kvm'><name>x</nam></domain>")) { error in
            guard case DomainXMLError.malformed(let m)? = error as? DomainXMLError else { return XCTFail("\(error)") }
            XCTAssertTrue(m.contains("line 1") && m.contains("tag mismatch"), m)
        }
    }
}
