import Core
@testable import HostProbes
import XCTest

final class HostProbeTests: XCTestCase {
    private func collect(_ scenario: String) -> (facts: JSONValue, builder: FactBuilder) {
        let b = HostProbe.collect(root: HostFixture.root(scenario))
        return (b.facts, b)
    }

    // MARK: fixtures

    func testSELinuxHostIsConfinedAndHardened() {
        let (f, b) = collect("host-selinux")
        XCTAssertEqual(f[path: "host.selinux.enforcing"], true)
        XCTAssertEqual(f[path: "host.selinux.mode"], "enforcing")
        XCTAssertEqual(f[path: "host.selinux.policyType"], "targeted")
        XCTAssertEqual(f[path: "host.apparmor.enabled"], false)
        XCTAssertEqual(f[path: "host.qemuConf.user.value"], "qemu")
        XCTAssertEqual(f[path: "host.qemuConf.seccomp_sandbox.value"], 1)
        XCTAssertEqual(f[path: "host.qemuConf.securityDriverNone"], false)
        XCTAssertEqual(f[path: "host.cpu.vulnerable"], [])
        XCTAssertEqual(f[path: "host.cpu.smt.control"], "off")
        XCTAssertEqual(f[path: "host.kernel.release"], "5.14.0-427.13.1.el9_4.x86_64")
        XCTAssertEqual(f[path: "host.kernel.taint.tainted"], false)
        XCTAssertEqual(f[path: "host.kernel.lockdown.mode"], "integrity")
        XCTAssertEqual(f[path: "host.kernel.cmdline.nosmt"], true)
        XCTAssertEqual(f[path: "host.kernel.cmdline.iommuPassthrough"], true)
        XCTAssertEqual(f[path: "host.kernel.cmdline.weakeningOptions"], [])
        XCTAssertEqual(b.unknown, [:])
    }

    func testAppArmorHostUsesDistributionDefaults() {
        let (f, b) = collect("host-apparmor")
        XCTAssertEqual(f[path: "host.apparmor.enabled"], true)
        XCTAssertEqual(f[path: "host.apparmor.profilesLoaded"], 19)
        XCTAssertEqual(f[path: "host.apparmor.libvirtProfiles.0.mode"], "enforce")
        XCTAssertEqual(f[path: "host.selinux.enabled"], false)
        XCTAssertEqual(f[path: "host.selinux.enforcing"], false)
        XCTAssertNotNil(b.unknown["host.selinux.configMode"])
        XCTAssertEqual(f[path: "host.qemuConf.present"], true)
        XCTAssertEqual(f[path: "host.qemuConf.settings"], .object([:]))
        for s in QemuConf.tracked {
            XCTAssertEqual(f[path: "host.qemuConf.\(s.key).source"], "default", s.key)
            XCTAssertEqual(f[path: "host.qemuConf.\(s.key).value"], s.defaultValue, s.key)
        }
        XCTAssertEqual(f[path: "host.qemuConf.mountNamespace"], true)
        XCTAssertEqual(f[path: "host.cpu.smt.active"], true)
        XCTAssertEqual(f[path: "host.cpu.smtVulnerable"], [])
        XCTAssertEqual(f[path: "host.kernel.lockdown.mode"], "none")
        XCTAssertEqual(f[path: "host.kernel.cmdline.options"]?["amd_iommu"], "on")
    }

    func testWeakHostShowsEveryWeakening() {
        let (f, _) = collect("host-weak")
        XCTAssertEqual(f[path: "host.selinux.enforcing"], false)
        XCTAssertEqual(f[path: "host.apparmor.enabled"], false)
        XCTAssertEqual(f[path: "host.qemuConf.securityDriverNone"], true)
        XCTAssertEqual(f[path: "host.qemuConf.runsAsRoot"], true)
        XCTAssertEqual(f[path: "host.qemuConf.seccomp_sandbox.value"], 0)
        XCTAssertEqual(f[path: "host.qemuConf.mountNamespace"], false)
        XCTAssertEqual(f[path: "host.qemuConf.clear_emulator_capabilities.value"], false)
        XCTAssertEqual(f[path: "host.kvm.exists"], false)
        XCTAssertEqual(f[path: "host.cpu.vulnerable"]?.arrayValue?.count, 12)
        XCTAssertEqual(f[path: "host.cpu.smtVulnerable"], ["mds", "tsx_async_abort"])
        XCTAssertEqual(f[path: "host.kernel.cmdline.mitigationsOff"], true)
        XCTAssertEqual(f[path: "host.kernel.cmdline.apparmorDisabledOnCmdline"], true)
        XCTAssertEqual(f[path: "host.kernel.taint.value"], 4097)
        XCTAssertEqual(f[path: "host.kernel.taint.flags"], ["P", "O"])
    }

