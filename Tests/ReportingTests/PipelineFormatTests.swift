import Core
@testable import Reporting
import XCTest

final class PipelineFormatTests: XCTestCase {
    func testSeverityGateCountsFailedAndUnknownAtOrAboveButNotWaivedOrPassing() {
        let d = Sample.domain("vm1", score: 50, grade: "F", [
            Sample.finding("c.fail", .fail, .critical), Sample.finding("h.unknown", .unknown, .high),
            Sample.finding("m.fail", .fail, .medium), Sample.finding("c.waived", .waived, .critical),
            Sample.finding("c.pass", .pass, .critical), Sample.finding("l.fail", .fail, .low),
        ])
        let report = Sample.report("s", [d])   // host: host.selinux fail, medium
        let table: [(Severity, [String])] = [
            (.critical, ["c.fail"]),
            (.high, ["c.fail", "h.unknown"]),
            (.medium, ["host.selinux", "c.fail", "h.unknown", "m.fail"]),
            (.low, ["host.selinux", "c.fail", "h.unknown", "m.fail", "l.fail"]),
        ]
        for (s, rules) in table {
            XCTAssertEqual(SeverityGate.findings(in: report, atOrAbove: s).map(\.1.rule), rules, "\(s)")
        }
    }

    func testRuleHelpCarriesRationaleRemediationAndReferences() {
        let r = RuleText(id: "dac.x", title: "T", layer: .dac, severity: .high, expected: "uid != 0",
                         rationale: "because", remediation: "edit qemu.conf", references: ["https://libvirt.org/drvqemu.html"])
        XCTAssertEqual(r.helpText, "Why: because\n\nExpected: uid != 0\n\nRemediation: edit qemu.conf\n\nReferences:\n- https://libvirt.org/drvqemu.html")
        XCTAssertTrue(r.helpMarkdown.contains("- <https://libvirt.org/drvqemu.html>"))
    }
}
