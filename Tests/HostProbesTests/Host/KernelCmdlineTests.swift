import Core
@testable import HostProbes
import XCTest

final class KernelCmdlineTests: XCTestCase {
    typealias Arg = KernelCmdline.Arg

    func testSplitsLikeTheKernelsNextArg() {
        let cases: [(String, [Arg], [String])] = [
            ("", [], []),
            ("ro quiet\n", [Arg("ro"), Arg("quiet")], []),
            ("root=/dev/sda1  console=ttyS0,115200", [Arg("root", "/dev/sda1"), Arg("console", "ttyS0,115200")], []),
            ("a= b==c", [Arg("a", ""), Arg("b", "=c")], []),
            ("dyndbg=\"file vfio* +p\" x", [Arg("dyndbg", "file vfio* +p"), Arg("x")], []),
            ("\"dyndbg=file drivers/vfio/* +p\" ro", [Arg("dyndbg", "file drivers/vfio/* +p"), Arg("ro")], []),
            ("\"quoted word\"", [Arg("quoted word")], []),
            ("crashkernel=1G-4G:192M,4G-64G:256M", [Arg("crashkernel", "1G-4G:192M,4G-64G:256M")], []),
            ("quiet -- --firecracker-init --addr 0.0.0.0:2024 x=1", [Arg("quiet")], ["--firecracker-init", "--addr", "0.0.0.0:2024", "x=1"]),
            ("a --=1 b", [Arg("a"), Arg("--", "1"), Arg("b")], []),
            ("\ttab\tseparated\n", [Arg("tab"), Arg("separated")], []),
        ]
        for (text, args, initArgs) in cases {
            let c = KernelCmdline.parse(text)
            XCTAssertEqual(c.args, args, text.debugDescription)
            XCTAssertEqual(c.initArgs, initArgs, text.debugDescription)
        }
    }

    func testDerivedFlags() {
        struct Case {
            let text: String
            var mitigationsOff = false, iommuPassthrough = false, iommuOff = false, intelIommuOff = false
            var amdIommuOff = false, nosmt = false, selinux0 = false, apparmor0 = false
        }
        let cases: [Case] = [
            Case(text: "ro quiet"),
            Case(text: "mitigations=off", mitigationsOff: true),
            Case(text: "mitigations=auto,nosmt", nosmt: true),
            Case(text: "mitigations=auto,no_guest_host,no_guest_guest"),
            Case(text: "mitigations=off mitigations=auto"),
            Case(text: "iommu=pt", iommuPassthrough: true),
            Case(text: "iommu.passthrough=1", iommuPassthrough: true),
            Case(text: "iommu.passthrough=on", iommuPassthrough: true),
            Case(text: "iommu.passthrough=0"),
            Case(text: "iommu=off", iommuOff: true),
            Case(text: "intel_iommu=on,sm_on"),
            Case(text: "intel_iommu=off", intelIommuOff: true),
            Case(text: "intel-iommu=off", intelIommuOff: true),
            Case(text: "amd_iommu=off", amdIommuOff: true),
            Case(text: "nosmt", nosmt: true),
            Case(text: "nosmt=force", nosmt: true),
            Case(text: "selinux=0 apparmor=0", selinux0: true, apparmor0: true),
            Case(text: "selinux=1 apparmor=1 security=apparmor"),
        ]
        for c in cases {
            let k = KernelCmdline.parse(c.text)
            XCTAssertEqual(k.mitigationsOff, c.mitigationsOff, c.text)
            XCTAssertEqual(k.iommuPassthrough, c.iommuPassthrough, c.text)
            XCTAssertEqual(k.iommuOff, c.iommuOff, c.text)
            XCTAssertEqual(k.intelIommuOff, c.intelIommuOff, c.text)
            XCTAssertEqual(k.amdIommuOff, c.amdIommuOff, c.text)
            XCTAssertEqual(k.nosmt, c.nosmt, c.text)
            XCTAssertEqual(k.selinuxDisabled, c.selinux0, c.text)
            XCTAssertEqual(k.apparmorDisabled, c.apparmor0, c.text)
        }
    }

    func testWeakeningOptionsAreListedAsGiven() {
        let cases: [(String, [String])] = [
            ("ro quiet intel_iommu=on iommu=pt nosmt", []),
            ("mitigations=off nopti spectre_v2=off", ["mitigations=off", "nopti", "spectre_v2=off"]),
            ("kvm.nx_huge_pages=off kvm-intel.vmentry_l1d_flush=never", ["kvm.nx_huge_pages=off", "kvm-intel.vmentry_l1d_flush=never"]),
            ("vfio_iommu_type1.allow_unsafe_interrupts=1 pcie_acs_override=downstream,multifunction",
             ["vfio_iommu_type1.allow_unsafe_interrupts=1", "pcie_acs_override=downstream,multifunction"]),
            ("selinux=0 enforcing=0 apparmor=0 amd_iommu=off", ["selinux=0", "enforcing=0", "apparmor=0", "amd_iommu=off"]),
            ("spectre_v2=retpoline mds=full,nosmt pti=on", []),
            ("quiet -- mitigations=off", []),
            ("mitigations=off mitigations=auto", []),
            ("mitigations=auto mitigations=off", ["mitigations=off"]),
            ("selinux=0 selinux=1 selinux=0", ["selinux=0"]),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(KernelCmdline.parse(text).weakeningOptions, expected, text)
        }
    }

    func testFactsKeepDottedNamesAsLiteralKeys() {
        var b = FactBuilder()
        KernelCmdline.parse("iommu=pt iommu.passthrough=1 nosmt console=tty0 console=ttyS0\n").record(into: &b)
        XCTAssertEqual(b.tree[path: "host.kernel.cmdline.raw"], "iommu=pt iommu.passthrough=1 nosmt console=tty0 console=ttyS0")
        let options = b.tree[path: "host.kernel.cmdline.options"]?.objectValue
        XCTAssertEqual(options?["iommu.passthrough"], "1")
        XCTAssertEqual(options?["iommu"], "pt")
        XCTAssertEqual(options?["nosmt"], true)
        XCTAssertEqual(options?["console"], "ttyS0")
        XCTAssertEqual(b.tree[path: "host.kernel.cmdline.args"]?.arrayValue?.count, 5)
        XCTAssertEqual(b.tree[path: "host.kernel.cmdline.args.2.value"], .null)
        XCTAssertEqual(b.tree[path: "host.kernel.cmdline.iommuPassthrough"], true)
    }

    func testWeakFixture() throws {
        let k = try KernelCmdline.read(root: HostFixture.root("host-weak"))
        XCTAssertTrue(k.mitigationsOff)
        XCTAssertTrue(k.intelIommuOff)
        XCTAssertTrue(k.apparmorDisabled)
        XCTAssertEqual(k.weakeningOptions, ["mitigations=off", "intel_iommu=off", "apparmor=0", "nopti"])
        XCTAssertEqual(k.args.last, Arg("dyndbg", "file drivers/vfio/* +p"))
    }

    func testLiveCmdlineRawMatchesTheFile() throws {
        let text = try String(contentsOfFile: "/proc/cmdline", encoding: .utf8)
        let k = try KernelCmdline.read(root: HostRoot("/"))
        XCTAssertEqual(k.raw, text.trimmingWhitespace())
        XCTAssertEqual(k.args.count + k.initArgs.count + (text.split(separator: " ").contains("--") ? 1 : 0),
                       text.split(whereSeparator: { $0 == " " || $0 == "\n" }).count,
                       "this machine's command line has no quoted values")
    }
}
