import Foundation
import Core
@testable import HostProbes
import XCTest

/// KSM, sysctls, /proc/cgroups, KVM parameters, modprobe.d, SASL, SELinux booleans and the
/// policy store, hook scripts and systemd wants: the small readers of the management probe.
final class HostKnobsTests: XCTestCase {
    private func host(_ name: String) -> HostRoot { HostRoot(HostFixture.fixtures + "/hosts/\(name)/root") }

    func testProcCgroupsReportsDisabledAndMissingControllers() throws {
        let c = try ProcCgroups.parse("#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t0\t1\t1\nblkio\t0\t1\t0\nmemory\t0\t3\t1\n")
        XCTAssertEqual(c.controllers["blkio"], false)
        XCTAssertEqual(c.missing, ["cpuacct", "cpuset", "devices", "blkio"])
        XCTAssertThrowsError(try ProcCgroups.parse("cpu 0 1\n"))
    }

    func testModprobeDirectoriesAreMergedAsKmodDoes() throws {
        let dir = try HostFixture.tempRoot()
        defer { try? FileManager.default.removeItem(at: dir) }
        try HostFixture.write("options kvm_intel nested=1\n", to: "/lib/modprobe.d/kvm.conf", under: dir)
        try HostFixture.write("options kvm_intel nested=0\n", to: "/etc/modprobe.d/kvm.conf", under: dir)
        try HostFixture.write("options kvm nx_huge_pages=off\n", to: "/usr/lib/modprobe.d/a.conf", under: dir)
        try HostFixture.write("options kvm_amd nested=1\n", to: "/run/modprobe.d/z.conf", under: dir)
        try HostFixture.write("options kvm_amd nested=0\n", to: "/run/modprobe.d/z.conf.disabled", under: dir)
        let m = try ModprobeOptions.read(root: HostRoot(dir.path))
        // /etc/modprobe.d/kvm.conf hides /lib/modprobe.d/kvm.conf; files are read by name: a, kvm, z.
        XCTAssertEqual(m.options.map { "\($0.module).\($0.name)=\($0.value)@\($0.source)" },
                       ["kvm.nx_huge_pages=off@/usr/lib/modprobe.d/a.conf:1", "kvm_intel.nested=0@/etc/modprobe.d/kvm.conf:1",
                        "kvm_amd.nested=1@/run/modprobe.d/z.conf:1"])
        XCTAssertEqual(try ModprobeOptions.read(root: HostFixture.root("iommu-garbage")).options, [])
    }

    func testModprobeOptionsWithContinuationsDashesAndLastWins() {
        let o = ModprobeOptions.parse("# c\noptions kvm-intel nested=1 \\\n  ept=0\noptions kvm_intel nested=0\nblacklist x\n", file: "/etc/modprobe.d/kvm.conf")
        XCTAssertEqual(o.map { "\($0.module).\($0.name)=\($0.value)@\($0.source)" },
                       ["kvm_intel.nested=1@/etc/modprobe.d/kvm.conf:2", "kvm_intel.ept=0@/etc/modprobe.d/kvm.conf:2",
                        "kvm_intel.nested=0@/etc/modprobe.d/kvm.conf:4"])
        XCTAssertEqual(ModprobeOptions(options: o).value("kvm_intel", "nested")?.value, "0")
    }

    func testKVMFactsPreferTheLoadedModuleThenModprobeD() throws {
        var f = FactBuilder()
        try HostProbe.recordKVM(KVMModuleParameters(parameters: ["kvm": ["nx_huge_pages": "N"]]),
                                ModprobeOptions(options: ModprobeOptions.parse("options kvm_amd nested=1\n", file: "/etc/modprobe.d/a.conf")), into: &f)
        XCTAssertEqual(f.facts[path: "host.kvmModule.nested"], true)
        XCTAssertEqual(f.facts[path: "host.kvmModule.nestedSource"], "/etc/modprobe.d/a.conf:1")
        XCTAssertEqual(f.facts[path: "host.kvmModule.vendor"], .null)
        var g = FactBuilder()
        try HostProbe.recordKVM(try KVMModuleParameters.read(root: host("ksm-nested")), try ModprobeOptions.read(root: host("ksm-nested")), into: &g)
        XCTAssertEqual(g.facts[path: "host.kvmModule.vendor"], "kvm_intel")
        XCTAssertEqual(g.facts[path: "host.kvmModule.nestedSource"], "/sys/module/kvm_intel/parameters/nested")
        XCTAssertEqual(g.facts[path: "host.kvmModule.vmentryL1dFlush"], "never")
        XCTAssertEqual(g.facts[path: "host.kvmModule.modprobeOptions"]?.arrayValue?.count, 3)
    }

    func testKSMAndSysctls() throws {
        XCTAssertEqual(try KSMState.read(root: host("ksm-nested")), KSMState(run: 1, pagesShared: 74898, pagesSharing: 524288))
        XCTAssertNil(try KSMState.read(root: HostRoot("/nonexistent-root")))
        XCTAssertEqual(try HostSysctls.read(HostSysctls.userfaultfdPath, root: host("ksm-nested")), 1)
        XCTAssertNil(try HostSysctls.read(HostSysctls.bpfPath, root: HostRoot("/nonexistent-root")))
        XCTAssertThrowsError(try HostSysctls.parseInt("x", path: "p"))
    }

    func testSELinuxBooleansAndPermissiveTypes() throws {
        let b = try XCTUnwrap(try SELinuxBooleans.read(root: host("selinux-permissive")))
        XCTAssertEqual(b.riskyOn, ["virt_use_execmem", "virt_use_nfs"])
        XCTAssertNil(b.values["httpd_can_network_connect"], "only virt_* booleans are kept")
        XCTAssertEqual(try SELinuxBooleans.parse("0 1", path: "b"), false)
        XCTAssertThrowsError(try SELinuxBooleans.parse("on", path: "b"))
        XCTAssertEqual(try SELinuxPolicyStore.read(root: host("ksm-nested"), policyType: "targeted").permissiveTypes, ["svirt_t"])
        XCTAssertEqual(try SELinuxPolicyStore.read(root: host("hardened"), policyType: "targeted").permissiveTypes, [])
        XCTAssertThrowsError(try SELinuxPolicyStore.read(root: host("hardened"), policyType: "mls"))
    }

    func testSASLMechListAndStrength() {
        XCTAssertEqual(SASLLibvirtConf.parse("mech_list: GSSAPI\n").mechList, ["gssapi"])
        XCTAssertTrue(SASLLibvirtConf.parse("mech_list: gssapi\n").onlyStrongMechanisms)
        XCTAssertFalse(SASLLibvirtConf.parse("mech_list: digest-md5 gssapi\n").onlyStrongMechanisms)
        XCTAssertFalse(SASLLibvirtConf.parse("# nothing\n").onlyStrongMechanisms)
    }

    func testHooksAndWants() throws {
        XCTAssertEqual(try LibvirtHooks.read(root: host("mgmt-modular")).scripts.map(\.path),
                       ["/etc/libvirt/hooks/qemu", "/etc/libvirt/hooks/qemu.d/10-vlan"])
        XCTAssertEqual(try LibvirtHooks.read(root: host("hardened")).scripts, [])
        XCTAssertTrue(try SystemdWants.read(root: host("mgmt-modular")).enabled("virtproxyd-tcp.socket"))
        XCTAssertEqual(try SystemdWants.read(root: HostRoot("/nonexistent-root")).units, [])
    }
}
