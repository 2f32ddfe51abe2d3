import Audit
import Core
import Policy
import XCTest

/// Shut-off VMs are judged by their configuration, label verdicts tell custom types from
/// unconfined ones, and a layer whose protection is removed counts as down in the score.
final class ConfigurationVerdictTests: XCTestCase {
    /// Rules decided from the qemu process: not-applicable on a VM that has none.
    static let processLayers: [Layer] = [.qemuSandbox, .namespaces, .seccomp]

    func testShutOffDomainsAreJudgedByTheirConfigurationAlone() throws {
        let report = try FixtureHosts.scan("labels-config")
        let shutOff = report.domains.filter { $0.state == "shutoff" }
        XCTAssertEqual(shutOff.count, 12)
        let expected: [(vm: String, rule: String)] = [
            ("cfg-rootdac", "dac.label-not-root"), ("cfg-rootname", "dac.label-not-root"),
            ("cfg-nolabel", "mac.labelling-enabled"), ("cfg-static-a", "mac.selinux-images-relabelled"),
            ("cfg-static-a", "mac.selinux-label-not-shared"), ("cfg-static-b", "mac.selinux-label-not-shared"),
            ("cfg-unconfined", "mac.selinux-label-not-unconfined"), ("cfg-custom", "mac.selinux-custom-type-reviewed"),
            ("cfg-vnc", "device-surface.graphics-loopback"), ("cfg-nocats", "mac.selinux-label-categories"),
            ("cfg-fullrange", "mac.selinux-label-not-full-range"), ("cfg-hostdev", "device-isolation.device-present"),
        ]
        for (vm, rule) in expected {
            XCTAssertEqual(try report.domain(vm).finding(rule).status, .fail, "\(vm) \(rule)")
        }
        let clean = try report.domain("cfg-clean")
        XCTAssertEqual(clean.findings.filter { $0.status == .fail || $0.status == .unknown }.map(\.rule), [])
        XCTAssertEqual(try clean.finding("dac.label-not-root").status, .pass)
        for d in shutOff {
            // No process: its rules do not apply, and their layers show no score rather than 100.
            for f in d.findings where f.rule.hasPrefix("seccomp.") || f.rule.hasPrefix("namespaces.")
                || ["dac.non-root-user", "mac.confined", "mac.selinux-unique-categories"].contains(f.rule) {
                XCTAssertEqual(f.status, .notApplicable, "\(d.name) \(f.rule)")
            }
            for layer in Self.processLayers {
                XCTAssertNil(d.layers[layer.rawValue]?.score, "\(d.name) \(layer.rawValue)")
            }
            XCTAssertNotNil(d.layers["mac"]?.score, "\(d.name): labelling-enabled always judges the mac layer")
            if d.name == "cfg-hostdev" {
                // The assigned device is not on this host: every device rule is judged, what
                // depends on its IOMMU group is unknown, never not-applicable.
                let device = d.findings.filter { $0.rule.hasPrefix("device-isolation.") && !$0.rule.contains(".host-") }
                XCTAssertEqual(device.count, 10)
                XCTAssertFalse(device.contains { $0.status == .notApplicable }, "\(device.map { ($0.rule, $0.status) })")
                XCTAssertEqual(try d.finding("device-isolation.iommu-present").status, .unknown)
                XCTAssertEqual(d.layers["device-isolation"]?.down, true)
            } else {
                XCTAssertFalse(d.findings.contains { $0.status == .unknown }, "\(d.name): \(d.findings.filter { $0.status == .unknown }.map(\.rule))")
            }
        }
        // The XML shows which domains share a static pair, whether they run or not.
        let a = try report.domain("cfg-static-a")
        XCTAssertEqual(a.facts[path: "labels.selinux.sharedWith"], ["cfg-static-b"])
        XCTAssertEqual(try report.domain("cfg-custom").facts[path: "labels.selinux.sharedWith"], [])
    }

    func testShutOffDomainsWithARemovedLayerGradeFAndShowIt() throws {
        let report = try FixtureHosts.scan("labels-config")
        for vm in ["cfg-rootdac", "cfg-nolabel", "cfg-unconfined", "cfg-static-a", "cfg-nocats", "cfg-fullrange", "cfg-hostdev"] {
            let d = try report.domain(vm)
            XCTAssertEqual(d.grade, "F", "\(vm) scores \(d.score)")
            let standing = try XCTUnwrap(d.layersStanding), total = try XCTUnwrap(d.layersTotal)
            XCTAssertLessThan(standing, total, vm)
        }
        XCTAssertEqual(try report.domain("cfg-rootdac").layers["dac"]?.down, true)
        XCTAssertEqual(try report.domain("cfg-clean").grade, "A")
    }

