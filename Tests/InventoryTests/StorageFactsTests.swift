import Core
import XCTest
@testable import Inventory

/// `StorageFacts`: the XML-decided storage, share and memory facts.
final class StorageFactsTests: XCTestCase {
    private func facts(_ xml: String) throws -> JSONValue {
        var f = FactBuilder()
        StorageFacts.build(try DomainXML.parse(xml), into: &f)
        return f.facts
    }

    private func domain(_ devices: String, seclabel: String = "", top: String = "") -> String {
        "<domain type='kvm'><name>t</name><memory>1024</memory>\(top)<devices>\(devices)</devices>\(seclabel)</domain>"
    }

    func testSensitiveShareSources() {
        let cases: [(String?, Bool)] = [
            ("/", true), ("/etc", true), ("/etc/", true), ("/var", true), ("/var/lib", true), ("/root", true),
            ("/root/data", true), ("/home", true), ("/home/alice", true), ("/var/lib/libvirt", true),
            ("/var/lib/libvirt/images", true), ("/etc/libvirt/qemu", true), ("/run", true), ("/run/libvirt", true),
            ("/usr", true), ("/srv/../etc", true),
            ("/home/alice/shared", false), ("/srv/exports/vm1", false), ("/var/tmp/x", false), ("/data", false),
            ("/var/lib/nfs-export", false), ("relative/etc", false), (nil, false),
        ]
        for (path, sensitive) in cases {
            XCTAssertEqual(StorageFacts.sensitiveReason(path) != nil, sensitive, path ?? "nil")
        }
        XCTAssertEqual(StorageFacts.sensitiveReason("/var/lib"), "an ancestor of libvirt's state (/var/lib/libvirt)")
        XCTAssertEqual(StorageFacts.sensitiveReason("/home/bob"), "a home directory (/home/bob)")
    }

    func testForcedLabelPairDecisions() {
        let staticVM = DomainDefinition.SecLabel(model: "selinux", type: "static", relabel: true,
                                                 label: "system_u:system_r:svirt_t:s0:c10,c20")
        let dynamicVM = DomainDefinition.SecLabel(model: "selinux", type: "dynamic", relabel: true)
        let vm = StorageFacts.SELinuxLabel("system_u:system_r:svirt_t:s0:c10,c20")
        let cases: [(String, DomainDefinition.SecLabel?, StorageFacts.SELinuxLabel?, Bool?)] = [
            ("system_u:object_r:svirt_image_t:s0:c20,c10", staticVM, vm, true),
            ("system_u:object_r:svirt_image_t:s0:c10,c21", staticVM, vm, false),
            ("system_u:object_r:svirt_image_t:s0", staticVM, vm, false),
            ("system_u:object_r:public_content_t:s0:c10,c20", staticVM, vm, false),
            ("system_u:object_r:svirt_image_t:s0:c1,c2", dynamicVM, nil, false),
            ("system_u:object_r:svirt_image_t:s0:c1,c2", nil, nil, nil),
            ("garbage", staticVM, vm, false),
        ]
        for (forced, vmLabel, context, expected) in cases {
            XCTAssertEqual(StorageFacts.ownPair(forced: .init(forced), vm: context, vmLabel: vmLabel), expected, forced)
        }
    }

