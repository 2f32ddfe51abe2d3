import Core
@testable import HostProbes
import XCTest

final class LibvirtDaemonConfTests: XCTestCase {
    func testUnsetSettingsAreLibvirtDefaultsWithSourceDefault() throws {
        let c = try LibvirtDaemonConf.parse("# empty\n", path: "/etc/libvirt/libvirtd.conf")
        let want: [String: JSONValue] = [
            "listen_tls": true, "listen_tcp": false, "auth_tcp": "sasl", "auth_tls": "none", "tcp_port": "16509",
            "tls_port": "16514", "tls_no_verify_certificate": false, "auth_unix_rw": "polkit", "unix_sock_rw_perms": "0777",
            "access_drivers": [], "audit_level": 1, "listen_addr": nil,
        ]
        for (k, v) in want {
            XCTAssertEqual(c.resolved(k), LibvirtDaemonConf.Resolved(value: v, source: "default", error: nil), k)
        }
    }

    func testFileValuesCarryFileAndLine() throws {
        let c = try LibvirtDaemonConf.parse("listen_tcp = 1\n\nauth_tcp = \"none\"\ntls_allowed_dn_list = [\"CN=a\", \"CN=b\"]\n",
                                            path: "/tmp/l.conf")
        XCTAssertEqual(c.resolved("listen_tcp"), .init(value: true, source: "/tmp/l.conf:1", error: nil))
        XCTAssertEqual(c.resolved("auth_tcp"), .init(value: "none", source: "/tmp/l.conf:3", error: nil))
        XCTAssertEqual(c.resolved("tls_allowed_dn_list")?.value, ["CN=a", "CN=b"])
    }

    func testWrongTypesAreErrorsNotValues() throws {
        let c = try LibvirtDaemonConf.parse("listen_tcp = 2\nauth_tcp = 0\naccess_drivers = [ 1 ]\n", path: "/x.conf")
        for k in ["listen_tcp", "auth_tcp", "access_drivers"] {
            let r = try XCTUnwrap(c.resolved(k))
            XCTAssertEqual(r.value, .null, k)
            XCTAssertNotNil(r.error, k)
        }
        XCTAssertNil(c.bool("listen_tcp"))
    }

    func testOnlyRemoteDaemonsGetListenSettings() throws {
        let c = try LibvirtDaemonConf.parse("", path: "/etc/libvirt/virtqemud.conf")
        XCTAssertNil(c.settings(for: "virtqemud").settings["listen_tcp"])
        XCTAssertNotNil(c.settings(for: "virtqemud").settings["access_drivers"])
        XCTAssertNotNil(c.settings(for: "virtproxyd").settings["listen_tcp"])
    }

    func testOctalModesAndPorts() {
        XCTAssertEqual(LibvirtDaemonConf.octal("0770"), 0o770)
        XCTAssertEqual(LibvirtDaemonConf.octal("0777"), 0o777)
        XCTAssertNil(LibvirtDaemonConf.octal("0789"))
        XCTAssertNil(LibvirtDaemonConf.octal(""))
        XCTAssertEqual(LibvirtDaemonConf.port("16509"), 16509)
        XCTAssertNil(LibvirtDaemonConf.port("libvirt"))
    }
}
