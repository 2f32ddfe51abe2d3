import Core
@testable import HostProbes
import XCTest

final class LibvirtDaemonsTests: XCTestCase {
    private func facts(_ host: String) throws -> JSONValue {
        var f = FactBuilder()
        try LibvirtDaemons.read(root: HostRoot(HostFixture.fixtures + "/hosts/\(host)/root")).record(into: &f)
        return f.facts
    }

    func testOpenHostShowsTheNonLoopbackListenerOwnedByLibvirtdOnly() throws {
        let f = try facts("mgmt-open")
        let listeners = try XCTUnwrap(f[path: "host.libvirtd.listeners"]?.arrayValue)
        XCTAssertEqual(listeners.count, 1, "sshd's sockets are not libvirt's: \(listeners)")
        XCTAssertEqual(listeners[0]["address"], "0.0.0.0")
        XCTAssertEqual(listeners[0]["port"], 16509)
        XCTAssertEqual(listeners[0]["pid"], 1200)
        XCTAssertEqual(listeners[0]["loopback"], false)
        XCTAssertEqual(listeners[0]["hostNetwork"], true)
        XCTAssertEqual(f[path: "host.libvirtd.unauthenticatedRemote"], true)
        XCTAssertEqual(f[path: "host.libvirtd.mode"], "monolithic")
        let line = try XCTUnwrap(f[path: "host.libvirtd.tcpWithoutAuth"]?.arrayValue?.first?.stringValue)
        XCTAssertTrue(line.contains("pid 1200") && line.contains("0.0.0.0:16509") && line.contains("/etc/libvirt/libvirtd.conf:6"), line)
    }

    func testTLSHostWithoutVerificationIsOpenButNotOverTCP() throws {
        let f = try facts("mgmt-tls")
        XCTAssertEqual(f[path: "host.libvirtd.listeners"]?.arrayValue?.first?["protocol"], "tls")
        XCTAssertEqual(f[path: "host.libvirtd.tcpWithoutAuth"], [])
        XCTAssertEqual(f[path: "host.libvirtd.tlsWithoutVerification"]?.arrayValue?.count, 1)
        XCTAssertEqual(f[path: "host.libvirtd.unauthenticatedRemote"], true)
    }

    func testSocketUnitsMakeAModularProxyRemoteWithoutAProcess() throws {
        let f = try facts("mgmt-modular")
        XCTAssertEqual(f[path: "host.libvirtd.mode"], "modular")
        let proxy = try XCTUnwrap(f[path: "host.libvirtd.daemons"]?.arrayValue?.first { $0["name"] == "virtproxyd" })
        XCTAssertEqual(proxy["running"], false)
        XCTAssertEqual(proxy["tcpSocketUnit"], true)
        XCTAssertEqual(proxy["tcpEnabled"], true)
        XCTAssertEqual(proxy["tcpNoAuth"], false)
        XCTAssertEqual(proxy[path: "settings.access_drivers.value"], ["polkit"])
        XCTAssertEqual(f[path: "host.libvirtd.sasl.onlyStrongMechanisms"], true)
        XCTAssertEqual(f[path: "host.libvirtd.unauthenticatedRemote"], false)
    }

    func testConfigurationAloneShowsTCPWhenTheDaemonIsNotRunning() throws {
        let f = try facts("ksm-nested")
        let d = try XCTUnwrap(f[path: "host.libvirtd.daemons"]?.arrayValue?.first { $0["name"] == "libvirtd" })
        XCTAssertEqual(d["listenArgument"], true, "LIBVIRTD_ARGS in /etc/default/libvirtd")
        XCTAssertEqual(d["tcpEnabled"], true)
        XCTAssertEqual(d["tcpNoAuth"], false)
        XCTAssertEqual(f[path: "host.libvirtd.sasl.mechList"], ["digest-md5", "gssapi"])
    }

    func testHardenedHostHasARunningDaemonWithoutListeners() throws {
        let f = try facts("hardened")
        XCTAssertEqual(f[path: "host.libvirtd.listeners"], [])
        XCTAssertEqual(f[path: "host.libvirtd.remoteEnabled"], false)
        XCTAssertEqual(f[path: "host.libvirtd.unauthenticatedRemote"], false)
    }

