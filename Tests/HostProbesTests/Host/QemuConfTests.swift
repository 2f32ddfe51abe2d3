import Core
@testable import HostProbes
import XCTest

final class QemuConfTests: XCTestCase {
    private func facts(_ conf: QemuConf) -> FactBuilder {
        var b = FactBuilder()
        conf.record(into: &b)
        return b
    }

    func testUnsetSettingsResolveToLibvirtDefaults() throws {
        let conf = try QemuConf.parse("# nothing set\n")
        let expected: [String: JSONValue] = [
            "user": nil, "group": nil, "dynamic_ownership": true, "remember_owner": true, "security_driver": nil,
            "security_default_confined": true, "security_require_confined": false, "seccomp_sandbox": -1,
            "namespaces": ["mount"], "clear_emulator_capabilities": true, "set_process_name": false,
            "vnc_listen": "127.0.0.1", "spice_listen": "127.0.0.1", "vnc_tls": false, "spice_tls": false,
            "relaxed_acs_check": false,
        ]
        for (key, value) in expected {
            XCTAssertEqual(conf.resolved(key), QemuConf.Resolved(value: value, source: .default, error: nil), key)
        }
        XCTAssertEqual(conf.resolved("cgroup_device_acl")?.value.arrayValue?.count, 7)
        XCTAssertEqual(conf.securityDriverNone, false)
        XCTAssertEqual(conf.runsAsRoot, false)
        XCTAssertEqual(conf.mountNamespace, true)
    }

    func testFileValuesOverrideDefaultsWithLibvirtTypes() throws {
        let conf = try QemuConf.parse("""
            dynamic_ownership = 0
            seccomp_sandbox = 0
            security_driver = "apparmor"
            namespaces = []
            vnc_listen = "0.0.0.0"
            """)
        XCTAssertEqual(conf.resolved("dynamic_ownership"), QemuConf.Resolved(value: false, source: .file, error: nil))
        XCTAssertEqual(conf.resolved("seccomp_sandbox")?.value, 0)
        XCTAssertEqual(conf.resolved("security_driver")?.value, ["apparmor"])
        XCTAssertEqual(conf.resolved("namespaces")?.value, [])
        XCTAssertEqual(conf.resolved("vnc_listen")?.value, "0.0.0.0")
        XCTAssertEqual(conf.mountNamespace, false)
        XCTAssertEqual(conf.securityDriverNone, false)
    }

    func testWrongTypesBecomeErrorsLibvirtdWouldRefuse() throws {
        let cases: [(String, String, String)] = [
            ("dynamic_ownership = \"1\"", "dynamic_ownership", "expected an unsigned integer but found string"),
            ("dynamic_ownership = 2", "dynamic_ownership", "must be 0 or 1"),
            ("vnc_tls = -1", "vnc_tls", "expected an unsigned integer but found signed integer"),
            ("user = 0", "user", "expected a string but found unsigned integer"),
            ("namespaces = \"mount\"", "namespaces", "expected a list but found string"),
            ("cgroup_device_acl = [ \"/dev/null\", 3 ]", "cgroup_device_acl", "expected a list of strings but found an element of type unsigned integer"),
            ("seccomp_sandbox = [ 0 ]", "seccomp_sandbox", "expected an integer but found list"),
            ("security_driver = [ \"selinux\", \"none\" ]", "security_driver", "\"none\" cannot be combined with other drivers"),
        ]
        for (text, key, message) in cases {
            let conf = try QemuConf.parse(text)
            let r = try XCTUnwrap(conf.resolved(key), text)
            XCTAssertEqual(r.value, .null, text)
            XCTAssertEqual(r.source, .file, text)
            XCTAssertEqual(r.error, "/etc/libvirt/qemu.conf: \(key): \(message); libvirtd refuses this file", text)
            let b = facts(conf)
            XCTAssertEqual(b.tree[path: "host.qemuConf.\(key).value"], .null, text)
            XCTAssertEqual(b.unknown["host.qemuConf.\(key).value"], r.error, text)
        }
    }

    func testSecurityDriverNoneAsStringOrList() throws {
        let cases: [(String, Bool?)] = [
            ("security_driver = \"none\"", true),
            ("security_driver = [ \"none\" ]", true),
            ("security_driver = \"selinux\"", false),
            ("security_driver = [ \"selinux\", \"apparmor\" ]", false),
            ("", false),
            ("security_driver = 0", nil),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(try QemuConf.parse(text).securityDriverNone, expected, text)
        }
    }

