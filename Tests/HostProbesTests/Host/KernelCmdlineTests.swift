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

    func testQuotedValuesGarbageAndEmptyLines() {
        let cases: [(String, [Arg], [String])] = [
            ("", [], []),
            (" \n\t ", [], []),
            ("a=\"b c\"", [Arg("a", "b c")], []),
            ("a=\"b c\" d=\"\" e", [Arg("a", "b c"), Arg("d", ""), Arg("e")], []),
            // An unbalanced quote runs to the end of the line, as in next_arg.
            ("a=\"b c d=e", [Arg("a", "b c d=e")], []),
            ("\"", [Arg("")], []),
            // A leading '=' is part of the name; the first '=' after it splits.
            ("=x =y=z", [Arg("=x"), Arg("=y", "z")], []),
            // Quotes inside a word are kept; only the outer ones of a value or word go.
            ("a=b\"c d\"e f", [Arg("a", "b\"c d\"e"), Arg("f")], []),
            // 0xA0 is a space for the kernel's isspace; NUL ends the C string.
            ("a\u{00A0}b", [Arg("a\u{FFFD}"), Arg("b")], []),
            ("ro\u{0}mitigations=off", [Arg("ro")], []),
            ("\u{1}\u{7F}=\u{2} ~", [Arg("\u{1}\u{7F}", "\u{2}"), Arg("~")], []),
        ]
        for (text, args, initArgs) in cases {
            let c = KernelCmdline.parse(text)
            XCTAssertEqual(c.args, args, text.debugDescription)
            XCTAssertEqual(c.initArgs, initArgs, text.debugDescription)
        }
        XCTAssertEqual(KernelCmdline.parse("ro\u{0}mitigations=off").weakeningOptions, [])
        XCTAssertEqual(KernelCmdline.parse("intel_iommu=\"on,sm_on\"").string("intel_iommu"), "on,sm_on")
    }

    func testKstrtoboolReadsTheFirstBytesOnly() {
        for t in ["1", "y", "Y", "yes", "t", "true", "T", "on", "ON", "oN"] { XCTAssertEqual(KernelCmdline.kstrtobool(t), true, t) }
        for f in ["0", "n", "N", "no", "f", "false", "off", "OFF", "of"] { XCTAssertEqual(KernelCmdline.kstrtobool(f), false, f) }
        for bad in ["", "o", "2", "enable", " 1", "ox"] { XCTAssertNil(KernelCmdline.kstrtobool(bad), bad) }
    }

    func testIOMMUParametersForTheDeviceAudit() {
        let c = KernelCmdline.parse("BOOT_IMAGE=/vmlinuz ro intel_iommu=on,sm_on iommu=pt intremap=off vfio_iommu_type1.allow_unsafe_interrupts=1\n")
        XCTAssertEqual(c.string("intel_iommu"), "on,sm_on")
        XCTAssertNil(c.string("ro"), "a bare flag has no value")
        XCTAssertTrue(c.iommuPassthrough)
        XCTAssertTrue(c.interruptRemappingDisabled)
        XCTAssertFalse(c.iommuDisabled)
        XCTAssertEqual(c.unsafeInterruptsRequested, true)

        XCTAssertTrue(KernelCmdline.parse("amd_iommu=off").iommuDisabled)
        XCTAssertTrue(KernelCmdline.parse("iommu=soft,off").iommuDisabled)
        XCTAssertTrue(KernelCmdline.parse("intel_iommu=on intel_iommu=off").iommuDisabled)
        XCTAssertFalse(KernelCmdline.parse("intel_iommu=off intel_iommu=on").iommuDisabled)
        XCTAssertFalse(KernelCmdline.parse("intel_iommu=OFF").iommuDisabled, "the kernel compares case-sensitively")
        XCTAssertFalse(KernelCmdline.parse("intremap=nosid").interruptRemappingDisabled)
        XCTAssertEqual(KernelCmdline.parse("pcie_acs_override=downstream,multifunction").string("pcie_acs_override"), "downstream,multifunction")
        XCTAssertNil(KernelCmdline.parse("quiet").string("pcie_acs_override"))
    }

    func testPassthroughLastSettingWins() {
        let cases: [(String, Bool)] = [
            ("iommu.passthrough=1", true), ("iommu.passthrough=on", true), ("iommu.passthrough=0", false),
            ("iommu=pt iommu.passthrough=0", false), ("iommu.passthrough=0 iommu=pt", true),
            ("iommu=pt iommu=nopt", false), ("iommu=nopt", false), ("iommu=soft,pt", true),
            ("iommu.passthrough=1 iommu.passthrough=maybe", true), ("iommu-passthrough=1", false),
        ]
        for (text, want) in cases { XCTAssertEqual(KernelCmdline.parse(text).iommuPassthrough, want, text) }
    }

    func testUnsafeInterruptsFollowParamSetBool() {
        XCTAssertNil(KernelCmdline.parse("quiet").unsafeInterruptsRequested)
        XCTAssertEqual(KernelCmdline.parse("vfio_iommu_type1.allow_unsafe_interrupts").unsafeInterruptsRequested, true)
        XCTAssertEqual(KernelCmdline.parse("vfio-iommu-type1.allow-unsafe-interrupts=Y").unsafeInterruptsRequested, true)
        XCTAssertEqual(KernelCmdline.parse("vfio_iommu_type1.allow_unsafe_interrupts=N").unsafeInterruptsRequested, false)
        XCTAssertNil(KernelCmdline.parse("vfio_iommu_type1.allow_unsafe_interrupts=maybe").unsafeInterruptsRequested)
        XCTAssertEqual(KernelCmdline.parse("vfio_iommu_type1.allow_unsafe_interrupts").weakeningOptions,
                       ["vfio_iommu_type1.allow_unsafe_interrupts"])
    }

    func testIOMMUFixturesAndMissingFile() throws {
        let none = try KernelCmdline.read(root: HostFixture.root("iommu-none"))
        XCTAssertEqual(none.string("intel_iommu"), "off")
        XCTAssertTrue(none.iommuDisabled)
        XCTAssertThrowsError(try KernelCmdline.read(root: HostFixture.root("iommu-garbage"))) { error in
            guard case ProbeError.notFound(let path) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("iommu-garbage/proc/cmdline"), path)
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
