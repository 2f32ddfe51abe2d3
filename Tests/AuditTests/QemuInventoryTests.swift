@testable import Audit
import Core
import HostProbes
import XCTest

/// qemus outside the connected libvirt: unmanaged processes and libvirt daemons in other mount
/// namespaces, on the `unmanaged` and `kubevirt` fixture hosts.
final class QemuInventoryTests: XCTestCase {
    func testUnmanagedQemusBecomeVMsJudgedFromTheirProcesses() throws {
        let report = try FixtureHosts.scan("unmanaged")
        XCTAssertEqual(report.domains.map(\.name).sorted(), ["billing", "scratch", "web"])

        let web = try report.domain("web")
        XCTAssertEqual(web.facts[path: "management.kind"], .string("unmanaged"))
        XCTAssertEqual(web.facts[path: "management.pid"], .int(8201))
        XCTAssertEqual(web.uuid, "9c1e3a5b-2d4f-4e6a-8c0b-1d3f5a7b9c11", "the SMBIOS uuid Proxmox passes")
        XCTAssertEqual(web.facts[path: "process.uid"], .int(0))
        XCTAssertEqual(web.facts[path: "management.cgroup"], .string("/qemu.slice/100.scope"))
        XCTAssertEqual(try web.finding("dac.non-root-user").status, .fail)
        XCTAssertEqual(web.grade, "F")
        // No domain definition: its definition-only layers are undecided, not failed.
        XCTAssertEqual(try web.finding("mac.labelling-enabled").status, .notApplicable)
        XCTAssertNil(web.layers["device-surface"]?.score)
        XCTAssertEqual(web.findings.filter { $0.status == .unknown }.map(\.rule), [])

        let scratch = try report.domain("scratch")
        XCTAssertEqual(scratch.uuid, "pid-8202", "no uuid on its command line: named by pid")
        XCTAssertEqual(scratch.facts[path: "process.uid"], .int(1000))
        XCTAssertEqual(try scratch.finding("dac.non-root-user").status, .pass)
        XCTAssertEqual(scratch.facts[path: "management.hostMountNamespace"], .bool(true))

        let billing = try report.domain("billing")
        XCTAssertEqual(billing.facts[path: "management.kind"], .string("libvirt"))
        XCTAssertEqual(billing.grade, "A")
    }

    func testHostFindingsNameTheUnmanagedQemus() throws {
        let report = try FixtureHosts.scan("unmanaged")
        let unmanaged = try XCTUnwrap(report.host.facts[path: "qemu.unmanaged"]?.arrayValue)
        XCTAssertEqual(unmanaged.compactMap { $0["pid"]?.intValue }, [8201, 8202])
        XCTAssertEqual(unmanaged.first?["uid"], .int(0))
        XCTAssertEqual(report.host.facts[path: "qemu.processCount"], .int(3))
        XCTAssertEqual(report.host.facts[path: "qemu.managedCount"], .int(1))
        let root = try XCTUnwrap(report.host.findings.first { $0.rule == "host.qemu-unmanaged-not-root" })
        XCTAssertEqual(root.status, .fail)
        XCTAssertEqual(root.severity, .critical)
        XCTAssertTrue("\(root.observed)".contains("8201"), "the finding shows the offending pid: \(root.observed)")
        XCTAssertEqual(report.host.findings.first { $0.rule == "host.qemu-all-managed" }?.status, .fail)
        XCTAssertLessThanOrEqual(report.host.score, 69, "a critical host finding caps the host grade")
    }

    func testEveryQemuOfTheHardenedHostIsAccountedFor() throws {
        let report = try FixtureHosts.scan("hardened")
        XCTAssertEqual(report.host.facts[path: "qemu.processCount"], .int(4))
        XCTAssertEqual(report.host.facts[path: "qemu.unmanaged"], .array([]))
        for rule in ["host.qemu-all-managed", "host.qemu-unmanaged-not-root", "host.libvirt-namespaced-daemons-audited"] {
            XCTAssertEqual(report.host.findings.first { $0.rule == rule }?.status, .pass, rule)
        }
        XCTAssertTrue(report.domains.allSatisfy { $0.facts[path: "management.kind"] == .string("libvirt") })
    }

