import Foundation
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

    /// Findings whose texts hold control characters, markup, quotes, CDATA ends and non-BMP
    /// characters still give a schema-valid SARIF document and JUnit XML junitparser reads.
    func testRandomTextInFindingsGivesValidSARIFAndJUnit() throws {
        var state: UInt64 = 15
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        let pieces = ["<", ">", "&", "\"", "'", "]]>", "\u{0}", "\u{1}", "\u{b}", "\u{7f}", "\u{85}", "\u{fffe}", "\u{1f600}",
                      "\r\n", "\t", "é", "<!--", "\\", "{\"x\":1}", "a", " "]
        func junk() -> String { (0..<Int(next() % 12)).map { _ in pieces[Int(next() % UInt64(pieces.count))] }.joined() }
        var findings: [Finding] = []
        for i in 0..<200 {
            let status = FindingStatus.allCases[Int(next() % UInt64(FindingStatus.allCases.count))]
            var f = Finding(rule: "fuzz.r\(i)", layer: .dac, severity: Severity.allCases[Int(next() % 5)], status: status, observed: [junk(): .string(junk())],
                            reason: junk())
            if status == .waived { f.waiver = ["source": .string(junk() + ":3"), "status": "fail"] }
            findings.append(f)
        }
        let report = Sample.report("fuzz", [Sample.domain("v" + junk(), score: 10, grade: "F", findings)])
        let rules = findings.prefix(50).map { RuleText(id: $0.rule, title: junk(), layer: .dac, severity: .high, rationale: junk(),
                                                        remediation: junk(), references: [junk()]) }
        let sarif = SARIFRenderer.render(report: report, rules: Array(rules)) { _, f in
            f.rule.hasSuffix("7") ? SourceLocation(uri: "dir/" + junk().filter { $0.isLetter }, line: Int(next() % 3)) : nil
        }
        XCTAssertNoThrow(try JSONValue(parsing: Data(sarif.utf8)))
        let (s, sout) = try PipelineFixture.validate("sarif", sarif)
        XCTAssertEqual(s, 0, sout)
        let (j, jout) = try PipelineFixture.validate("junit", JUnitRenderer.render(report: report, rules: Array(rules)))
        XCTAssertEqual(j, 0, jout)
        XCTAssertTrue(jout.contains("junit valid: 201 testcase(s)"), jout)
    }
}
