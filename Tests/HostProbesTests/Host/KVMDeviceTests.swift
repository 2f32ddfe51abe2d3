import Core
@testable import HostProbes
import XCTest

final class KVMDeviceTests: XCTestCase {
    private func root(mode: Int, group: String?) throws -> URL {
        let dir = try HostFixture.tempRoot()
        try HostFixture.write("", to: "/dev/kvm", under: dir)
        XCTAssertEqual(chmod(dir.path + "/dev/kvm", mode_t(mode)), 0)
        if let group { try HostFixture.write(group, to: "/etc/group", under: dir) }
        return dir
    }

    func testModeBitsDecideWorldAccess() throws {
        let cases: [(Int, String, Bool, Bool)] = [
            (0o660, "0660", false, false),
            (0o666, "0666", true, true),
            (0o664, "0664", true, false),
            (0o600, "0600", false, false),
            (0o2660, "2660", false, false),
        ]
        for (mode, text, world, worldWrite) in cases {
            let dir = try root(mode: mode, group: "root:x:0:\n")
            defer { try? FileManager.default.removeItem(at: dir) }
            let dev = try KVMDevice.read(root: HostRoot(dir.path))
            XCTAssertTrue(dev.exists)
            XCTAssertEqual(dev.modeString, text)
            XCTAssertEqual(dev.worldAccessible, world, text)
            XCTAssertEqual(dev.worldWritable, worldWrite, text)
            XCTAssertEqual(dev.isCharDevice, false, "a fixture file is not a device node")
        }
    }

    func testGroupNameComesFromTheRootsEtcGroup() throws {
        let gid = Int(getegid())
        let dir = try root(mode: 0o660, group: "other:x:\(gid + 1):\nkvm:x:\(gid):qemu\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        var b = FactBuilder()
        try KVMDevice.read(root: HostRoot(dir.path)).record(into: &b)
        XCTAssertEqual(b.tree[path: "host.kvm.gid"], .int(gid))
        XCTAssertEqual(b.tree[path: "host.kvm.group"], "kvm")
        XCTAssertEqual(b.tree[path: "host.kvm.mode"], "0660")
        XCTAssertEqual(b.unknown, [:])
    }

    func testUnlistedGroupIsUnknownWithReason() throws {
        let gid = Int(getegid())
        let dir = try root(mode: 0o660, group: "other:x:\(gid + 1):\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        var b = FactBuilder()
        try KVMDevice.read(root: HostRoot(dir.path)).record(into: &b)
        XCTAssertEqual(b.tree[path: "host.kvm.group"], .null)
        XCTAssertEqual(b.unknown["host.kvm.group"], "gid \(gid) is not listed in /etc/group")
    }

    func testMovedAsideDeviceDoesNotExist() throws {
        let dev = try KVMDevice.read(root: HostFixture.root("host-weak"))
        XCTAssertEqual(dev, KVMDevice(exists: false))
        var b = FactBuilder()
        dev.record(into: &b)
        XCTAssertEqual(b.tree[path: "host.kvm.exists"], false)
        XCTAssertNil(b.tree[path: "host.kvm.mode"])
    }
}
