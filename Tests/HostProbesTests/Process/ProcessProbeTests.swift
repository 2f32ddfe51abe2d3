import Core
import Foundation
import XCTest
@testable import HostProbes

final class ProcessProbeTests: XCTestCase {
    func collect(_ scenario: String, pid: Int) -> JSONValue {
        let root = ProcFixture.root(scenario)
        return ProcessProbe.collect(pid: pid, root: root, hostNamespaces: NamespaceReference.resolve(root: root)).facts
    }

    func reason(_ path: String, _ facts: JSONValue) -> String { FactBuilder.reason(for: path, in: facts) ?? "" }

    func testLibvirtDefaultQemuIsUnprivilegedWithPrivateMountOnly() {
        let f = collect("proc-libvirt-default", pid: 3595)
        XCTAssertEqual(f[path: "process.pid"], 3595)
        XCTAssertEqual(f[path: "process.uid"], 64055)
        XCTAssertEqual(f[path: "process.gid"], 64055)
        XCTAssertEqual(f[path: "process.uids.saved"], 64055)
        XCTAssertEqual(f[path: "process.groups"], [107, 64055])
        XCTAssertEqual(f[path: "process.capabilities.effective"], [])
        XCTAssertEqual(f[path: "process.capabilities.effectiveCount"], 0)
        XCTAssertEqual(f[path: "process.capabilities.boundingCount"], 40)
        XCTAssertEqual(f[path: "process.noNewPrivs"], true)
        XCTAssertEqual(f[path: "process.seccomp"], ["mode": 2, "modeName": "filter", "filters": 1])
        XCTAssertEqual(f[path: "process.namespaces.mnt.sharedWithHost"], false)
        XCTAssertEqual(f[path: "process.namespaces.mnt.hostInode"], 4026531832)
        XCTAssertEqual(f[path: "process.namespaces.net.sharedWithHost"], true)
        XCTAssertEqual(f[path: "process.namespaces.private"], ["mnt"])
        XCTAssertEqual(f[path: "process.namespaces.privateCount"], 1)
        XCTAssertEqual(f[path: "process.namespaces.reference"], ["source": "libvirtd", "pid": 3534])
        XCTAssertEqual(f[path: "process.root"], ["path": "/", "chrooted": false])
        XCTAssertEqual(f[path: "process.cgroup.version"], 1)
        XCTAssertEqual(f[path: "process.cgroup.machineScope"], true)
        XCTAssertEqual(f[path: "process.cmdline.0"], "/usr/bin/qemu-system-x86_64")
        XCTAssertEqual(f[path: "sandbox.enabled"], true)
        XCTAssertEqual(f[path: "sandbox.options.spawn"], "deny")
        XCTAssertEqual(f[path: "sandbox.guestName"], "va-confined")
        XCTAssertEqual(f[path: "sandbox.accel"], "tcg")
        // No LSM labels in this fixture: known absent, not a label.
        XCTAssertEqual(f[path: "process.lsm.selinux"], false)
        XCTAssertEqual(f[path: "process.selinux"], .null)
        XCTAssertTrue(reason("process.selinux.type", f).contains("attr/current"))
        XCTAssertEqual(f[path: "process.lsm.apparmor"], false)
    }

    func testRootQemuWithFullCapabilitiesAndNoSandbox() {
        let f = collect("proc-root-qemu", pid: 3620)
        XCTAssertEqual(f[path: "process.uid"], 0)
        XCTAssertEqual(f[path: "process.capabilities.effectiveCount"], 40)
        XCTAssertTrue(f[path: "process.capabilities.effective"]?.arrayValue?.contains("CAP_SYS_ADMIN") ?? false)
        XCTAssertEqual(f[path: "process.capabilities.effectiveHex"], "000001fffeffffff")
        XCTAssertEqual(f[path: "process.noNewPrivs"], false)
        XCTAssertEqual(f[path: "process.seccomp.mode"], 0)
        XCTAssertEqual(f[path: "process.seccomp.modeName"], "disabled")
        XCTAssertEqual(f[path: "process.namespaces.mnt.sharedWithHost"], true)
        XCTAssertEqual(f[path: "process.namespaces.privateCount"], 0)
        XCTAssertEqual(f[path: "process.namespaces.reference.source"], "pid1")
        XCTAssertEqual(f[path: "sandbox.enabled"], false)
        XCTAssertEqual(f[path: "sandbox.options.obsolete"], "allow")
    }

