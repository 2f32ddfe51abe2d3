import Audit
import Core
import Policy
import XCTest

/// The management-plane and KVM-knob scenarios of the fixture hosts: each shows its findings, the
/// hardened host passes them all, and an open management plane or a permissive SELinux takes the
/// VMs' scores down with it.
final class ManagementFindingsTests: XCTestCase {
    /// Rules added for the management plane and the host's KVM knobs.
    static func newRules() throws -> [Rule] {
        let prefixes = ["management.", "host.kvm-module.", "host.ksm-off", "host.sysctl.", "host.cgroup-controllers",
                        "host.selinux.", "host.libvirt-hooks", "mac.selinux-enforced", "mac.selinux-booleans-narrow"]
        let transport = ["migrate-tls-force", "migration-address", "console-authentication", "data-channels-tls", "stdio-handler",
                         "no-guest-ram-in-cores", "swtpm-not-root", "device-acl-default", "cgroup-controllers"].map { "host.qemu-conf." + $0 }
        return try FixtureHosts.auditor().policies.rules.filter { r in
            prefixes.contains { r.id.hasPrefix($0) } || transport.contains(r.id)
        }
    }

    func testHardenedHostPassesEveryNewRule() throws {
        let report = try FixtureHosts.scan("hardened")
        let ids = Set(try Self.newRules().map(\.id))
        XCTAssertEqual(ids.count, 29)
        for f in report.host.findings where ids.contains(f.rule) {
            XCTAssertTrue([.pass, .notApplicable].contains(f.status), "\(f.rule) is \(f.status) on the hardened host: \(f.observed)")
        }
        for d in report.domains {
            for f in d.findings where ids.contains(f.rule) {
                XCTAssertTrue([.pass, .notApplicable].contains(f.status), "\(d.name): \(f.rule) is \(f.status)")
            }
        }
    }

    func testOpenManagementPlaneFailsTheHostAndEveryGuest() throws {
        let report = try FixtureHosts.scan("mgmt-open")
        let f = try XCTUnwrap(report.host.findings.first { $0.rule == "management.tcp-requires-auth" })
        XCTAssertEqual(f.status, .fail)
        XCTAssertTrue(f.observedText.contains("libvirtd pid 1200") && f.observedText.contains("0.0.0.0:16509"), f.observedText)
        for rule in ["management.no-plain-tcp-network-listener", "management.unix-socket-restricted", "management.audit-enabled",
                     "management.access-control-driver", "host.qemu-conf.stdio-handler", "host.qemu-conf.no-guest-ram-in-cores",
                     "host.qemu-conf.swtpm-not-root", "host.qemu-conf.device-acl-default", "host.qemu-conf.cgroup-controllers"] {
            XCTAssertEqual(report.host.findings.first { $0.rule == rule }?.status, .fail, rule)
        }
        XCTAssertEqual(report.host.grade, "F")
        let hardened = try FixtureHosts.scan("hardened")
        let best = try XCTUnwrap(hardened.domains.map(\.score).max())
        for d in report.domains {
            XCTAssertEqual(try d.finding("management.guest-definition-protected").status, .fail, d.name)
            XCTAssertNotEqual(d.grade, "A", d.name)
            XCTAssertLessThanOrEqual(d.score, 54, "\(d.name): host layer down and a critical failure: at most 54")
            XCTAssertEqual(d.layers["host"]?.down, true, d.name)
            XCTAssertLessThan(d.score, best)
        }
    }

    func testTLSWithoutVerificationIsCriticalToo() throws {
        let report = try FixtureHosts.scan("mgmt-tls")
        for rule in ["management.tls-verifies-clients", "management.tls-allowed-dn", "management.access-control-driver"] {
            XCTAssertEqual(report.host.findings.first { $0.rule == rule }?.status, .fail, rule)
        }
        XCTAssertEqual(report.host.findings.first { $0.rule == "management.tcp-requires-auth" }?.status, .pass)
        XCTAssertEqual(try report.domain("edge-proxy").finding("management.guest-definition-protected").status, .fail)
    }

    func testModularHostWithKerberosAndPolkitPassesAndListsItsHooks() throws {
        let report = try FixtureHosts.scan("mgmt-modular")
        XCTAssertEqual(report.host.facts[path: "libvirtd.mode"], "modular")
        for rule in ["management.sasl-strong-mechanisms", "management.access-control-driver", "management.tcp-requires-auth",
                     "management.tls-allowed-dn"] {
            XCTAssertEqual(report.host.findings.first { $0.rule == rule }?.status, .pass, rule)
        }
        let hooks = try XCTUnwrap(report.host.findings.first { $0.rule == "host.libvirt-hooks" })
        XCTAssertEqual(hooks.status, .fail)
        XCTAssertEqual(hooks.severity, .info)
        XCTAssertEqual(try report.domain("ci-runner").finding("management.guest-definition-protected").status, .pass)
        XCTAssertEqual(try report.domain("ci-runner").score, 100, "a passing host layer of weight 1 costs nothing")
    }

    func testPermissiveSELinuxTakesAwayTheGuestsMACLayer() throws {
        let report = try FixtureHosts.scan("selinux-permissive")
        let hardened = try FixtureHosts.scan("hardened")
        let macReference = try XCTUnwrap(hardened.domains.compactMap { $0.layers["mac"]?.score }.min())
        for d in report.domains {
            XCTAssertEqual(try d.finding("mac.selinux-enforced").status, .fail, d.name)
            XCTAssertEqual(try d.finding("mac.confined").status, .pass, "\(d.name): the label itself is right")
            XCTAssertLessThan(try d.layerScore(.mac), macReference, d.name)
            XCTAssertEqual(d.layers["mac"]?.down, true, "\(d.name): the sVirt label enforces nothing")
            XCTAssertLessThanOrEqual(d.score, 54, d.name)
        }
        XCTAssertEqual(try report.domain("nfs-vault").finding("mac.selinux-booleans-narrow").status, .fail)
        XCTAssertNil(try report.domain("nfs-app").findings.first { $0.rule == "mac.selinux-booleans-narrow" }, "baseline VM")
        XCTAssertEqual(report.host.facts[path: "selinux.riskyBooleansOn"], ["virt_use_execmem", "virt_use_nfs"])
    }

    func testKSMNestedHostFailsEachKnobAndItsPermissiveSvirtType() throws {
        let report = try FixtureHosts.scan("ksm-nested")
        for rule in ["host.ksm-off", "host.kvm-module.nested-off", "host.kvm-module.nx-huge-pages", "host.kvm-module.l1d-flush",
                     "host.sysctl.unprivileged-userfaultfd", "host.sysctl.unprivileged-bpf", "host.cgroup-controllers",
                     "host.selinux.svirt-enforced", "management.sasl-strong-mechanisms"] {
            XCTAssertEqual(report.host.findings.first { $0.rule == rule }?.status, .fail, rule)
        }
        XCTAssertEqual(report.host.facts[path: "cgroups.missing"], ["blkio"])
        // Enforcing, but svirt_t is permissive: the guest's MAC layer fails all the same.
        XCTAssertEqual(report.host.facts[path: "selinux.enforcing"], true)
        XCTAssertEqual(try report.domain("nested-ci").finding("mac.selinux-enforced").status, .fail)
        XCTAssertEqual(try report.domain("nested-ci").layers["mac"]?.down, true)
    }
}
