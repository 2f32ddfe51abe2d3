import Core
import XCTest
@testable import HostProbes

final class QemuSandboxTests: XCTestCase {
    func parse(_ line: String) -> QemuSandbox { QemuSandbox.parse(arguments: line.split(separator: " ").map(String.init)) }

    func testLibvirtSandboxLineDeniesEverything() {
        let s = parse("/usr/bin/qemu-system-x86_64 -name guest=va,debug-threads=on -uuid 1b12e57c-bb1d-43e2-ad97-9f409ec2e398 -accel tcg -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny -msg timestamp=on")
        XCTAssertTrue(s.enabled)
        XCTAssertEqual(s.options, ["obsolete": "deny", "elevateprivileges": "deny", "spawn": "deny", "resourcecontrol": "deny"])
        XCTAssertEqual(s.explicitOptions, QemuSandbox.optionNames)
        XCTAssertEqual(s.binary, "/usr/bin/qemu-system-x86_64")
        XCTAssertEqual(s.guestName, "va")
        XCTAssertEqual(s.uuid, "1b12e57c-bb1d-43e2-ad97-9f409ec2e398")
        XCTAssertEqual(s.accel, "tcg")
        XCTAssertFalse(s.kvm)
    }

    func testAbsentSubOptionsTakeQemuDefaults() {
        let s = parse("qemu -sandbox on,spawn=deny")
        XCTAssertEqual(s.options, ["obsolete": "deny", "elevateprivileges": "allow", "spawn": "deny", "resourcecontrol": "allow"])
        XCTAssertEqual(s.explicitOptions, ["spawn"])
        XCTAssertEqual(parse("qemu -sandbox enable=on,elevateprivileges=children").options["elevateprivileges"], "children")
    }

    func testSandboxOffOrAbsentAllowsEverything() {
        for line in ["qemu -m 64", "qemu -sandbox off", "qemu -sandbox off,spawn=deny"] {
            let s = parse(line)
            XCTAssertFalse(s.enabled, line)
            XCTAssertEqual(Set(s.options.values), ["allow"], line)
        }
    }

    func testRunasChrootOldAndNewSyntax() {
        let old = parse("qemu -runas qemu -chroot /var/empty")
        XCTAssertEqual(old.runas, "qemu")
        XCTAssertEqual(old.chroot, "/var/empty")
        let new = parse("qemu -run-with user=libvirt-qemu,chroot=/srv/jail,async-teardown=on")
        XCTAssertEqual(new.runas, "libvirt-qemu")
        XCTAssertEqual(new.chroot, "/srv/jail")
        XCTAssertNil(parse("qemu -m 64").runas)
    }

    func testAcceleratorSpellings() {
        let cases: [(String, String, [String], Bool)] = [
            ("qemu -enable-kvm", "kvm", ["kvm"], true),
            ("qemu --enable-kvm", "kvm", ["kvm"], true),
            ("qemu -accel kvm -accel tcg", "kvm", ["kvm", "tcg"], true),
            ("qemu -accel accel=tcg,thread=multi", "tcg", ["tcg"], false),
            ("qemu -machine pc-q35-8.2,accel=kvm:tcg", "kvm", ["kvm", "tcg"], true),
            ("qemu -M pc,accel=tcg", "tcg", ["tcg"], false),
            ("qemu -m 64", "tcg", [], false),
        ]
        for (line, accel, accels, kvm) in cases {
            let s = parse(line)
            XCTAssertEqual(s.accel, accel, line)
            XCTAssertEqual(s.accels, accels, line)
            XCTAssertEqual(s.kvm, kvm, line)
        }
    }

    func testQemuOptsEscapesAndImpliedKeys() {
        let o = QemuSandbox.options("guest=a,,b,debug-threads=on", implied: "guest")
        XCTAssertEqual(o.map { $0.0 }, ["guest", "debug-threads"])
        XCTAssertEqual(o.first?.1, "a,b")
        XCTAssertEqual(parse("qemu -name legacy-name").guestName, "legacy-name")
        XCTAssertEqual(QemuSandbox.options("on", implied: "enable").first?.1, "on")
    }

    func testOptionValuesAreNotMistakenForOptions() {
        // The value of -sandbox names no further option; the last -sandbox wins.
        let s = parse("qemu -sandbox off -sandbox on,spawn=deny -nodefaults")
        XCTAssertTrue(s.enabled)
        XCTAssertEqual(s.options["spawn"], "deny")
        XCTAssertNil(parse("qemu -uuid").uuid)
    }

    func testFixtureCommandLine() throws {
        let c = try ProcCmdline.read(pid: 6100, root: ProcFixture.root("proc-apparmor"))
        let s = QemuSandbox.parse(c)
        XCTAssertTrue(s.enabled)
        XCTAssertEqual(s.options["resourcecontrol"], "allow")
        XCTAssertEqual(s.explicitOptions, ["obsolete", "elevateprivileges", "spawn"])
        XCTAssertEqual(s.chroot, "/var/lib/libvirt/qemu/chroot/va-armored")
        XCTAssertTrue(s.kvm)
        XCTAssertEqual(s.guestName, "va-armored")
    }
}
