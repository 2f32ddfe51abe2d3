import Core
@testable import HostProbes
import XCTest

/// `/sys/class/block/<dev>`: whole disks, partitions and logical volumes.
final class SysBlockDeviceTests: XCTestCase {
    /// The storage fixture host's root (sysfs entries and /dev links made by make-roots.sh).
    private let storage = HostRoot(HostFixture.fixtures + "/hosts/storage/root")

    func testKindFromTheDeviceName() {
        let cases: [(String, String?, Bool?)] = [
            ("/dev/sdb", "disk", true), ("/dev/sdb1", "partition", false), ("/dev/vdaa", "disk", true),
            ("/dev/nvme0n1", "disk", true), ("/dev/nvme0n1p2", "partition", false), ("/dev/mmcblk0p1", "partition", false),
            ("/dev/loop3", "loop", true), ("/dev/loop3p1", "partition", false), ("/dev/md0", "md", true),
            ("/dev/dm-4", "dm", false), ("/dev/mapper/vg0-root", "dm", false), ("/dev/vg0/guest", "lvm", false),
            ("/dev/disk/by-id/wwn-0x5000", nil, nil), ("/dev/sr0", nil, nil), ("/var/lib/x.img", nil, nil),
        ]
        for (path, kind, whole) in cases {
            let g = SysBlockDevice.guess(devicePath: path)
            XCTAssertEqual(g?.kind, kind, path)
            XCTAssertEqual(g?.wholeDisk, whole, path)
            if g != nil { XCTAssertEqual(g?.evidence, "device name") }
        }
    }

    func testDeviceMapperTargetsFromTheirUUID() {
        XCTAssertEqual(SysBlockDevice.dmKind(uuid: "LVM-abc"), "lvm")
        XCTAssertEqual(SysBlockDevice.dmKind(uuid: "mpath-3600"), "multipath")
        XCTAssertEqual(SysBlockDevice.dmKind(uuid: "CRYPT-LUKS2-x"), "crypt")
        XCTAssertEqual(SysBlockDevice.dmKind(uuid: ""), "dm")
        XCTAssertEqual(SysBlockDevice(kind: "multipath", name: "dm-1", evidence: "sysfs").wholeDisk, true)
    }

    func testSysfsDecidesAfterFollowingLinks() throws {
        let cases: [(String, String, String, Bool)] = [
            ("/dev/disk/by-id/wwn-0x5000c500a1b2c3d4", "sdd", "disk", true),
            ("/dev/vg0/files-clean-data", "dm-2", "lvm", false),
            ("/dev/sdc1", "sdc1", "partition", false),
            ("/dev/sdb", "sdb", "disk", true),
        ]
        for (path, name, kind, whole) in cases {
            let b = try XCTUnwrap(try SysBlockDevice.classify(devicePath: path, root: storage), path)
            XCTAssertEqual(b.name, name, path)
            XCTAssertEqual(b.kind, kind, path)
            XCTAssertEqual(b.wholeDisk, whole, path)
            XCTAssertEqual(b.evidence, "sysfs", path)
        }
        XCTAssertEqual(try SysBlockDevice.classify(devicePath: "/dev/vg0/files-clean-data", root: storage)?.dmName,
                       "vg0-files--clean--data")
        XCTAssertEqual(SysBlockDevice.resolve(devicePath: "/dev/vg0/files-clean-data", root: storage), "/dev/dm-2")
    }

    func testUnknownDeviceIsNilNotAWholeDisk() throws {
        XCTAssertNil(try SysBlockDevice.classify(devicePath: "/dev/disk/by-path/pci-0000:00:17.0-ata-9", root: storage))
    }

    func testLoopDeviceEntryWithBackingFile() throws {
        let dir = try HostFixture.tempRoot()
        defer { try? FileManager.default.removeItem(at: dir) }
        try HostFixture.write("7:0\n", to: "/sys/devices/virtual/block/loop0/dev", under: dir)
        try HostFixture.write("/var/tmp/disk.img\n", to: "/sys/devices/virtual/block/loop0/loop/backing_file", under: dir)
        try FileManager.default.createDirectory(atPath: dir.path + "/sys/class/block", withIntermediateDirectories: true)
        XCTAssertEqual(symlink("../../devices/virtual/block/loop0", dir.path + "/sys/class/block/loop0"), 0)
        let b = try XCTUnwrap(try SysBlockDevice.classify(devicePath: "/dev/loop0", root: HostRoot(dir.path)))
        XCTAssertEqual(b.kind, "loop")
        XCTAssertEqual(b.backingFile, "/var/tmp/disk.img")
        XCTAssertEqual(b.wholeDisk, true)
    }
}
