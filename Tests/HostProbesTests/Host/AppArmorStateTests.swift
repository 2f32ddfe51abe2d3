import Core
@testable import HostProbes
import XCTest

final class AppArmorStateTests: XCTestCase {
    func testEnabledParameterIsYOrN() throws {
        XCTAssertEqual(try AppArmorState.parseEnabled("Y\n"), true)
        XCTAssertEqual(try AppArmorState.parseEnabled("N\n"), false)
        for garbage in ["", "y", "1", "yes", "\u{0}\u{1}\u{2}"] {
            XCTAssertThrowsError(try AppArmorState.parseEnabled(garbage, path: "p"), garbage.debugDescription) { error in
                XCTAssertEqual(error as? ProbeError, .parse(path: "p", reason: "expected Y or N"))
            }
        }
    }

    func testProfilesLinesSplitNameAndMode() throws {
        let cases: [(String, [AppArmorState.Profile])] = [
            ("", []),
            ("libvirt-5f1c9a3e-8d4b-4c2a-9f6e-1b7d3e0a2c44 (enforce)\n",
             [.init(name: "libvirt-5f1c9a3e-8d4b-4c2a-9f6e-1b7d3e0a2c44", mode: "enforce")]),
            ("/usr/sbin/libvirtd//qemu_bridge_helper (complain)\nfirefox (unconfined)\n",
             [.init(name: "/usr/sbin/libvirtd//qemu_bridge_helper", mode: "complain"),
              .init(name: "firefox", mode: "unconfined")]),
            ("name with (parens) and spaces (kill)\n", [.init(name: "name with (parens) and spaces", mode: "kill")]),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(try AppArmorState.parseProfiles(text), expected, text.debugDescription)
        }
    }

    func testMalformedProfileLineIsAnErrorWithItsLine() {
        let cases: [(String, Int)] = [
            ("ok (enforce)\ngarbage line without mode\n", 2),
            ("(enforce)\n", 1),
            ("name ()\n", 1),
            ("name(enforce)\n", 1),
            ("name (en force)\n", 1),
        ]
        for (text, line) in cases {
            XCTAssertThrowsError(try AppArmorState.parseProfiles(text, path: "p"), text.debugDescription) { error in
                XCTAssertEqual(error as? ProbeError, .parse(path: "p", reason: "line \(line): expected 'name (mode)'"))
            }
        }
    }

    func testUbuntuFixtureListsLibvirtGuestProfilesWithModes() throws {
        let a = try AppArmorState.read(root: HostFixture.root("host-apparmor"))
        XCTAssertTrue(a.enabled)
        XCTAssertEqual(a.profiles?.count, 19)
        XCTAssertEqual(a.libvirtProfiles, [
            .init(name: "libvirt-5f1c9a3e-8d4b-4c2a-9f6e-1b7d3e0a2c44", mode: "enforce"),
            .init(name: "libvirt-a0b7e2d1-3c4f-4e8a-b5d6-7f9a1c2e3b40", mode: "complain"),
        ])
        var b = FactBuilder()
        a.record(into: &b)
        XCTAssertEqual(b.tree[path: "host.apparmor.profilesLoaded"], 19)
        XCTAssertEqual(b.tree[path: "host.apparmor.libvirtProfiles.1.mode"], "complain")
    }

    func testModuleAbsentMeansDisabledWithNoProfiles() throws {
        let a = try AppArmorState.read(root: HostFixture.root("host-selinux"))
        XCTAssertEqual(a, AppArmorState(enabled: false, profiles: []))
    }

    func testDisabledAtBootWithoutSecurityfsIsNotAnError() throws {
        let a = try AppArmorState.read(root: HostFixture.root("host-weak"))
        XCTAssertEqual(a, AppArmorState(enabled: false, profiles: []))
    }

    func testEnabledButProfilesUnreadableLeavesCountUnknown() throws {
        let dir = try HostFixture.tempRoot()
        defer { try? FileManager.default.removeItem(at: dir) }
        try HostFixture.write("Y\n", to: AppArmorState.enabledPath, under: dir)
        let root = HostRoot(dir.path)
        let a = try AppArmorState.read(root: root)
        XCTAssertTrue(a.enabled)
        XCTAssertNil(a.profiles)
        var b = FactBuilder()
        a.record(into: &b)
        XCTAssertEqual(b.tree[path: "host.apparmor.enabled"], true)
        XCTAssertEqual(b.tree[path: "host.apparmor.profilesLoaded"], .null)
        XCTAssertEqual(b.unknown["host.apparmor.profilesLoaded"], "\(root.path(AppArmorState.profilesPath)): no such file")
    }

    func testGarbageEnabledParameterIsAnError() {
        XCTAssertThrowsError(try AppArmorState.read(root: HostFixture.root("host-garbage")))
    }
}