    /// A shut-off domain with no labels of its own runs as qemu.conf says: on the weak host (user
    /// "root", security_driver "none") the template VM will start as root and unconfined. It
    /// scored 98 (A) when only its device surface was judged.
    func testAShutOffDomainIsJudgedByTheHostsQemuConfToo() throws {
        let template = try FixtureHosts.scan("weak").domain("lab-template")
        XCTAssertEqual(template.state, "shutoff")
        XCTAssertEqual(try template.finding("dac.configured-user-not-root").status, .fail)
        XCTAssertEqual(try template.finding("mac.configured-security-driver").status, .fail)
        XCTAssertEqual(try template.finding("dac.non-root-user").status, .notApplicable)
        XCTAssertEqual(template.grade, "F")
        XCTAssertEqual(template.layers["dac"]?.down, true)
        XCTAssertEqual(template.layers["mac"]?.down, true)
        XCTAssertNil(template.layers["seccomp"]?.score)
        // A domain with its own DAC label is judged by that label instead.
        let clean = try FixtureHosts.scan("labels-config").domain("cfg-clean")
        XCTAssertEqual(try clean.finding("dac.configured-user-not-root").status, .notApplicable)
        XCTAssertEqual(try clean.finding("mac.configured-security-driver").status, .pass)
    }

    /// A site's own SELinux type is confined: it no longer fails mac.confined as if it were
    /// unconfined_t, but asks for a review; unconfined_t itself still fails.
    func testACustomSELinuxTypeIsConfinedButNeedsReview() throws {
        let custom = try FixtureHosts.scan("labels-config").domain("run-custom")
        XCTAssertEqual(try custom.finding("mac.confined").status, .pass)
        let review = try custom.finding("mac.selinux-custom-type-reviewed")
        XCTAssertEqual(review.status, .fail)
        XCTAssertEqual(review.observed["process.selinux.typeClass"], "custom")
        XCTAssertEqual(custom.facts[path: "process.selinux.type"], "mycorp_qemu_t")
        XCTAssertEqual(custom.grade, "A", "a medium review finding costs a little, it does not remove the layer")

        let unconfined = try FixtureHosts.scan("selinux-lax").domain("admin-shell")
        XCTAssertEqual(try unconfined.finding("mac.confined").status, .fail)
        XCTAssertEqual(try unconfined.finding("mac.selinux-custom-type-reviewed").status, .pass)
    }

    /// Issue 14: a VM sharing its MCS pair with another running VM scored 97 (A), since one
    /// failed rule cost a fraction of the mac layer. The shared pair removes sVirt between the two
    /// guests: the rule breaks the layer, and the VM grades C or worse.
    func testAVMSharingItsMCSPairGradesCOrWorse() throws {
        let report = try FixtureHosts.scan("selinux-lax")
        for vm in ["billing-a", "billing-b"] {
            let d = try report.domain(vm)
            XCTAssertEqual(try d.finding("mac.selinux-unique-categories").status, .fail)
            XCTAssertLessThan(d.score, 80, "\(vm) grades \(d.grade)")
            XCTAssertTrue(["C", "D", "F"].contains(d.grade))
            XCTAssertEqual(d.layers["mac"]?.score, 0)
            XCTAssertEqual(d.layers["mac"]?.down, true)
            XCTAssertEqual(d.layersStanding.map { $0 + 1 }, d.layersTotal)

            // The same findings without the breaks_layer flags: the old A.
            var findings = d.findings
            let weights = findings.map { Rule.defaultWeight($0.severity) }
            let unflagged = Scoring.score(&findings, weights: weights)
            XCTAssertEqual(unflagged.grade, "A", "without breaks_layer \(vm) scores \(unflagged.score)")
            XCTAssertEqual(unflagged.layersStanding, unflagged.layersTotal)
        }
        // Every layer of a clean VM on the hardened host stands.
        for d in try FixtureHosts.scan("hardened").domains {
            XCTAssertEqual(d.layersStanding, d.layersTotal, d.name)
            XCTAssertEqual(d.grade, "A", d.name)
        }
    }
}
