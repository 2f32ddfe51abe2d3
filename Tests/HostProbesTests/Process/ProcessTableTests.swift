import Core
import Foundation
@testable import HostProbes
import XCTest

/// The process table finds qemu and libvirt daemons by executable, and qemu command lines name
/// the guest.
final class ProcessTableTests: XCTestCase {
    func testExecutablesAreClassifiedByFileNameNotByComm() {
        let cases: [(String, ProcessTable.Kind?)] = [
            ("/usr/bin/qemu-system-x86_64", .qemu), ("/usr/bin/qemu-system-aarch64", .qemu),
            ("/usr/libexec/qemu-kvm", .qemu), ("/usr/sbin/libvirtd", .libvirtDaemon),
            ("/usr/sbin/virtqemud", .libvirtDaemon), ("/usr/bin/qemu-img", nil), ("/usr/sbin/virtlogd", nil),
            ("/usr/bin/virt-launcher", nil), ("/bin/bash", nil),
        ]
        for (path, kind) in cases { XCTAssertEqual(ProcessTable.kind(ofExecutable: path), kind, path) }
    }

    func testDeletedExecutableKeepsItsPathAndIsMarked() {
        let e = ProcessTable.parseExe("/usr/bin/qemu-system-x86_64 (deleted)")
        XCTAssertEqual(e.path, "/usr/bin/qemu-system-x86_64")
        XCTAssertTrue(e.deleted)
        XCTAssertFalse(ProcessTable.parseExe("/usr/sbin/libvirtd").deleted)
    }

    func testTableOfAFixtureRootFindsQemusAndDaemonsAndSkipsOtherProcesses() throws {
        let dir = try temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try makeProcess(dir, 100, exe: "/usr/bin/qemu-system-x86_64 (deleted)")
        try makeProcess(dir, 200, exe: "/usr/sbin/virtqemud")
        try makeProcess(dir, 300, exe: "/usr/bin/bash")
        try FileManager.default.createDirectory(atPath: dir + "/proc/400", withIntermediateDirectories: true)  // a zombie: no exe
        try FileManager.default.createDirectory(atPath: dir + "/proc/self", withIntermediateDirectories: true)
        let table = try ProcessTable.read(root: HostRoot(dir))
        XCTAssertEqual(table.entries.map(\.pid), [100, 200])
        XCTAssertEqual(table.qemus.map(\.exeDeleted), [true])
        XCTAssertEqual(table.daemons.map(\.exe), ["/usr/sbin/virtqemud"])
        XCTAssertEqual(table.scanned, 4)
    }

    func testMissingProcIsAnError() {
        XCTAssertThrowsError(try ProcessTable.read(root: HostRoot("/nonexistent-virtaudit-root")))
    }

    func testIdentityFromLibvirtProxmoxAndHandWrittenCommandLines() {
        let libvirt = QemuIdentity.parse(["/usr/bin/qemu-system-x86_64", "-name", "guest=va-confined,debug-threads=on", "-S",
                                          "-uuid", "2F1C8A52-7D3E-4B1E-9A51-6C0C1F3E2A10",
                                          "-chardev", "socket,id=charmonitor,path=/var/lib/libvirt/qemu/domain-1-va-confined/monitor.sock,server=on,wait=off"])
        XCTAssertEqual(libvirt.name, "va-confined")
        XCTAssertEqual(libvirt.uuid, "2f1c8a52-7d3e-4b1e-9a51-6c0c1f3e2a10")
        XCTAssertTrue(libvirt.startedByLibvirt)

        let proxmox = QemuIdentity.parse(["/usr/bin/kvm", "-id", "100", "-name", "web,debug-threads=on",
                                          "-chardev", "socket,id=qmp,path=/var/run/qemu-server/100.qmp,server=on,wait=off"])
        XCTAssertEqual(proxmox.name, "web")
        XCTAssertNil(proxmox.uuid)
        XCTAssertEqual(proxmox.monitorPath, "/var/run/qemu-server/100.qmp")
        XCTAssertFalse(proxmox.startedByLibvirt)

        let escaped = QemuIdentity.parse(["qemu-system-x86_64", "--name", "guest=a,,b", "-qmp", "unix:/tmp/q.sock,server,nowait"])
        XCTAssertEqual(escaped.name, "a,b")
        XCTAssertEqual(escaped.monitorPath, "/tmp/q.sock")

        let bare = QemuIdentity.parse(["qemu-system-x86_64", "-m", "64", "-name"])
        XCTAssertNil(bare.name)
        XCTAssertNil(bare.uuid)
    }

    private func temporaryRoot() throws -> String {
        let dir = NSTemporaryDirectory() + "va-proctable-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/proc", withIntermediateDirectories: true)
        return dir
    }

    private func makeProcess(_ root: String, _ pid: Int, exe: String) throws {
        let d = "\(root)/proc/\(pid)"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: d + "/exe", withDestinationPath: exe)
    }
}