    func testSELinuxSVirtProcessGivesParsedContext() {
        let f = collect("proc-selinux-svirt", pid: 5012)
        XCTAssertEqual(f[path: "process.lsm.selinux"], true)
        XCTAssertEqual(f[path: "process.selinux.context"], "system_u:system_r:svirt_t:s0:c392,c662")
        XCTAssertEqual(f[path: "process.selinux.type"], "svirt_t")
        XCTAssertEqual(f[path: "process.selinux.level"], "s0:c392,c662")
        XCTAssertEqual(f[path: "process.selinux.categories"], [392, 662])
        XCTAssertEqual(f[path: "process.selinux.categoryCount"], 2)
        XCTAssertEqual(f[path: "process.selinux.fullRange"], false)
        XCTAssertEqual(f[path: "process.selinux.confinedType"], true)
        XCTAssertEqual(f[path: "process.uid"], 107)
        XCTAssertEqual(f[path: "process.cgroup.version"], 2)
        XCTAssertEqual(f[path: "process.cgroup.scope"], "machine-qemu\\x2d1\\x2dva\\x2dconfined.scope")
        XCTAssertEqual(f[path: "process.cgroup.machine"], "qemu-1-va-confined")
        XCTAssertEqual(f[path: "process.namespaces.reference.source"], "self")
        XCTAssertEqual(f[path: "sandbox.kvm"], true)
        XCTAssertEqual(f[path: "process.lsm.apparmor"], false)
    }

    func testAppArmorProcessGivesProfileModeAndChroot() {
        let f = collect("proc-apparmor", pid: 6100)
        XCTAssertEqual(f[path: "process.apparmor"], [
            "profile": "libvirt-1b12e57c-bb1d-43e2-ad97-9f409ec2e398", "mode": "enforce", "confined": true,
            "uuid": "1b12e57c-bb1d-43e2-ad97-9f409ec2e398",
        ])
        XCTAssertEqual(f[path: "process.lsm.apparmor"], true)
        XCTAssertEqual(f[path: "process.lsm.selinux"], false)
        XCTAssertEqual(f[path: "process.root.chrooted"], true)
        XCTAssertEqual(f[path: "sandbox.chroot"], "/var/lib/libvirt/qemu/chroot/va-armored")
        XCTAssertEqual(f[path: "sandbox.runas"], "libvirt-qemu")
        XCTAssertEqual(f[path: "sandbox.options.resourcecontrol"], "allow")
    }

    func testGarbageStatusMakesOnlyStatusFactsUnknown() {
        let f = collect("proc-garbage-status", pid: 3595)
        XCTAssertEqual(f[path: "process.uid"], .null)
        XCTAssertTrue(reason("process.uid", f).contains("Uid"), reason("process.uid", f))
        XCTAssertEqual(f[path: "process.capabilities"], .null)
        XCTAssertEqual(f[path: "process.seccomp"], .null)
        XCTAssertEqual(f[path: "process.pid"], 3595)
        XCTAssertEqual(f[path: "process.namespaces.mnt.inode"], 4026532177)
        XCTAssertEqual(f[path: "sandbox.enabled"], true)
    }

    func testMissingFilesOfALiveProcessAreUnknownNotGone() {
        let f = collect("proc-missing-files", pid: 3595)
        XCTAssertEqual(f[path: "process.uid"], 64055)
        XCTAssertEqual(f[path: "process.seccomp.mode"], 2)
        XCTAssertEqual(f[path: "process.seccomp.filters"], .null)
        XCTAssertTrue(reason("process.seccomp.filters", f).contains("5.9"))
        XCTAssertEqual(f[path: "process.noNewPrivs"], .null)
        XCTAssertTrue(reason("process.noNewPrivs", f).contains("4.10"))
        XCTAssertEqual(f[path: "process.capabilities.ambient"], .null)
        XCTAssertEqual(f[path: "process.capabilities.effective"], [])
        XCTAssertEqual(f[path: "process.cgroup"], .null)
        XCTAssertTrue(reason("process.cgroup.path", f).contains("no such file"))
        XCTAssertEqual(f[path: "process.cmdline"], .null)
        XCTAssertEqual(f[path: "sandbox"], .null)
        XCTAssertTrue(reason("sandbox.enabled", f).contains("cmdline"))
        // The kernel has no time namespace: unknown, but the others still decide privateCount.
        XCTAssertEqual(f[path: "process.namespaces.time"], .null)
        XCTAssertEqual(f[path: "process.namespaces.private"], ["mnt"])
        XCTAssertFalse(reason("process.pid", f).contains("exited"))
    }

