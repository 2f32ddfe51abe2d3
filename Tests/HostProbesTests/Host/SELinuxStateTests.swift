import Core
@testable import HostProbes
import XCTest

final class SELinuxStateTests: XCTestCase {
    func testEnforceFileValues() throws {
        XCTAssertEqual(try SELinuxState.parseEnforce("1"), true)
        XCTAssertEqual(try SELinuxState.parseEnforce("0"), false)
        XCTAssertEqual(try SELinuxState.parseEnforce("1\n"), true)
        for garbage in ["", "2", "enforcing", "\u{0}\u{1}", "11"] {
            XCTAssertThrowsError(try SELinuxState.parseEnforce(garbage, path: "e"), garbage.debugDescription) { error in
                XCTAssertEqual(error as? ProbeError, .parse(path: "e", reason: "expected 0 or 1"))
            }
        }
    }

    func testConfigParsesFirstModeAndTypeIgnoringComments() {
        let cases: [(String, String?, String?)] = [
            ("SELINUX=enforcing\nSELINUXTYPE=targeted\n", "enforcing", "targeted"),
            ("# SELINUX=disabled\nSELINUX=permissive\n", "permissive", nil),
            ("  SELINUX=Enforcing  \n", "enforcing", nil),
            ("SELINUX = enforcing\nselinuxtype=mls\n", nil, "mls"),
            ("selinux=enforcing\n", nil, nil),
            ("SELINUX=disabled # trailing\nSELINUXTYPE=mls\nSELINUXTYPE=minimum\n", "disabled", "mls"),
            ("SELINUX=\nSELINUXTYPE=targeted", nil, "targeted"),
            ("garbage\u{0}\n=\n", nil, nil),
            ("", nil, nil),
        ]
        for (text, mode, type) in cases {
            let c = SELinuxState.parseConfig(text)
            XCTAssertEqual(c.mode, mode, text.debugDescription)
            XCTAssertEqual(c.policyType, type, text.debugDescription)
        }
    }

    func testEnforcingTargetedFixture() throws {
        let s = try SELinuxState.read(root: HostFixture.root("host-selinux"))
        XCTAssertTrue(s.enabled)
        XCTAssertTrue(s.enforcing)
        XCTAssertEqual(s.mode, "enforcing")
        XCTAssertEqual(s.policyType, "targeted")
        XCTAssertEqual(s.config?.mode, "enforcing")
        XCTAssertEqual(s.source, "selinuxfs")
    }

    func testHostWithoutSELinuxIsDisabledAndConfigModeUnknownWithReason() throws {
        let root = HostFixture.root("host-apparmor")
        let s = try SELinuxState.read(root: root)
        XCTAssertFalse(s.enabled)
        XCTAssertFalse(s.enforcing)
        XCTAssertEqual(s.mode, "disabled")
        var b = FactBuilder()
        s.record(into: &b)
        XCTAssertEqual(b.tree[path: "host.selinux.enforcing"], false)
        XCTAssertEqual(b.tree[path: "host.selinux.configMode"], .null)
        XCTAssertEqual(b.unknown["host.selinux.configMode"], "\(root.path("/etc/selinux/config")): no such file")
    }

    func testPermissiveWhenEnforceIsZero() throws {
        let dir = try HostFixture.tempRoot()
        defer { try? FileManager.default.removeItem(at: dir) }
        try HostFixture.write("0", to: "/sys/fs/selinux/enforce", under: dir)
        try HostFixture.write("SELINUX=permissive\nSELINUXTYPE=mls\n", to: "/etc/selinux/config", under: dir)
        let s = try SELinuxState.read(root: HostRoot(dir.path))
        XCTAssertEqual(s.mode, "permissive")
        XCTAssertEqual(s.policyType, "mls")
    }

    func testGarbageEnforceIsAnError() {
        let root = HostFixture.root("host-garbage")
        XCTAssertThrowsError(try SELinuxState.read(root: root)) { error in
            XCTAssertEqual(error as? ProbeError, .parse(path: root.path("/sys/fs/selinux/enforce"), reason: "expected 0 or 1"))
        }
    }

    func testLiveHostAsksLibselinuxAndFindsItDisabledHere() throws {
        let s = try SELinuxState.read(root: HostRoot("/"))
        XCTAssertEqual(s.source, "libselinux")
        // This machine has no selinuxfs mounted.
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/sys/fs/selinux/enforce"))
        XCTAssertFalse(s.enabled)
        XCTAssertEqual(s.mode, "disabled")
    }
}