    func testGarbageHostFailsEachSourceIndependentlyWithReasons() {
        let root = HostFixture.root("host-garbage")
        let (f, b) = collect("host-garbage")
        let qemuReason = "\(root.path(QemuConf.path)): line 3: expecting a name"
        XCTAssertEqual(b.unknown["host.qemuConf"], qemuReason)
        XCTAssertEqual(f[path: "host.qemuConf.present"], true)
        XCTAssertNil(f[path: "host.qemuConf.user"])
        XCTAssertEqual(FactBuilder.reason(for: "host.qemuConf.user.value", in: f), qemuReason)
        XCTAssertEqual(b.unknown["host.selinux"], "\(root.path(SELinuxState.enforcePath)): expected 0 or 1")
        XCTAssertEqual(b.unknown["host.apparmor"], "\(root.path(AppArmorState.enabledPath)): expected Y or N")
        XCTAssertEqual(b.unknown["host.kernel.taint"], "\(root.path(KernelTaint.path)): expected an unsigned decimal integer")
        XCTAssertNotNil(b.unknown["host.kernel.lockdown"])
        XCTAssertEqual(b.unknown["host.kernel.release"], ProbeError.io(path: root.path(KernelRelease.path), errno: EISDIR).description)
        XCTAssertEqual(b.unknown["host.kernel.cmdline"], "\(root.path(KernelCmdline.path)): no such file")
        XCTAssertNotNil(b.unknown["host.cpu.smt"])
        for path in ["host.selinux", "host.apparmor", "host.kernel.taint", "host.kernel.release", "host.kernel.cmdline"] {
            XCTAssertEqual(f[path: path], .null, path)
        }
        // What could be read still is.
        XCTAssertEqual(f[path: "host.kvm.exists"], false)
        XCTAssertEqual(f[path: "host.cpu.vulnerabilities.meltdown.state"], "mitigated")
        XCTAssertEqual(f[path: "host.cpu.vulnerabilities.mds.state"], "unknown")
        XCTAssertEqual(f[path: "host.cpu.vulnerable"], .null)
        XCTAssertNotNil(b.unknown["host.cpu.vulnerable"])
    }

    func testEmptyRootGivesUnknownsAndDefaultsNotPasses() throws {
        let dir = try HostFixture.tempRoot()
        defer { try? FileManager.default.removeItem(at: dir) }
        let b = HostProbe.collect(root: HostRoot(dir.path))
        let f = b.facts
        XCTAssertEqual(f[path: "host.qemuConf.present"], false)
        XCTAssertEqual(f[path: "host.qemuConf.seccomp_sandbox.source"], "default")
        XCTAssertEqual(f[path: "host.kvm.exists"], false)
        for prefix in ["host.kernel.release", "host.kernel.taint", "host.kernel.lockdown", "host.kernel.cmdline",
                       "host.cpu.vulnerabilities", "host.cpu.vulnerable", "host.cpu.smt"] {
            XCTAssertNotNil(b.unknown[prefix], prefix)
        }
    }

    func testKVMDeviceFactsThroughCollect() throws {
        let dir = try HostFixture.tempRoot()
        defer { try? FileManager.default.removeItem(at: dir) }
        try HostFixture.write("", to: "/dev/kvm", under: dir)
        XCTAssertEqual(chmod(dir.path + "/dev/kvm", 0o666), 0)
        try HostFixture.write("kvm:x:\(getegid()):\n", to: "/etc/group", under: dir)
        let f = HostProbe.collect(root: HostRoot(dir.path)).facts
        XCTAssertEqual(f[path: "host.kvm.exists"], true)
        XCTAssertEqual(f[path: "host.kvm.mode"], "0666")
        XCTAssertEqual(f[path: "host.kvm.group"], "kvm")
        XCTAssertEqual(f[path: "host.kvm.worldAccessible"], true)
        XCTAssertEqual(f[path: "host.kvm.charDevice"], false)
    }

    // MARK: schema