    func testAnotherNetworkNamespaceIsNotTheHosts() throws {
        let root = try HostFixture.tempRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        try HostFixture.write("systemd\n", to: "/proc/1/comm", under: root)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("proc/1/ns"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root.path + "/proc/1/ns/net", withDestinationPath: "net:[4026531833]")
        try HostFixture.write("libvirtd\n", to: "/proc/77/comm", under: root)
        try HostFixture.write("/usr/sbin/libvirtd\0--listen\0", to: "/proc/77/cmdline", under: root)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("proc/77/fd"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("proc/77/ns"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root.path + "/proc/77/fd/3", withDestinationPath: "socket:[900]")
        try FileManager.default.createSymbolicLink(atPath: root.path + "/proc/77/ns/net", withDestinationPath: "net:[4026532999]")
        try HostFixture.write("listen_tcp = 1\nauth_tcp = \"none\"\n", to: "/etc/libvirt/libvirtd.conf", under: root)
        // The daemon's own namespace table has the listener; the host's has none.
        try HostFixture.write("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:407D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 900 1\n",
                              to: "/proc/77/net/tcp", under: root)
        try HostFixture.write("  sl  local_address\n", to: "/proc/net/tcp", under: root)
        var f = FactBuilder()
        try LibvirtDaemons.read(root: HostRoot(root.path)).record(into: &f)
        let l = try XCTUnwrap(f.facts[path: "host.libvirtd.listeners"]?.arrayValue?.first)
        XCTAssertEqual(l["hostNetwork"], false)
        XCTAssertEqual(l["port"], 16509)
        XCTAssertEqual(f.facts[path: "host.libvirtd.unauthenticatedRemote"], true)
    }

    func testAnUnparsableConfigIsUnknownNeverSafe() throws {
        let root = try HostFixture.tempRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        try HostFixture.write("listen_tcp = = 1\n", to: "/etc/libvirt/libvirtd.conf", under: root)
        try HostFixture.write("LIBVIRTD_ARGS=\"--listen\"\n", to: "/etc/default/libvirtd", under: root)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("proc"), withIntermediateDirectories: true)
        var f = FactBuilder()
        try LibvirtDaemons.read(root: HostRoot(root.path)).record(into: &f)
        XCTAssertEqual(f.facts[path: "host.libvirtd.unauthenticatedRemote"], .null)
        XCTAssertNotNil(FactBuilder.reason(for: "host.libvirtd.tcpWithoutAuth", in: f.facts))
    }

    /// A daemon whose descriptors cannot be listed is judged from its command line and file, and
    /// says why; it is never taken as "not listening".
    func testUnreadableDescriptorsFallBackToTheConfigurationWithTheReason() throws {
        let root = try HostFixture.tempRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        try HostFixture.write("libvirtd\n", to: "/proc/55/comm", under: root)
        try HostFixture.write("/usr/sbin/libvirtd\0-l\0", to: "/proc/55/cmdline", under: root)
        try HostFixture.write("not a directory\n", to: "/proc/55/fd", under: root)
        try HostFixture.write("listen_tcp = 1\nlisten_tls = 0\nauth_tcp = \"none\"\n", to: "/etc/libvirt/libvirtd.conf", under: root)
        var f = FactBuilder()
        try LibvirtDaemons.read(root: HostRoot(root.path)).record(into: &f)
        let d = try XCTUnwrap(f.facts[path: "host.libvirtd.daemons"]?.arrayValue?.first)
        XCTAssertEqual(d["tcpNoAuth"], true)
        XCTAssertEqual(d["errors"]?.arrayValue?.count, 1, "\(d)")
        XCTAssertEqual(f.facts[path: "host.libvirtd.tcpWithoutAuth"]?.arrayValue?.first?.stringValue?.contains("listen_tcp = 1 (/etc/libvirt/libvirtd.conf:1)"), true)
    }
}
