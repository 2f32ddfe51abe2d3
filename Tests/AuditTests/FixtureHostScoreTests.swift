import Audit
import Core
import Foundation
import XCTest

/// The default profiles score the fixture hosts sensibly: the hardened guests high, the weak
/// guests failing, and every layer a weak guest lacks lower in its sub-score.
final class FixtureHostScoreTests: XCTestCase {
    /// The layers each running guest of the weak host lacks, as node.xml and make-roots.sh build them.
    static let weakMissing: [String: [Layer]] = [
        // root, full capabilities, -sandbox off, no seccomp, host mount namespace, no LSM,
        // legacy devices, public VNC, TCP serial, shared ivshmem, no launch security (hardened profile).
        "lab-root": [.qemuSandbox, .dac, .namespaces, .mac, .seccomp, .deviceSurface, .confidential],
        // root, shared ivshmem, SEV policy that allows debugging.
        "lab-peer": [.qemuSandbox, .dac, .namespaces, .mac, .seccomp, .deviceSurface, .confidential],
        // unprivileged but with ambient capabilities; -sandbox on,obsolete=allow; <qemu:commandline>.
        "lab-netcap": [.qemuSandbox, .dac, .namespaces, .mac, .seccomp, .deviceSurface],
        // root in a container: a seccomp filter from the runtime, but no -sandbox, no LSM, and
        // libvirtd's service cgroup instead of a machine scope.
        "lab-container": [.qemuSandbox, .dac, .namespaces, .mac],
    ]

    func testHardenedGuestsGradeAOrB() throws {
        let report = try FixtureHosts.scan("hardened")
        XCTAssertEqual(report.domains.count, 4)
        for d in report.domains {
            XCTAssertEqual(d.state, "running", d.name)
            XCTAssertTrue(["A", "B"].contains(d.grade), "\(d.name) grades \(d.grade) (\(d.score))")
            XCTAssertEqual(d.findings.filter { $0.status == .unknown }.map(\.rule), [], d.name)
            let failing = d.findings.filter { $0.status == .fail && $0.severity != .info }
            XCTAssertEqual(failing.map(\.rule), [], "\(d.name): only informational rules may fail on the hardened host")
        }
        XCTAssertTrue(["A", "B"].contains(report.host.grade), "host grades \(report.host.grade)")
    }

    func testWeakGuestsGradeF() throws {
        let report = try FixtureHosts.scan("weak")
        let running = report.domains.filter { $0.state == "running" }
        XCTAssertEqual(Set(running.map(\.name)), Set(Self.weakMissing.keys))
        for d in running {
            XCTAssertEqual(d.grade, "F", "\(d.name) scores \(d.score)")
        }
    }

    func testEachMissingLayerIsLowerThanOnTheHardenedHost() throws {
        let hardened = try FixtureHosts.scan("hardened"), weak = try FixtureHosts.scan("weak")
        for (name, missing) in Self.weakMissing.sorted(by: { $0.key < $1.key }) {
            let d = try weak.domain(name)
            for layer in missing {
                // The hardened reference for the layer: the lowest sub-score any hardened guest has.
                let reference = hardened.domains.compactMap { $0.layers[layer.rawValue]?.score }.min()
                let ref = try XCTUnwrap(reference, "no hardened guest is judged on \(layer.rawValue)")
                let got = try d.layerScore(layer)
                XCTAssertLessThan(got, ref, "\(name) lacks \(layer.rawValue) but scores \(got) there (hardened: \(ref))")
                XCTAssertTrue(d.findings.contains { $0.layer == layer && $0.status == .fail },
                              "\(name): the \(layer.rawValue) sub-score is low without a failing finding in it")
            }
            XCTAssertLessThan(d.score, hardened.domains.map(\.score).min() ?? 0, name)
        }
    }

    func testWeakHostScoresBelowHardenedHost() throws {
        let hardened = try FixtureHosts.scan("hardened").host, weak = try FixtureHosts.scan("weak").host
        XCTAssertLessThan(weak.score, hardened.score)
        XCTAssertEqual(weak.grade, "F")
        // The weak host's qemu.conf and kernel problems are each visible as failing host rules.
        let failing = Set(weak.findings.filter { $0.status == .fail }.map(\.rule))
        for rule in ["host.qemu-conf.security-driver-not-none", "host.qemu-conf.user-not-root", "host.mac-active",
                     "host.qemu-conf.seccomp-sandbox", "host.kernel.mitigations-not-off", "host.kvm-device-permissions"] {
            XCTAssertTrue(failing.contains(rule), "\(rule) does not fail on the weak host")
            XCTAssertEqual(try XCTUnwrap(hardened.findings.first { $0.rule == rule }).status, .pass, rule)
        }
    }

    /// Each partly weak host shows its missing layer in the sub-score of the guest that lacks it.
    func testPartlyWeakHostsShowTheirLayerInTheSubScore() throws {
        let hardened = try FixtureHosts.scan("hardened")
        let macReference = try XCTUnwrap(hardened.domains.compactMap { $0.layers["mac"]?.score }.min())
        let apparmor = try FixtureHosts.scan("apparmor")
        XCTAssertEqual(try apparmor.domain("ubuntu-app").layerScore(.mac), macReference)
        for vm in ["ubuntu-debug", "ubuntu-clone"] {
            XCTAssertLessThan(try apparmor.domain(vm).layerScore(.mac), macReference, vm)
        }
        let lax = try FixtureHosts.scan("selinux-lax")
        for vm in ["billing-a", "billing-b", "ops-tools", "legacy-app", "admin-shell"] {
            XCTAssertLessThan(try lax.domain(vm).layerScore(.mac), macReference, vm)
            XCTAssertEqual(try lax.domain(vm).layerScore(.dac), 100, "\(vm): only MAC is weakened on this host")
        }
        let deviceReference = try hardened.domain("gpu-render").layerScore(.deviceIsolation)
        for host in ["devices-shared", "devices-vf-pf", "devices-pci-stub", "devices-passthrough", "devices-none"] {
            for d in try FixtureHosts.scan(host).domains {
                XCTAssertLessThan(try d.layerScore(.deviceIsolation), deviceReference, "\(host)/\(d.name)")
            }
        }
    }
}