    func testGoneProcessMakesWholeSubtreesUnknown() throws {
        let root = ProcFixture.root("proc-gone")
        let pid = try PidFile.read(domain: "va-gone", root: root)
        let f = ProcessProbe.collect(pid: pid, root: root, hostNamespaces: NamespaceReference.resolve(root: root)).facts
        XCTAssertEqual(f[path: "process"], .null)
        XCTAssertEqual(f[path: "sandbox"], .null)
        XCTAssertEqual(reason("process.uid", f), "process 4242 exited during the scan")
        XCTAssertEqual(reason("sandbox.enabled", f), "process 4242 exited during the scan")
        XCTAssertEqual(f["unknown"]?.objectValue?.count, 2)
    }

    func testDomainNameLeadsThroughThePidFile() {
        let root = ProcFixture.root("proc-libvirt-default")
        let host = NamespaceReference.resolve(root: root)
        let f = ProcessProbe.collect(domainName: "va-confined", root: root, hostNamespaces: host).facts
        XCTAssertEqual(f[path: "process.pid"], 3595)
        XCTAssertEqual(f[path: "sandbox.guestName"], "va-confined")

        let missing = ProcessProbe.collect(domainName: "va-absent", root: root, hostNamespaces: host).facts
        XCTAssertEqual(missing[path: "process"], .null)
        XCTAssertTrue(reason("sandbox.enabled", missing).hasSuffix("run/libvirt/qemu/va-absent.pid: no such file"))

        let goneRoot = ProcFixture.root("proc-gone")
        let gone = ProcessProbe.collect(domainName: "va-gone", root: goneRoot, hostNamespaces: NamespaceReference.resolve(root: goneRoot)).facts
        XCTAssertEqual(reason("process.uid", gone), "process 4242 exited during the scan")
    }

    func testUnreadableFilesGiveIOErrorsForThoseFactsOnly() {
        let f = collect("proc-unreadable", pid: 3595)
        XCTAssertEqual(f[path: "process.cgroup"], .null)
        XCTAssertTrue(reason("process.cgroup.version", f).contains("Is a directory"), reason("process.cgroup.version", f))
        XCTAssertEqual(f[path: "process.namespaces.net"], .null)
        XCTAssertTrue(reason("process.namespaces.net.sharedWithHost", f).contains("invalid argument"))
        XCTAssertEqual(f[path: "process.namespaces.privateCount"], .null)
        XCTAssertTrue(reason("process.namespaces.privateCount", f).contains("net"))
        XCTAssertEqual(f[path: "process.namespaces.mnt.sharedWithHost"], false)
        XCTAssertEqual(f[path: "process.uid"], 64055)
    }

    func testProcessVanishingAfterTheFirstReadIsGone() throws {
        let (root, dir) = try ProcFixture.copy("proc-libvirt-default")
        defer { try? FileManager.default.removeItem(at: dir) }
        let host = NamespaceReference.resolve(root: root)
        let procDir = root.proc("3595")
        let counter = ReadCounter()
        let base = ProcReader.live.counting(counter)
        // After the status file is read, the process directory disappears for real.
        let vanishing = ProcReader(
            read: { (p: String) throws(ProbeError) -> [UInt8] in
                let bytes = try base.read(p)
                if p.hasSuffix("/status") { try? FileManager.default.removeItem(atPath: procDir) }
                return bytes
            },
            readLink: base.readLink, exists: base.exists)
        let f = ProcessProbe.collect(pid: 3595, root: root, hostNamespaces: host, reader: vanishing).facts
        XCTAssertEqual(f[path: "process"], .null)
        XCTAssertEqual(reason("process.uid", f), "process 3595 exited during the scan")
        XCTAssertEqual(f[path: "sandbox"], .null)
        XCTAssertGreaterThan(counter.count, 1)
    }

