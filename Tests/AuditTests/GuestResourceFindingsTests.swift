import Audit
import Core
import Foundation
import Inventory
import XCTest

/// What a guest is given of the host (network segments, consoles, channels, host devices,
/// firmware, limits), judged on the guest-channels, hardened and weak fixture hosts.
final class GuestResourceFindingsTests: XCTestCase {
    func testOpenGuestFailsEveryChannelRuleAndNamesWhatIsOpen() throws {
        let report = try FixtureHosts.scan("guest-channels")
        let open = try report.domain("chan-open"), closed = try report.domain("chan-closed")
        XCTAssertEqual(open.state, "shutoff", "judged by its configuration")
        let rules = ["network.anti-spoofing-filter", "network.no-guest-rx-filter-trust", "network.no-macvtap-passthrough",
                     "network.no-interface-script", "consoles.graphics-password", "consoles.spice-agent-channels-off",
                     "consoles.usb-redirection-filtered", "consoles.usb-hostdev-by-address", "consoles.no-scsi-hostdev",
                     "firmware.secure-boot-smm", "firmware.no-host-tpm-passthrough"]
        for id in rules {
            XCTAssertEqual(try open.finding(id).status, .fail, id)
            XCTAssertEqual(try closed.finding(id).status, .pass, id)
        }
        let spoof = try open.finding("network.anti-spoofing-filter").observedText
        XCTAssertTrue(spoof.contains("bridge br0 (52:54:00:4a:01:01)"), spoof)
        XCTAssertTrue(spoof.contains("direct eno1"), spoof)
        XCTAssertFalse(spoof.contains("52:54:00:4a:02:01"), "the filtered NIC of chan-closed is not named")
        XCTAssertEqual(closed.facts[path: "network.interfaces.0.filter"], "clean-traffic")
        XCTAssertEqual(try open.finding("network.anti-spoofing-filter").layer, .deviceSurface)
        XCTAssertEqual(try open.finding("firmware.secure-boot-smm").layer, .confidential)
    }

    func testDisplayPasswordComesFromLibvirtsSecureFiles() throws {
        let report = try FixtureHosts.scan("guest-channels")
        XCTAssertEqual(try report.domain("chan-closed").facts[path: "surface.graphics.0.password"], true)
        XCTAssertEqual(try report.domain("chan-open").facts[path: "surface.graphics.0.password"], false)
        let remote = try report.domain("chan-remote")
        XCTAssertEqual(try remote.finding("consoles.no-password-only-remote-display").status, .fail)
        XCTAssertEqual(try remote.finding("consoles.graphics-password").status, .pass)
        // Running guests: the status file under /run/libvirt/qemu.
        XCTAssertEqual(try FixtureHosts.scan("hardened").domain("web-frontend").facts[path: "surface.graphics.0.password"], true)
        XCTAssertEqual(try FixtureHosts.scan("weak").domain("lab-root").finding("consoles.graphics-password").status, .fail)
    }

    /// Without libvirt's config files the password is unknown, and so is the verdict: never a pass.
    func testUnreadablePasswordIsUnknownNeverPass() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("virtaudit-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let settings = ScanSettings(uri: "test://" + FixtureHosts.nodeFile("guest-channels"), root: HostRoot(empty.path),
                                    policiesDirectory: FixtureHosts.policies)
        let report = try Auditor(settings: settings).scan()
        for name in ["chan-open", "chan-closed"] {
            let f = try report.domain(name).finding("consoles.graphics-password")
            XCTAssertEqual(f.status, .unknown, name)
            XCTAssertTrue(f.reason?.contains("chan") ?? false, "\(name): \(f.reason ?? "no reason")")
        }
    }

    func testHardenedProfileAsksForSecureBootVTPMAndLimits() throws {
        let vault = try FixtureHosts.scan("hardened").domain("vault-snp")
        XCTAssertEqual(vault.facts[path: "firmware.secureBoot"], true)
        XCTAssertEqual(vault.facts[path: "confidential.launchSecurity.level"], "sev-es")
        XCTAssertEqual(vault.facts[path: "resources.cgroup.memoryMax"], 5_368_709_120)
        XCTAssertEqual(vault.facts[path: "resources.cgroup.pidsMax"], 4915)
        XCTAssertEqual(vault.facts[path: "resources.cgroup.cpuQuotaUs"], 150_000)
        let root = try FixtureHosts.scan("weak").domain("lab-root")
        XCTAssertEqual(root.facts[path: "resources.cgroup.pidsLimited"], false)
        for id in ["firmware.secure-boot", "firmware.vtpm", "resources.memory-hard-limit", "resources.cpu-quota",
                   "resources.io-limits", "resources.cgroup-pids-limit", "resources.cgroup-memory-limit", "resources.cgroup-cpu-limit"] {
            XCTAssertEqual(try vault.finding(id).status, .pass, id)
            XCTAssertEqual(try root.finding(id).status, .fail, id)
        }
        XCTAssertEqual(try root.finding("resources.cgroup-pids-limit").layer, .resources)
        XCTAssertNotNil(root.layers["resources"], "the resources layer is scored")
    }

    func testPlainSEVIsWeakerThanSEVES() throws {
        let peer = try FixtureHosts.scan("weak").domain("lab-peer")
        XCTAssertEqual(peer.facts[path: "confidential.launchSecurity.level"], "sev")
        for id in ["confidential.registers-protected", "confidential.no-key-sharing", "confidential.no-migration"] {
            XCTAssertEqual(try peer.finding(id).status, .fail, id)
        }
    }
}