    func testOffendingDisksAreNamedInTheLists() throws {
        let f = try facts(domain("""
            <disk type='block' device='lun' rawio='yes'><driver type='raw'/><source dev='/dev/sdb'>
              <reservations managed='no'><source type='unix' path='/run/pr.sock' mode='client'/></reservations></source><target dev='sda' bus='scsi'/></disk>
            <disk type='file'><source file='/a.img'/><target dev='vda'/></disk>
            <disk type='file'><driver type='raw'/><source file='/b.img'><seclabel relabel='no'/></source><target dev='vdb'/><shareable/></disk>
            <disk type='file'><driver type='raw'/><source file='/c.img'><seclabel model='none'/></source><target dev='vdc'/><shareable/><readonly/></disk>
            <disk type='file'><driver type='raw'/><source file='/d.img'><seclabel model='selinux' relabel='yes'><label>system_u:object_r:svirt_image_t:s0</label></seclabel></source><target dev='vdd'/></disk>
            """, seclabel: "<seclabel type='static' model='selinux' relabel='yes'><label>system_u:system_r:svirt_t:s0:c1,c2</label></seclabel>"))
        XCTAssertEqual(f[path: "storage.rawioDisks"], ["sda: /dev/sdb (lun)"])
        XCTAssertEqual(f[path: "storage.unmanagedReservations"], ["sda: /dev/sdb (lun)"])
        XCTAssertEqual(f[path: "storage.formatProbedDisks"], ["vda: /a.img (disk)"])
        XCTAssertEqual(f[path: "storage.sharedWritableDisks"], ["vdb: /b.img (disk)"])
        XCTAssertEqual(f[path: "storage.macUnlabelledDisks"], ["vdb: /b.img (disk)", "vdc: /c.img (disk)"])
        XCTAssertEqual(f[path: "storage.dacUnlabelledDisks"], ["vdb: /b.img (disk)", "vdc: /c.img (disk)"])
        XCTAssertEqual(f[path: "storage.forcedLabelsOutsidePair"], ["vdd: /d.img (disk) forced system_u:object_r:svirt_image_t:s0"])
        XCTAssertEqual(f[path: "storage.count"], 5)
        XCTAssertEqual(f[path: "storage.disks.1.formatProbed"], true)
        XCTAssertEqual(f[path: "storage.disks.3.sharedWritable"], false)
    }

    func testForcedLabelWithoutADomainLabelIsUnknown() throws {
        let f = try facts(domain("""
            <disk type='file'><driver type='raw'/><source file='/d.img'><seclabel model='selinux'><label>system_u:object_r:svirt_image_t:s0:c1,c2</label></seclabel></source><target dev='vdd'/></disk>
            """))
        XCTAssertEqual(f[path: "storage.forcedLabelsOutsidePair"], .null)
        XCTAssertNotNil(FactBuilder.reason(for: "storage.forcedLabelsOutsidePair", in: f))
    }

    func testSharesAndMemory() throws {
        let f = try facts(domain("""
            <filesystem type='mount' accessmode='passthrough'><source dir='/etc'/><target dir='etc'/></filesystem>
            <filesystem type='mount' accessmode='passthrough'><source dir='/srv/x'/><target dir='x'/></filesystem>
            <filesystem type='mount' accessmode='passthrough'><source dir='/root'/><target dir='r'/><readonly/></filesystem>
            """, top: "<memoryBacking><access mode='shared'/><source type='file'/></memoryBacking>"))
        XCTAssertEqual(f[path: "shares.writableSystemDirectories"]?.arrayValue?.count, 1)
        XCTAssertEqual(f[path: "shares.writablePassthrough"], ["/etc (tag etc, 9p)", "/srv/x (tag x, 9p)"])
        XCTAssertEqual(f[path: "shares.writableCount"], 2)
        XCTAssertEqual(f[path: "shares.filesystems.2.hostSystemDirectory"], "a host system directory (/root)")
        XCTAssertEqual(f[path: "shares.filesystems.2.writableHostSystemDirectory"], false)
        XCTAssertEqual(f[path: "memory.shared"], true)
        XCTAssertEqual(f[path: "memory.backing.source"], "file")
        XCTAssertEqual(f[path: "memory.nosharepages"], false)
        XCTAssertEqual(f[path: "memory.dumpCore"], "default")

        let plain = try facts(domain(""))
        XCTAssertEqual(plain[path: "memory.shared"], false)
        XCTAssertEqual(plain[path: "memory.backing.access"], "private")
        XCTAssertEqual(plain[path: "shares.filesystems"], [])
        XCTAssertEqual(plain[path: "storage.disks"], [])
    }

    func testUnparsableXMLMakesTheSectionsUnknown() {
        let record = DomainRecord(name: "x", uuid: "u", id: nil, state: "shutoff", persistent: true, autostart: false, xml: "<domain")
        let f = DomainFacts.build(record: record, definition: DomainFacts.definition(of: record)).facts
        for p in ["storage.rawioDisks", "shares.writableSystemDirectories", "memory.shared"] {
            XCTAssertNotNil(FactBuilder.reason(for: p, in: f), p)
        }
    }
}