    func testZombieIsReportedAsExited() throws {
        let (root, dir) = try ProcFixture.copy("proc-libvirt-default")
        defer { try? FileManager.default.removeItem(at: dir) }
        let status = root.proc("3595/status")
        let text = try String(contentsOfFile: status, encoding: .utf8).replacingOccurrences(of: "S (sleeping)", with: "Z (zombie)")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: status)
        try text.write(toFile: status, atomically: false, encoding: .utf8)
        let f = ProcessProbe.collect(pid: 3595, root: root, hostNamespaces: NamespaceReference.resolve(root: root)).facts
        XCTAssertEqual(reason("process.uid", f), "process 3595 exited during the scan")
    }

    func testEachFileIsReadOnceWithinTheBudget() {
        let root = ProcFixture.root("proc-selinux-svirt")
        let host = NamespaceReference.resolve(root: root)
        let counter = ReadCounter()
        _ = ProcessProbe.collect(pid: 5012, root: root, hostNamespaces: host, reader: ProcReader.live.counting(counter))
        XCTAssertLessThanOrEqual(counter.count, 15)
        XCTAssertEqual(counter.paths.count, Set(counter.paths).count, "\(counter.paths)")
        XCTAssertTrue(counter.paths.allSatisfy { $0.contains("/proc/5012/") }, "\(counter.paths)")
    }

    func testIntoBuilderWritesBesideExistingDomainFacts() {
        let root = ProcFixture.root("proc-libvirt-default")
        var b = FactBuilder(["domain": ["name": "va-confined"]])
        ProcessProbe.collect(pid: 3595, root: root, hostNamespaces: NamespaceReference.resolve(root: root), into: &b)
        XCTAssertEqual(b.facts[path: "domain.name"], "va-confined")
        XCTAssertEqual(b.facts[path: "process.uid"], 64055)
    }

    // MARK: live lab

    func livePid(_ domain: String) throws -> Int? {
        do { return try PidFile.read(domain: domain, root: HostRoot()) } catch {
            if ProcessInfo.processInfo.environment["VIRTAUDIT_REQUIRE_LIBVIRT"] == "1" {
                XCTFail("\(domain) is not running: \(error)")
                return nil
            }
            throw XCTSkip("\(domain) is not running (\(error))")
        }
    }

    func testLiveLabQemuProcessesDifferInDAC() throws {
        guard let confined = try livePid("va-confined"), let rootdac = try livePid("va-rootdac") else { return }
        let host = NamespaceReference.resolve(root: HostRoot())
        let c = ProcessProbe.collect(pid: confined, root: HostRoot(), hostNamespaces: host).facts
        let r = ProcessProbe.collect(pid: rootdac, root: HostRoot(), hostNamespaces: host).facts
        let expectedUID = try XCTUnwrap(Int(FileReader.readString("/etc/passwd").split(separator: "\n")
            .first { $0.hasPrefix("libvirt-qemu:") }?.split(separator: ":")[2] ?? ""))
        XCTAssertEqual(c[path: "process.uid"]?.intValue, expectedUID)
        XCTAssertNotEqual(expectedUID, 0)
        XCTAssertEqual(c[path: "process.capabilities.effective"], [])
        XCTAssertEqual(r[path: "process.uid"], 0)
        XCTAssertTrue(r[path: "process.capabilities.effective"]?.arrayValue?.contains("CAP_SYS_ADMIN") ?? false)
        for f in [c, r] {
            XCTAssertEqual(f[path: "process.seccomp.mode"], 2)
            XCTAssertEqual(f[path: "sandbox.enabled"], true)
            XCTAssertEqual(f[path: "process.namespaces.mnt.sharedWithHost"], false)
            XCTAssertEqual(f[path: "process.namespaces.net.sharedWithHost"], true)
            XCTAssertNotNil(f[path: "process.namespaces.reference.source"]?.stringValue)
        }
        XCTAssertEqual(c[path: "sandbox.guestName"], "va-confined")
        XCTAssertEqual(r[path: "sandbox.guestName"], "va-rootdac")
    }

    func testLiveProcessKilledMidScanIsGone() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["60"]
        try child.run()
        let pid = Int(child.processIdentifier)
        // After the status file is read, the process is killed and reaped.
        let killing = ProcReader(
            read: { (p: String) throws(ProbeError) -> [UInt8] in
                let bytes = try ProcReader.live.read(p)
                if p.hasSuffix("/\(pid)/status") {
                    child.terminate()
                    child.waitUntilExit()
                }
                return bytes
            },
            readLink: ProcReader.live.readLink, exists: ProcReader.live.exists)
        let f = ProcessProbe.collect(pid: pid, root: HostRoot(), hostNamespaces: NamespaceReference.resolve(root: HostRoot()),
                                     reader: killing).facts
        XCTAssertFalse(child.isRunning)
        XCTAssertEqual(f[path: "process"], .null)
        XCTAssertEqual(reason("process.uid", f), "process \(pid) exited during the scan")
    }
}
