import Audit
import Core
import Foundation
import Policy
import XCTest

/// Every rule of the default policy set (the union of all profiles) must be shown failing on a
/// fixture where its layer is missing and passing on one where it is present.
final class RuleCoverageTests: XCTestCase {
    /// One verdict of one rule on one target: `host/vm` for a domain, `host/(host)` for the host.
    struct Verdict {
        var rule: String
        var target: String
        var status: FindingStatus
    }

    static func verdicts(_ scans: [(host: String, report: ScanReport)]) -> [Verdict] {
        var out: [Verdict] = []
        for (host, report) in scans {
            for f in report.host.findings { out.append(Verdict(rule: f.rule, target: "\(host)/(host)", status: f.status)) }
            for d in report.domains {
                for f in d.findings { out.append(Verdict(rule: f.rule, target: "\(host)/\(d.name)", status: f.status)) }
            }
        }
        return out
    }

    func testEveryDefaultRuleFailsOnOneFixtureAndPassesOnAnother() throws {
        let rules = try FixtureHosts.auditor().policies.rules
        XCTAssertGreaterThan(rules.count, 50, "the default policy set was not loaded")
        let verdicts = Self.verdicts(try FixtureHosts.scanAll())

        var failing: [String: String] = [:], passing: [String: String] = [:]
        for v in verdicts {
            if v.status == .fail, failing[v.rule] == nil { failing[v.rule] = v.target }
            if v.status == .pass, passing[v.rule] == nil { passing[v.rule] = v.target }
        }
        let width = rules.map(\.id.count).max() ?? 10
        var table = "rule coverage on the fixture hosts (rule -> first failing target, first passing target)\n"
        for r in rules.sorted(by: { $0.id < $1.id }) {
            table += r.id.padding(toLength: width, withPad: " ", startingAt: 0) + "  FAIL "
                + (failing[r.id] ?? "-").padding(toLength: 40, withPad: " ", startingAt: 0) + "  PASS " + (passing[r.id] ?? "-") + "\n"
        }
        let covered = rules.filter { failing[$0.id] != nil && passing[$0.id] != nil }
        table += "covered \(covered.count)/\(rules.count) rules"
        print(table)

        for r in rules {
            XCTAssertNotNil(failing[r.id], "\(r.id) fails on no fixture host: no fixture shows its layer missing")
            XCTAssertNotNil(passing[r.id], "\(r.id) passes on no fixture host: no fixture shows its layer present")
        }
        // Every verdict is for a rule of the set (no stale ids from an old policy directory).
        let ids = Set(rules.map(\.id))
        XCTAssertEqual(Set(verdicts.map(\.rule)).subtracting(ids), [])
    }

    /// The hardened-only rules are judged only where the profile is selected through the domain's
    /// metadata: they are absent from a baseline VM's verdicts on the same host.
    func testHardenedOnlyRulesApplyThroughTheMetadataProfile() throws {
        let policies = try FixtureHosts.auditor().policies
        let baseline = try XCTUnwrap(policies.profile(named: "baseline"))
        let hardenedOnly = policies.rules.filter { r in baseline.exclude.contains { $0.matches(r) } }.map(\.id)
        XCTAssertFalse(hardenedOnly.isEmpty, "the baseline profile excludes nothing: the hardened profile adds no rule")

        let report = try FixtureHosts.scan("hardened")
        let vault = try report.domain("vault-snp"), db = try report.domain("db-primary")
        XCTAssertEqual(vault.profile, "hardened")
        XCTAssertEqual(db.profile, "baseline")
        for id in hardenedOnly {
            XCTAssertEqual(try vault.finding(id).status, .pass, id)
            XCTAssertNil(db.findings.first { $0.rule == id }, "\(id) judged on a baseline VM")
        }
        let weak = try FixtureHosts.scan("weak").domain("lab-root")
        XCTAssertEqual(weak.profile, "hardened")
        for id in hardenedOnly { XCTAssertEqual(try weak.finding(id).status, .fail, id) }
    }

    /// The qemu:commandline restoration the scans rely on adds the element libvirt dropped, and
    /// only to the domain that has it.
    func testQemuCommandlineIsRestoredOnlyWhereTheNodeFileHasIt() throws {
        let report = try FixtureHosts.scan("weak")
        XCTAssertEqual(try report.domain("lab-netcap").facts[path: "surface.hasQemuCommandline"], true)
        XCTAssertEqual(try report.domain("lab-root").facts[path: "surface.hasQemuCommandline"], false)
        XCTAssertEqual(try report.domain("lab-netcap").finding("device-surface.no-qemu-commandline").status, .fail)
    }
}
