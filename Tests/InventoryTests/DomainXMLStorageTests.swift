import Core
import XCTest
@testable import Inventory

/// `DomainXML+Storage.swift`: disks, `<filesystem>` shares and memory backing as libvirt writes them.
final class DomainXMLStorageTests: XCTestCase {
    private func domain(_ devices: String, top: String = "") throws -> DomainDefinition {
        try DomainXML.parse("""
            <domain type='kvm'><name>t</name><memory unit='KiB'>65536</memory>\(top)
              <devices>\(devices)</devices></domain>
            """)
    }

    func testDiskSourcesOfEveryType() throws {
        let cases: [(xml: String, type: String, path: String?, proto: String?)] = [
            ("<disk type='file' device='disk'><source file='/var/lib/libvirt/images/a.qcow2'/><target dev='vda'/></disk>",
             "file", "/var/lib/libvirt/images/a.qcow2", nil),
            ("<disk type='block' device='lun'><source dev='/dev/sdb'/><target dev='sda' bus='scsi'/></disk>", "block", "/dev/sdb", nil),
            ("<disk type='network' device='disk'><source protocol='rbd' name='pool/img'><host name='mon1' port='6789'/></source><target dev='vdb'/></disk>",
             "network", "rbd://mon1:6789/pool/img", "rbd"),
            ("<disk type='volume' device='disk'><source pool='default' volume='v1.img'/><target dev='vdc'/></disk>", "volume", "default/v1.img", nil),
            ("<disk type='dir' device='disk'><source dir='/srv/fat'/><target dev='hdb'/></disk>", "dir", "/srv/fat", nil),
            ("<disk type='nvme' device='disk'><source type='pci' managed='yes' namespace='1'><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source><target dev='vdd'/></disk>",
             "nvme", "nvme:0000:01:00.0", nil),
            ("<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>", "file", nil, nil),
            ("<disk device='disk'><source file='/img'/><target dev='vde'/></disk>", "file", "/img", nil),
        ]
        for c in cases {
            let d = try XCTUnwrap(try domain(c.xml).storageDisks.first, c.xml)
            XCTAssertEqual(d.sourceType, c.type, c.xml)
            XCTAssertEqual(d.path, c.path, c.xml)
            XCTAssertEqual(d.networkProtocol, c.proto, c.xml)
        }
    }

    func testFormatSharingPassthroughAndReservations() throws {
        let def = try domain("""
            <disk type='block' device='lun' rawio='yes' sgio='filtered'>
              <driver name='qemu' type='raw'/>
              <source dev='/dev/sdb'><reservations managed='no'><source type='unix' path='/run/pr.sock' mode='client'/></reservations></source>
              <target dev='sda' bus='scsi'/><shareable/>
            </disk>
            <disk type='file' device='disk'><driver name='qemu'/><source file='/a.img'/><target dev='vda'/><readonly/><transient/></disk>
            <disk type='file' device='disk'><driver name='qemu' type=''/><source file='/b.img'><reservations enabled='no'/></source><target dev='vdb'/></disk>
            """)
        let lun = def.storageDisks[0], ro = def.storageDisks[1], empty = def.storageDisks[2]
        XCTAssertEqual(lun.device, "lun")
        XCTAssertTrue(lun.rawio)
        XCTAssertEqual(lun.sgio, "filtered")
        XCTAssertEqual(lun.format, "raw")
        XCTAssertTrue(lun.shareable)
        XCTAssertFalse(lun.readonly)
        XCTAssertTrue(lun.reservations)
        XCTAssertEqual(lun.reservationsManaged, false)
        XCTAssertNil(ro.format, "<driver> without type: the format is not declared")
        XCTAssertTrue(ro.readonly)
        XCTAssertTrue(ro.transient)
        XCTAssertFalse(ro.rawio)
        XCTAssertNil(empty.format, "an empty type attribute declares nothing")
        XCTAssertFalse(empty.reservations)
        XCTAssertNil(empty.reservationsManaged)
        // The existing disk list keeps its fields.
        XCTAssertEqual(def.disks.map(\.device), ["lun", "disk", "disk"])
        XCTAssertEqual(def.disks.map(\.target), ["sda", "vda", "vdb"])
    }

