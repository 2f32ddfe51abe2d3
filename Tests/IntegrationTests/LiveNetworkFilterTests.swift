import Core
import Foundation
import XCTest
import Audit

/// Two TCG guests on a Linux bridge created for the test, one NIC without a filter and one under
/// libvirt's clean-traffic: the anti-spoofing verdicts come from the live XML libvirt generates,
/// read through the normal audit pipeline against qemu:///system.
final class LiveNetworkFilterTests: XCTestCase {
    private var cleanups: [() -> Void] = []

    override func tearDown() {
        for c in cleanups.reversed() { c() }
        cleanups = []
        super.tearDown()
    }

    private func guestXML(_ name: String, bridge: String, filter: String?) -> String {
        LiveLab.guestXML(name, devices: """
            <interface type='bridge'>
              <source bridge='\(bridge)'/>
              <model type='virtio'/>
              \(filter.map { "<filterref filter='\($0)'/>" } ?? "")
            </interface>
        """)
    }

    /// Defines and starts a guest; it is destroyed and undefined in tearDown.
    private func startGuest(_ name: String, bridge: String, filter: String?) throws {
        let path = NSTemporaryDirectory() + name + ".xml"
        try guestXML(name, bridge: bridge, filter: filter).write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        cleanups.append {
            _ = try? ServiceLive.run("/usr/bin/virsh", ["-q", "-c", LiveLab.uri, "destroy", name])
            _ = try? ServiceLive.run("/usr/bin/virsh", ["-q", "-c", LiveLab.uri, "undefine", name])
        }
        try ServiceLive.virsh("define", path)
        try ServiceLive.virsh("start", name)
    }

    func testBridgedNICWithoutFilterFailsAndCleanTrafficPasses() throws {
        try LiveLab.requireLab()
        // libvirt ships clean-traffic in /etc/libvirt/nwfilter (Debian: libvirt-daemon-config-nwfilter,
        // a dependency of libvirt-daemon-system); without it the filtered guest cannot start.
        let filters = try ServiceLive.virsh("nwfilter-list")
        guard filters.contains(" clean-traffic") else {
            return XCTFail("the lab daemon has no 'clean-traffic' nwfilter (virsh nwfilter-list: \(filters)); install " +
                           "libvirt-daemon-config-nwfilter, which puts it in /etc/libvirt/nwfilter/clean-traffic.xml, and restart libvirtd")
        }

        let tag = String(UUID().uuidString.prefix(6).lowercased())
        let bridge = "i14d-br" + tag  // 13 characters: within IFNAMSIZ
        let add = try ServiceLive.run("/usr/sbin/ip", ["link", "add", bridge, "type", "bridge"])
        XCTAssertEqual(add.status, 0, "ip link add \(bridge): \(add.err)")
        guard add.status == 0 else { return }
        cleanups.append { _ = try? ServiceLive.run("/usr/sbin/ip", ["link", "del", bridge]) }
        XCTAssertEqual(try ServiceLive.run("/usr/sbin/ip", ["link", "set", bridge, "up"]).status, 0)

        let open = "i14d-nofilter-" + tag, filtered = "i14d-filtered-" + tag
        try startGuest(open, bridge: bridge, filter: nil)
        try startGuest(filtered, bridge: bridge, filter: "clean-traffic")

        let report = try LiveLab.scan()
        let o = try XCTUnwrap(report.domains.first { $0.name == open }, "\(open) not in the scan")
        let f = try XCTUnwrap(report.domains.first { $0.name == filtered }, "\(filtered) not in the scan")
        XCTAssertEqual(o.state, "running")
        XCTAssertEqual(f.state, "running")

        // The facts come from the live XML: libvirt filled in the MAC and the host tap device.
        let tap = try XCTUnwrap(f.facts[path: "network.interfaces.0.targetDev"]?.stringValue, "no target dev in the live XML")
        XCTAssertTrue(tap.hasPrefix("vnet"), tap)
        XCTAssertEqual(o.facts[path: "network.interfaces.0.source"]?.stringValue, bridge)
        XCTAssertEqual(o.facts[path: "network.interfaces.0.filter"], .null)
        XCTAssertEqual(f.facts[path: "network.interfaces.0.filter"], "clean-traffic")
        let mac = try XCTUnwrap(o.facts[path: "network.interfaces.0.mac"]?.stringValue)

        let unfiltered = try XCTUnwrap(o.findings.first { $0.rule == "network.anti-spoofing-filter" })
        XCTAssertEqual(unfiltered.status, .fail)
        let observed = JSONWriter.string(unfiltered.observed)
        XCTAssertTrue(observed.contains("bridge \(bridge) (\(mac))"), observed)
        XCTAssertEqual(try XCTUnwrap(f.findings.first { $0.rule == "network.anti-spoofing-filter" }).status, .pass)

        // And libvirt really applied the filter on the filtered guest's tap device.
        let bindings = try ServiceLive.virsh("nwfilter-binding-list")
        XCTAssertTrue(bindings.contains(tap) && bindings.contains("clean-traffic"), bindings)
    }
}
