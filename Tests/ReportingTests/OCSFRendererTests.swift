import Core
import Foundation
import Reporting
import XCTest

final class OCSFRendererTests: XCTestCase {
    /// Runs scripts/validate-ocsf on the text: (exit status, output). A missing validator fails
    /// the test in CI (CI=true or VIRTAUDIT_REQUIRE_LIBVIRT=1) and skips it elsewhere.
    static func validate(_ text: String) throws -> (Int32, String) {
        let file = NSTemporaryDirectory() + "virtaudit-\(UUID().uuidString).ocsf.jsonl"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Sample.repository + "/scripts/validate-ocsf", file]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if p.terminationStatus == 3 {
            let env = ProcessInfo.processInfo.environment
            if env["CI"] == "true" || env["VIRTAUDIT_REQUIRE_LIBVIRT"] == "1" {
                XCTFail("OCSF validator missing: \(out)")
            } else {
                throw XCTSkip("OCSF validator missing: \(out)")
            }
        }
        return (p.terminationStatus, out)
    }

    func testOneEventPerFailingOrUnknownFindingNoneForPassWaivedOrNotApplicable() throws {
        let report = try PipelineFixture.weakScan()
        let events = OCSFRenderer.events(report: report, rules: try PipelineFixture.rules())
        let expected = SeverityGate.findings(in: report, atOrAbove: .info)
        XCTAssertEqual(events.count, expected.count)
        XCTAssertGreaterThan(events.count, 0)
        XCTAssertEqual(Set(events.compactMap { $0[path: "finding_info.uid"]?.stringValue }),
                       Set(expected.map { SeverityGate.id($0.1, domain: $0.0, report: report) }))
        let all = report.host.findings + report.domains.flatMap(\.findings)
        XCTAssertTrue(all.contains { $0.status == .pass }, "the fixture has passing findings, which must not appear")
    }

    func testFieldsMapTheFindingTheVMAndTheRule() throws {
        let report = try PipelineFixture.weakScan()
        let rules = try PipelineFixture.rules()
        let events = OCSFRenderer.events(report: report, rules: rules,
                                         seen: { _ in ("2026-12-01T00:00:00Z", "2026-12-05T00:00:00Z") })
        let (d, f) = try XCTUnwrap(SeverityGate.findings(in: report, atOrAbove: .info).first { $0.0 != nil && $0.1.status == .fail })
        let domain = try XCTUnwrap(d)
        let e = try XCTUnwrap(events.first { $0[path: "finding_info.uid"]?.stringValue == f.id })
        XCTAssertEqual(e["class_uid"], 2003)
        XCTAssertEqual(e["category_uid"], 2)
        XCTAssertEqual(e["type_uid"], 200301)
        XCTAssertEqual(e[path: "compliance.control"]?.stringValue, f.rule)
        XCTAssertEqual(e[path: "compliance.status_id"], 3)
        XCTAssertEqual(e[path: "metadata.product.name"], "virtaudit")
        XCTAssertEqual(e[path: "metadata.version"]?.stringValue?.hasPrefix("1."), true)
        let rule = try XCTUnwrap(rules.first { $0.id == f.rule })
        XCTAssertEqual(e[path: "remediation.desc"]?.stringValue, rule.remediation)
        XCTAssertFalse(rule.remediation.isEmpty)
        XCTAssertEqual(e[path: "remediation.references"]?.arrayValue?.compactMap(\.stringValue), rule.references)
        let resource = try XCTUnwrap(e["resources"]?.arrayValue?.first)
        XCTAssertEqual(resource["uid"]?.stringValue, domain.uuid)
        XCTAssertEqual(resource["name"]?.stringValue, domain.name)
        XCTAssertEqual(resource["type"], "libvirt_domain")
        XCTAssertEqual(e[path: "finding_info.first_seen_time"], .int(1_796_083_200_000))
        XCTAssertEqual(e[path: "finding_info.last_seen_time"], .int(1_796_428_800_000))
        XCTAssertEqual(e["unmapped"]?["observed"], f.observed)
    }

    func testSeverityAndStatusMapping() {
        let table: [(Severity, FindingStatus, Int, Int)] = [
            (.info, .fail, 1, 3), (.low, .fail, 2, 3), (.medium, .unknown, 3, 0), (.high, .fail, 4, 3), (.critical, .unknown, 5, 0),
        ]
        for (sev, status, severityID, complianceID) in table {
            var r = Sample.report("s", [Sample.domain("vm", score: 50, grade: "D", [Sample.finding("dac.x", status, sev)])])
            r.host.findings = []
            FindingID.assign(&r, hostId: "0123456789abcdef0123456789abcdef")
            let e = OCSFRenderer.events(report: r, rules: [])
            XCTAssertEqual(e.count, 1)
            XCTAssertEqual(e.first?["severity_id"], .int(severityID), "\(sev)")
            XCTAssertEqual(e.first?[path: "compliance.status_id"], .int(complianceID), "\(status)")
        }
    }

    func testTheRenderedLinesValidateAgainstTheOCSFModels() throws {
        let text = OCSFRenderer.render(report: try PipelineFixture.weakScan(), rules: try PipelineFixture.rules())
        XCTAssertEqual(text.split(separator: "\n").count, OCSFRenderer.events(report: try PipelineFixture.weakScan(), rules: []).count)
        let (status, out) = try Self.validate(text)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("ocsf valid"), out)
    }

    func testTheValidatorRejectsAnEventWithoutAFindingID() throws {
        let text = OCSFRenderer.render(report: try PipelineFixture.weakScan(), rules: [])
        let broken = text.replacingOccurrences(of: "\"finding_info\":", with: "\"finding\":")
        let (status, out) = try Self.validate(broken)
        XCTAssertEqual(status, 1, out)
    }
}