    func testRunsAsRootForEveryWayOfNamingRoot() throws {
        let cases: [(String, Bool?)] = [
            ("user = \"root\"", true),
            ("user = \"+0\"", true),
            ("user = \"0\"", true),
            ("user = \"qemu\"", false),
            ("user = \"+107\"", false),
            ("group = \"root\"", false),
            ("", false),
            ("user = 0", nil),
            ("user = \"qemu\"\nuser = \"root\"", false),
            ("user = \"root\"\nuser = \"qemu\"", true),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(try QemuConf.parse(text).runsAsRoot, expected, text)
        }
    }

    func testMissingFileMeansDefaultsAndPresentFalse() throws {
        let root = try HostFixture.tempRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let conf = try QemuConf.read(root: HostRoot(root.path))
        XCTAssertFalse(conf.present)
        let b = facts(conf)
        XCTAssertEqual(b.tree[path: "host.qemuConf.present"], false)
        XCTAssertEqual(b.tree[path: "host.qemuConf.seccomp_sandbox.value"], -1)
        XCTAssertEqual(b.tree[path: "host.qemuConf.seccomp_sandbox.source"], "default")
        XCTAssertEqual(b.tree[path: "host.qemuConf.settings"], .object([:]))
        XCTAssertEqual(b.unknown, [:])
    }

    func testGarbageFileIsAParseErrorNamingTheLine() {
        let root = HostFixture.root("host-garbage")
        XCTAssertThrowsError(try QemuConf.read(root: root)) { error in
            XCTAssertEqual(error as? ProbeError,
                           .parse(path: root.path("/etc/libvirt/qemu.conf"), reason: "line 3: expecting a name"))
        }
    }

    func testHardenedFixtureRecordsFileSourcesAndRawSettings() throws {
        let b = facts(try QemuConf.read(root: HostFixture.root("host-selinux")))
        XCTAssertEqual(b.tree[path: "host.qemuConf.present"], true)
        XCTAssertEqual(b.tree[path: "host.qemuConf.user.value"], "qemu")
        XCTAssertEqual(b.tree[path: "host.qemuConf.user.source"], "file")
        XCTAssertEqual(b.tree[path: "host.qemuConf.security_require_confined.value"], true)
        XCTAssertEqual(b.tree[path: "host.qemuConf.security_driver.value"], ["selinux"])
        XCTAssertEqual(b.tree[path: "host.qemuConf.settings.security_driver"], "selinux")
        XCTAssertEqual(b.tree[path: "host.qemuConf.settings.seccomp_sandbox"], 1)
        XCTAssertEqual(b.tree[path: "host.qemuConf.clear_emulator_capabilities.source"], "default")
        XCTAssertEqual(b.tree[path: "host.qemuConf.securityDriverNone"], false)
        XCTAssertEqual(b.tree[path: "host.qemuConf.runsAsRoot"], false)
        XCTAssertEqual(b.tree[path: "host.qemuConf.mountNamespace"], true)
        XCTAssertEqual(b.tree[path: "host.qemuConf.duplicateKeys"], [])
        XCTAssertEqual(b.unknown, [:])
    }

    func testWeakFixtureKeepsFirstUserAndFlagsEveryWeakening() throws {
        let conf = try QemuConf.read(root: HostFixture.root("host-weak"))
        let b = facts(conf)
        XCTAssertEqual(b.tree[path: "host.qemuConf.user.value"], "root")
        XCTAssertEqual(b.tree[path: "host.qemuConf.duplicateKeys"], ["user"])
        XCTAssertEqual(b.tree[path: "host.qemuConf.securityDriverNone"], true)
        XCTAssertEqual(b.tree[path: "host.qemuConf.runsAsRoot"], true)
        XCTAssertEqual(b.tree[path: "host.qemuConf.mountNamespace"], false)
        XCTAssertEqual(b.tree[path: "host.qemuConf.seccomp_sandbox.value"], 0)
        XCTAssertEqual(b.tree[path: "host.qemuConf.clear_emulator_capabilities.value"], false)
        XCTAssertEqual(b.tree[path: "host.qemuConf.dynamic_ownership.value"], false)
        XCTAssertEqual(b.tree[path: "host.qemuConf.spice_listen.value"], "0.0.0.0")
        XCTAssertEqual(b.tree[path: "host.qemuConf.relaxed_acs_check.value"], true)
        XCTAssertEqual(b.tree[path: "host.qemuConf.cgroup_device_acl.value"]?.arrayValue?.last, "/dev/mem")
    }
}