    func testKubeVirtLauncherVMIsAttributedToItsPodDaemonAndJudgedWithItsQemuConf() throws {
        let report = try FixtureHosts.scan("kubevirt")
        let vm = try report.domain("default_testvm")
        XCTAssertEqual(vm.uuid, "7a1d3e5f-0b2c-4d6e-8f1a-3c5e7a9b1d22")
        XCTAssertEqual(vm.facts[path: "management.kind"], .string("libvirt-namespaced"))
        XCTAssertEqual(vm.facts[path: "management.daemon.pid"], .int(8310))
        XCTAssertEqual(vm.facts[path: "management.kubevirt"], .bool(true))
        XCTAssertEqual(vm.facts[path: "management.container.podUid"], .string("5f0b7a2c-93d1-4e8a-b6c4-2a9e1f7d3c50"))
        XCTAssertEqual(vm.facts[path: "management.container.runtime"], .string("containerd"))
        XCTAssertEqual(vm.facts[path: "management.hostMountNamespace"], .bool(false))
        XCTAssertEqual(vm.profile, "kubevirt")

        // The launcher's qemu.conf, not the host's hardened one, is judged for this VM.
        XCTAssertEqual(try vm.finding("host.qemu-conf.require-confined").status, .fail)
        XCTAssertNil(vm.findings.first { $0.rule == "host.qemu-conf.mount-namespace" }, "excluded by the kubevirt profile")
        XCTAssertNil(vm.findings.first { $0.rule == "namespaces.machine-cgroup" }, "excluded by the kubevirt profile")
        XCTAssertEqual(report.host.findings.first { $0.rule == "host.qemu-conf.require-confined" }?.status, .pass,
                       "the host's own qemu.conf still passes")

        // Not unmanaged: its daemon was found; but that daemon could not be listed.
        XCTAssertEqual(report.host.facts[path: "qemu.unmanaged"], .array([]))
        let daemons = try XCTUnwrap(report.host.facts[path: "libvirt.namespacedDaemons"]?.arrayValue)
        XCTAssertEqual(daemons.count, 1)
        XCTAssertEqual(daemons[0]["pid"], .int(8310))
        XCTAssertEqual(daemons[0]["reachable"], .bool(false))
        XCTAssertEqual(daemons[0]["kubevirt"], .bool(true))
        XCTAssertEqual(report.host.findings.first { $0.rule == "host.libvirt-namespaced-daemons-audited" }?.status, .fail)
    }

    func testTableListsTheVMsOutsideTheConnectedLibvirtWithTheirContext() throws {
        let kubevirt = TableRenderer.render(try FixtureHosts.scan("kubevirt"))
        XCTAssertTrue(kubevirt.contains("VMs outside the connected libvirt"), kubevirt)
        XCTAssertTrue(kubevirt.contains("default_testvm   virtqemud pid 8310 in another mount namespace, not reachable, pod 5f0b7a2c-93d1-4e8a-b6c4-2a9e1f7d3c50, KubeVirt"), kubevirt)
        let unmanaged = TableRenderer.render(try FixtureHosts.scan("unmanaged"))
        XCTAssertTrue(unmanaged.contains("web              unmanaged qemu pid 8201, uid 0"), unmanaged)
        XCTAssertFalse(TableRenderer.render(try FixtureHosts.scan("hardened")).contains("outside the connected libvirt"))
    }

    func testDaemonContextReplacesOnlyTheQemuConfSubtree() throws {
        let root = HostRoot(FixtureHosts.root("kubevirt"))
        var host = HostProbe.collect(root: root)
        host.setUnknown("host.qemuConf.stale", reason: "from the host's file")
        let context = QemuInventory.daemonContext(pid: 8310, root: root, host: host)
        XCTAssertEqual(context[path: "host.qemuConf.settings.vnc_listen"], .string("0.0.0.0"))
        XCTAssertEqual(context[path: "host.qemuConf.path"], .string("/proc/8310/root/etc/libvirt/qemu.conf"))
        XCTAssertNil(FactBuilder.reason(for: "host.qemuConf.stale", in: context))
        XCTAssertEqual(context[path: "host.selinux.enforcing"], host.tree[path: "host.selinux.enforcing"])
    }
}