    func testPerDiskSecLabelsAndBackingChain() throws {
        let def = try domain("""
            <disk type='file' device='disk'>
              <driver name='qemu' type='qcow2'/>
              <source file='/top.qcow2'>
                <seclabel model='selinux' relabel='yes'><label>system_u:object_r:svirt_image_t:s0:c1,c2</label></seclabel>
                <seclabel model='dac' relabel='no'/>
              </source>
              <backingStore type='file'><format type='qcow2'/><source file='/mid.qcow2'/>
                <backingStore type='block'><format type='raw'/><source dev='/dev/vg/base'/><backingStore/></backingStore>
              </backingStore>
              <target dev='vda'/>
            </disk>
            """)
        let d = def.storageDisks[0]
        XCTAssertEqual(d.seclabels, [.init(model: "selinux", relabel: true, label: "system_u:object_r:svirt_image_t:s0:c1,c2"),
                                     .init(model: "dac", relabel: false, label: nil)])
        XCTAssertEqual(d.backingChain, [.init(type: "file", path: "/mid.qcow2", format: "qcow2"),
                                        .init(type: "block", path: "/dev/vg/base", format: "raw")])
    }

    func testDeeplyNestedBackingChainIsBounded() throws {
        var chain = "<backingStore/>"
        for i in 0..<500 { chain = "<backingStore type='file'><format type='qcow2'/><source file='/l\(i)'/>\(chain)</backingStore>" }
        let def = try domain("<disk type='file'><driver type='qcow2'/><source file='/top'/>\(chain)<target dev='vda'/></disk>")
        XCTAssertEqual(def.storageDisks[0].backingChain.count, 64)
    }

    func testFilesystemSharesAndTheirDefaults() throws {
        let def = try domain("""
            <filesystem type='mount'><source dir='/srv/a'/><target dir='a'/></filesystem>
            <filesystem type='mount' accessmode='mapped'><driver type='path' wrpolicy='immediate'/><source dir='/srv/b'/><target dir='b'/><readonly/></filesystem>
            <filesystem type='mount' accessmode='passthrough'><driver type='virtiofs' queue='1024'/><source dir='/home/u'/><target dir='u'/></filesystem>
            <filesystem type='ram'><source usage='1024' units='KiB'/><target dir='/mnt'/></filesystem>
            <filesystem><source dir='/srv/c'/><target dir='c'/></filesystem>
            """)
        let fs = def.filesystems
        XCTAssertEqual(fs.map(\.type), ["mount", "mount", "mount", "ram", "mount"])
        XCTAssertEqual(fs.map(\.transport), ["9p", "9p", "virtiofs", nil, "9p"])
        XCTAssertEqual(fs.map(\.accessmode), ["passthrough", "mapped", "passthrough", "passthrough", "passthrough"])
        XCTAssertEqual(fs.map(\.source), ["/srv/a", "/srv/b", "/home/u", nil, "/srv/c"])
        XCTAssertEqual(fs.map(\.readonly), [false, true, false, false, false])
        XCTAssertEqual(fs.map(\.target), ["a", "b", "u", "/mnt", "c"])
    }

    func testMemoryBackingDumpCoreAndSharedCells() throws {
        let def = try DomainXML.parse("""
            <domain type='kvm'><name>t</name><memory unit='GiB' dumpCore='on'>1</memory>
              <memoryBacking><hugepages/><nosharepages/><locked/><source type='memfd'/><access mode='shared'/><allocation mode='immediate'/><discard/></memoryBacking>
              <cpu><numa><cell id='0' cpus='0' memory='512' unit='MiB' memAccess='shared'/><cell id='1' cpus='1' memory='512' unit='MiB'/></numa></cpu>
            </domain>
            """)
        let mb = try XCTUnwrap(def.memoryBacking)
        XCTAssertTrue(mb.hugepages && mb.nosharepages && mb.locked && mb.discard)
        XCTAssertEqual(mb.sourceType, "memfd")
        XCTAssertEqual(mb.accessMode, "shared")
        XCTAssertEqual(mb.allocation, "immediate")
        XCTAssertEqual(def.memoryDumpCore, "on")
        XCTAssertEqual(def.sharedNUMACells, 1)

        let plain = try DomainXML.parse("<domain type='kvm'><name>t</name><memory>1024</memory></domain>")
        XCTAssertNil(plain.memoryBacking)
        XCTAssertNil(plain.memoryDumpCore)
        XCTAssertEqual(plain.sharedNUMACells, 0)
        XCTAssertEqual(plain.storageDisks, [])
        XCTAssertEqual(plain.filesystems, [])
    }
}
