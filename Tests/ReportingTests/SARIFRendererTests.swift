import Core
import Foundation
@testable import Reporting
import XCTest

final class SARIFRendererTests: XCTestCase {
    func testWeakHostSARIFValidatesAgainstTheOfficialSchema() throws {
        let sarif = SARIFRenderer.render(report: try PipelineFixture.weakScan(), rules: try PipelineFixture.rules())
        let (status, out) = try PipelineFixture.validate("sarif", sarif)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("sarif valid"), out)
    }

    func testTheValidatorRejectsABrokenDocument() throws {
        // The schema check itself must be able to fail: a result level SARIF does not define.
        var doc = SARIFRenderer.document(report: try PipelineFixture.weakScan(), rules: try PipelineFixture.rules())
        guard case .object(var top) = doc, case .array(var runs)? = top["runs"], case .object(var run) = runs[0],
              case .array(var results)? = run["results"], case .object(var r) = results[0] else { return XCTFail("shape") }
        r["level"] = "fatal"
        results[0] = .object(r); run["results"] = .array(results); runs[0] = .object(run); top["runs"] = .array(runs)
        doc = .object(top)
        let (status, out) = try PipelineFixture.validate("sarif", JSONWriter.string(doc))
        XCTAssertEqual(status, 1, out)
        XCTAssertTrue(out.contains("fatal"), out)
    }

    func testGoldenOutputOfTheWeakHost() throws {
        try PipelineFixture.assertGolden(SARIFRenderer.render(report: try PipelineFixture.weakScan(), rules: try PipelineFixture.rules()),
                                         "weak.sarif")
    }

    func testEveryRuleIsDescribedWithHelpLevelAndSecuritySeverity() throws {
        let rules = try PipelineFixture.rules()
        let doc = SARIFRenderer.document(report: try PipelineFixture.weakScan(), rules: rules)
        let descriptors = try XCTUnwrap(doc["runs"]?.arrayValue?.first?["tool"]?["driver"]?["rules"]?.arrayValue)
        let ids = descriptors.compactMap { $0["id"]?.stringValue }
        XCTAssertEqual(Array(ids.prefix(rules.count)), rules.map(\.id))
        // waiver.expired has no rule file: described from its finding.
        XCTAssertTrue(ids.contains("waiver.expired"))
        let nonRoot = try XCTUnwrap(descriptors.first { $0["id"]?.stringValue == "dac.non-root-user" })
        XCTAssertEqual(nonRoot["defaultConfiguration"]?["level"]?.stringValue, "error")
        XCTAssertEqual(nonRoot["properties"]?["security-severity"]?.stringValue, "9.5")
        let help = try XCTUnwrap(nonRoot["help"]?["text"]?.stringValue)
        XCTAssertTrue(help.contains("Why: A guest that escapes into a root qemu"), help)
        XCTAssertTrue(help.contains("Remediation: Remove the per-domain <seclabel"), help)
        XCTAssertTrue(help.contains("https://libvirt.org/drvqemu.html"), help)
        XCTAssertEqual(nonRoot["helpUri"]?.stringValue, "https://libvirt.org/drvqemu.html")
    }

    func testLevelsAndSecuritySeverityFollowTheSeverity() {
        let table: [(Severity, String, String)] = [
            (.critical, "error", "9.5"), (.high, "error", "8.0"), (.medium, "warning", "5.5"),
            (.low, "note", "3.0"), (.info, "note", "0.0"),
        ]
        for (s, level, score) in table {
            XCTAssertEqual(SARIFRenderer.level(s), level, "\(s)")
            XCTAssertEqual(SARIFRenderer.securitySeverity(s), score, "\(s)")
        }
    }

    func testResultsAreFailuresUnknownsAndWaiversOnlyWithLogicalLocations() throws {
        let report = try PipelineFixture.weakScan()
        let doc = SARIFRenderer.document(report: report, rules: try PipelineFixture.rules())
        let results = try XCTUnwrap(doc["runs"]?.arrayValue?.first?["results"]?.arrayValue)
        let expected = ([report.host.findings] + report.domains.map(\.findings)).joined()
            .filter { $0.status == .fail || $0.status == .unknown || $0.status == .waived }.count
        XCTAssertEqual(results.count, expected)
        let waived = results.filter { $0["suppressions"] != nil }
        XCTAssertEqual(waived.count, 5)
        XCTAssertEqual(waived.first?["suppressions"]?.arrayValue?.first?["justification"]?.stringValue,
                       "lab-peer runs a legacy qemu-bridge-helper that needs spawn")
        let rootUser = try XCTUnwrap(results.first {
            $0["ruleId"]?.stringValue == "dac.non-root-user" && $0["properties"]?["vm"]?.stringValue == "lab-root"
        })
        let logical = rootUser["locations"]?.arrayValue?.first?["logicalLocations"]?.arrayValue?.first
        XCTAssertEqual(logical?["fullyQualifiedName"]?.stringValue, report.host.hostname + "/lab-root")
        XCTAssertNil(rootUser["locations"]?.arrayValue?.first?["physicalLocation"])
    }

    func testACallerLocationBecomesAPhysicalLocationWithItsLine() throws {
        let report = try PipelineFixture.weakScan()
        let doc = SARIFRenderer.document(report: report, rules: try PipelineFixture.rules()) { d, f in
            d.map { SourceLocation(uri: "domains/\($0.name).xml", line: f.rule.hasPrefix("dac.") ? 12 : nil) }
        }
        let results = try XCTUnwrap(doc["runs"]?.arrayValue?.first?["results"]?.arrayValue)
        let dac = try XCTUnwrap(results.first {
            $0["ruleId"]?.stringValue == "dac.non-root-user" && $0["properties"]?["vm"]?.stringValue == "lab-root"
        })
        let physical = dac["locations"]?.arrayValue?.first?["physicalLocation"]
        XCTAssertEqual(physical?["artifactLocation"]?["uri"]?.stringValue, "domains/lab-root.xml")
        XCTAssertEqual(physical?["region"]?["startLine"]?.intValue, 12)
        let other = try XCTUnwrap(results.first { $0["ruleId"]?.stringValue?.hasPrefix("mac.") == true && $0["properties"]?["vm"] != nil })
        XCTAssertNil(other["locations"]?.arrayValue?.first?["physicalLocation"]?["region"])
        let (status, out) = try PipelineFixture.validate("sarif", JSONWriter.string(doc))
        XCTAssertEqual(status, 0, out)
    }

    func testFingerprintsAreStableAcrossScansAndDistinctPerTarget() throws {
        var a = try PipelineFixture.weakScan()
        var b = a
        b.scanId = "another-scan"
        b.startedAt = "2027-01-01T00:00:00.000Z"
        b.finishedAt = "2027-01-01T00:00:01.000Z"
        // A report assembled without ids (an older JSON) gets the same fingerprints derived.
        for d in b.domains.indices { for i in b.domains[d].findings.indices { b.domains[d].findings[i].id = nil } }
        func prints(_ r: ScanReport) -> [String] {
            SARIFRenderer.document(report: r, rules: []).self["runs"]?.arrayValue?.first?["results"]?.arrayValue?
                .compactMap { $0["partialFingerprints"]?[SARIFRenderer.fingerprintKey]?.stringValue } ?? []
        }
        XCTAssertEqual(prints(a), prints(b))
        XCTAssertEqual(Set(prints(a)).count, prints(a).count, "one fingerprint per finding")
        a.hostId = "0123456789abcdef0123456789abcdef"
        for d in a.domains.indices { for i in a.domains[d].findings.indices { a.domains[d].findings[i].id = nil } }
        XCTAssertNotEqual(prints(a).last, prints(b).last, "another host gives other fingerprints")
    }
}