    /// Every leaf path of a fact tree, with list elements of objects written `[]`.
    private func leafPaths(_ v: JSONValue, _ prefix: String, into out: inout Set<String>) {
        switch v {
        case .object(let o) where !o.isEmpty:
            for (k, child) in o { leafPaths(child, prefix.isEmpty ? k : "\(prefix).\(k)", into: &out) }
        case .array(let a) where a.contains(where: { $0.objectValue != nil }):
            out.insert(prefix)
            for e in a { leafPaths(e, prefix + "[]", into: &out) }
        default:
            out.insert(prefix)
        }
    }

    func testSchemaDocumentsEveryProducedPath() {
        let schema = FactSchema([HostProbe.schema])
        for scenario in ["host-selinux", "host-apparmor", "host-weak", "host-garbage"] {
            let b = HostProbe.collect(root: HostFixture.root(scenario))
            var paths = Set<String>()
            leafPaths(b.tree, "", into: &paths)
            XCTAssertFalse(paths.isEmpty)
            for p in paths.sorted() {
                // A source that failed leaves its whole subtree null: a prefix of documented paths.
                let known = schema.knows(p) || (b.tree[path: p] == .null && schema.fields.keys.contains { $0.hasPrefix(p + ".") })
                XCTAssertTrue(known, "\(scenario): \(p) is not in HostProbe.schema")
            }
            for p in b.unknown.keys.sorted() {
                let covered = schema.knows(p) || schema.fields.keys.contains { $0.hasPrefix(p + ".") }
                XCTAssertTrue(covered, "\(scenario): unknown reason at undocumented \(p)")
            }
        }
    }

    func testSchemaPathsAreHostPathsAndUnique() {
        let paths = HostProbe.schema.map(\.path)
        XCTAssertEqual(Set(paths).count, paths.count)
        for f in HostProbe.schema {
            XCTAssertTrue(f.path.hasPrefix("host."), f.path)
            XCTAssertFalse(f.doc.isEmpty, f.path)
            XCTAssertFalse(f.source.isEmpty, f.path)
            XCTAssertFalse(f.path.hasPrefix("host.iommu") || f.path.hasPrefix("host.libvirt."), f.path)
        }
    }

    // MARK: live

    func testLiveRunOnThisMachine() throws {
        let fm = FileManager.default
        let b = HostProbe.collect(root: HostRoot("/"))
        let f = b.facts
        // libvirt is installed here, with the distribution's commented qemu.conf.
        XCTAssertEqual(f[path: "host.qemuConf.present"], true)
        let conf = try String(contentsOfFile: "/etc/libvirt/qemu.conf", encoding: .utf8)
        let active = conf.split(separator: "\n").filter { String($0).trimmingWhitespace().first?.isLetter == true }
        XCTAssertEqual(f[path: "host.qemuConf.settings"]?.objectValue?.count, active.count)
        // No SELinux and no AppArmor on this machine.
        XCTAssertEqual(f[path: "host.selinux.enabled"], false)
        XCTAssertEqual(f[path: "host.selinux.source"], "libselinux")
        XCTAssertEqual(f[path: "host.apparmor.enabled"], .bool(fm.fileExists(atPath: "/sys/module/apparmor")))
        XCTAssertEqual(f[path: "host.kvm.exists"], .bool(fm.fileExists(atPath: "/dev/kvm")))
        let dir = "/sys/devices/system/cpu/vulnerabilities"
        let names = try fm.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(f[path: "host.cpu.vulnerabilities"]?.objectValue?.keys.sorted(), names)
        for n in names {
            let text = try String(contentsOfFile: "\(dir)/\(n)", encoding: .utf8).trimmingWhitespace()
            XCTAssertEqual(f[path: "host.cpu.vulnerabilities.\(n).text"], .string(text), n)
        }
        let taint = try String(contentsOfFile: "/proc/sys/kernel/tainted", encoding: .utf8).trimmingWhitespace()
        XCTAssertEqual(f[path: "host.kernel.taint.value"], .int(Int(taint)!))
        XCTAssertEqual(f[path: "host.kernel.release"]?.stringValue?.isEmpty, false)
        if !fm.fileExists(atPath: "/sys/kernel/security/lockdown") {
            XCTAssertEqual(f[path: "host.kernel.lockdown"], .null)
            XCTAssertNotNil(b.unknown["host.kernel.lockdown"])
        }
    }
}
