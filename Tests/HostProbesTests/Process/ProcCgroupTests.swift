import Core
import XCTest
@testable import HostProbes

final class ProcCgroupTests: XCTestCase {
    func testFormatsGiveVersionPathAndMachineScope() throws {
        let cases: [(name: String, text: String, version: Int, path: String, scope: String?)] = [
            ("v2 systemd scope",
             "0::/machine.slice/machine-qemu\\x2d1\\x2dva\\x2dconfined.scope/libvirt/emulator\n",
             2, "/machine.slice/machine-qemu\\x2d1\\x2dva\\x2dconfined.scope/libvirt/emulator",
             "machine-qemu\\x2d1\\x2dva\\x2dconfined.scope"),
            ("hybrid without systemd (the lab)",
             "9:name=systemd:/\n8:pids:/\n7:blkio:/machine/qemu-1-va-confined.libvirt-qemu\n3:cpuset:/machine/qemu-1-va-confined.libvirt-qemu/emulator\n1:cpu:/machine/qemu-1-va-confined.libvirt-qemu/emulator\n0::/machine/qemu-1-va-confined.libvirt-qemu/emulator\n",
             1, "/machine/qemu-1-va-confined.libvirt-qemu/emulator", "qemu-1-va-confined.libvirt-qemu"),
            ("pure v1, cpu controller path",
             "4:memory:/machine.slice/machine-qemu\\x2d2\\x2dweb.scope\n3:cpu,cpuacct:/machine.slice/machine-qemu\\x2d2\\x2dweb.scope/emulator\n1:name=systemd:/machine.slice/machine-qemu\\x2d2\\x2dweb.scope\n",
             1, "/machine.slice/machine-qemu\\x2d2\\x2dweb.scope/emulator", "machine-qemu\\x2d2\\x2dweb.scope"),
            ("v2 outside libvirt", "0::/user.slice/user-0.slice/session-3.scope\n", 2, "/user.slice/user-0.slice/session-3.scope", nil),
            ("v2 root", "0::/\n", 2, "/", nil),
        ]
        for c in cases {
            let g = try ProcCgroup.parse(c.text)
            XCTAssertEqual(g.version, c.version, c.name)
            XCTAssertEqual(g.path, c.path, c.name)
            XCTAssertEqual(g.machineScope, c.scope, c.name)
        }
    }

    func testMachineNamesDecodeSystemdEscapes() {
        let cases: [(String, String)] = [
            ("machine-qemu\\x2d1\\x2dva\\x2dconfined.scope", "qemu-1-va-confined"),
            ("qemu-2-va-rootdac.libvirt-qemu", "qemu-2-va-rootdac"),
            ("machine-qemu\\x2d3\\x2dweb\\x2e01.scope", "qemu-3-web.01"),
            ("machine-lxc\\x2d77\\x2dct.scope", "lxc-77-ct"),
            ("machine-bad\\x2.scope", "bad\\x2"),
        ]
        for (scope, name) in cases {
            XCTAssertEqual(ProcCgroup.machineName(fromScope: scope), name, scope)
        }
        XCTAssertNil(try ProcCgroup.parse("0::/system.slice/x.service\n").machineName)
    }

    func testGarbageIsAParseError() {
        for bad in ["", "garbage\n", "x::/a\n", "0:cpu\n", "0::relative\n"] {
            XCTAssertThrowsError(try ProcCgroup.parse(bad), bad)
        }
    }

    func testDirectoryInPlaceOfTheFileIsAnIOError() {
        XCTAssertThrowsError(try ProcCgroup.read(pid: 3595, root: ProcFixture.root("proc-unreadable"))) { error in
            guard case ProbeError.io(_, let e) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(e, EISDIR)
        }
    }
}
