import Core
@testable import HostProbes
import XCTest

final class QemuConfTransportTests: XCTestCase {
    func testTransportDefaultsAreLibvirts() throws {
        let c = try QemuConf.parse("")
        let want: [String: JSONValue] = [
            "migrate_tls_force": false, "migration_address": "0.0.0.0", "chardev_tls": false, "nbd_tls": false,
            "stdio_handler": "logd", "dump_guest_core": false, "swtpm_user": "tss", "cgroup_controllers": nil,
            "vnc_sasl": false, "vnc_auto_unix_socket": false, "max_processes": 0, "max_files": 0,
        ]
        for (k, v) in want { XCTAssertEqual(c.resolved(k)?.value, v, k) }
        XCTAssertEqual(c.maxCore, 0)
        XCTAssertEqual(c.vncTlsVerify, false)
        XCTAssertEqual(c.extraDeviceAcl, [])
        XCTAssertEqual(c.guestCoreDumps, false)
        XCTAssertEqual(c.devicesCgroup, true)
    }

    func testVNCVerifyInheritsTheTLSDefault() throws {
        XCTAssertEqual(try QemuConf.parse("default_tls_x509_verify = 1\n").vncTlsVerify, true)
        XCTAssertEqual(try QemuConf.parse("default_tls_x509_verify = 1\nvnc_tls_x509_verify = 0\n").vncTlsVerify, false)
        XCTAssertNil(try QemuConf.parse("vnc_tls_x509_verify = \"yes\"\n").vncTlsVerify)
    }

    func testCoreDumpsDeviceAclAndControllers() throws {
        let c = try QemuConf.parse("""
            dump_guest_core = 1
            max_core = "unlimited"
            cgroup_device_acl = [ "/dev/null", "/dev/kvm", "/dev/sdb" ]
            cgroup_controllers = [ "cpu", "memory" ]
            """)
        XCTAssertEqual(c.maxCore, "unlimited")
        XCTAssertEqual(c.guestCoreDumps, true)
        XCTAssertEqual(c.extraDeviceAcl, ["/dev/sdb"])
        XCTAssertEqual(c.devicesCgroup, false)
        XCTAssertEqual(try QemuConf.parse("dump_guest_core = 1\nmax_core = 0\n").guestCoreDumps, false)
        XCTAssertNil(try QemuConf.parse("max_core = \"lots\"\n").maxCore)
        XCTAssertEqual(try QemuConf.parse("cgroup_controllers = [ \"devices\" ]\n").devicesCgroup, true)
    }

    func testDerivedFactsAreRecordedOrUnknownWithAReason() throws {
        var b = FactBuilder()
        try QemuConf.parse("max_core = [ 1 ]\n").record(into: &b)
        XCTAssertEqual(b.facts[path: "host.qemuConf.maxCore"], .null)
        XCTAssertNotNil(b.unknown["host.qemuConf.maxCore"])
        XCTAssertNotNil(b.unknown["host.qemuConf.guestCoreDumps"])
        XCTAssertEqual(b.facts[path: "host.qemuConf.devicesCgroup"], true)
    }
}
