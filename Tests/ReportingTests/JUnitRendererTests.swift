import Core
import Foundation
@testable import Reporting
import XCTest

final class JUnitRendererTests: XCTestCase {
    func testWeakHostJUnitIsParsedByJunitparserWithMatchingCounts() throws {
        let report = try PipelineFixture.weakScan()
        let xml = JUnitRenderer.render(report: report, rules: try PipelineFixture.rules())
        let (status, out) = try PipelineFixture.validate("junit", xml)
        XCTAssertEqual(status, 0, out)
        let all = ([report.host.findings] + report.domains.map(\.findings)).joined()
        let failures = all.filter { $0.status == .fail || $0.status == .unknown }.count
        let skipped = all.filter { $0.status == .waived || $0.status == .notApplicable }.count
        XCTAssertTrue(out.contains("junit valid: \(all.count) testcase(s), \(failures) failure(s), \(skipped) skipped"), out)
        XCTAssertTrue(out.contains("suite vm lab-peer: tests=42"), out)
    }

    func testTheConsumerRejectsBrokenXML() throws {
        let (status, _) = try PipelineFixture.validate("junit", "<testsuites><testsuite name=\"x\"><testcase")
        XCTAssertEqual(status, 1)
    }

    func testGoldenOutputOfTheWeakHost() throws {
        try PipelineFixture.assertGolden(JUnitRenderer.render(report: try PipelineFixture.weakScan(), rules: try PipelineFixture.rules()),
                                         "weak.junit.xml")
    }

    func testWaivedFindingsAreSkippedWithTheWaiverReasonNotFailures() throws {
        let xml = JUnitRenderer.render(report: try PipelineFixture.weakScan(), rules: [])
        let peerSandbox = try XCTUnwrap(xml.range(of: "<testcase name=\"qemu-sandbox.enabled\" classname=\"virtaudit.vm.lab-peer\""))
        let tail = xml[peerSandbox.upperBound...].prefix(300)
        XCTAssertTrue(tail.contains("<skipped message=\"waived (fail): lab-peer runs a legacy qemu-bridge-helper that needs spawn\"/>"), String(tail))
        XCTAssertFalse(tail.prefix(while: { $0 != "/" }).contains("<failure"))
    }

    func testAnExpiredWaiverTestcaseNamesItsRulePattern() throws {
        let xml = JUnitRenderer.render(report: try PipelineFixture.weakScan(), rules: [])
        XCTAssertTrue(xml.contains("<testcase name=\"waiver.expired[dac.non-root-user]\" classname=\"virtaudit.vm.lab-root\""), xml)
    }

    func testStatusesMapToPassFailureAndSkipped() {
        let d = Sample.domain("vm1", score: 50, grade: "F", [
            Sample.finding("r.pass", .pass), Sample.finding("r.fail", .fail),
            {
                var f = Sample.finding("r.unknown", .unknown)
                f.reason = "process.uid: /proc/42/status unreadable"
                return f
            }(),
            Sample.finding("r.na", .notApplicable),
        ])
        let xml = JUnitRenderer.render(report: Sample.report("s1", [d]), rules: [])
        XCTAssertTrue(xml.contains("<testcase name=\"r.pass\" classname=\"virtaudit.vm.vm1\" time=\"0\"/>"), xml)
        XCTAssertTrue(xml.contains("<failure message=\"[high] title of r.fail\" type=\"fail\">"), xml)
        XCTAssertTrue(xml.contains("<failure message=\"[high] title of r.unknown: unknown (process.uid: /proc/42/status unreadable)\" type=\"unknown\">"), xml)
        XCTAssertTrue(xml.contains("<skipped message=\"not applicable\"/>"), xml)
        XCTAssertTrue(xml.contains("<testsuite name=\"vm vm1\" tests=\"4\" failures=\"2\" errors=\"0\" skipped=\"1\""), xml)
    }

    func testCallerLocationsBecomeFileAndLineAttributes() {
        let d = Sample.domain("vm1", score: 50, grade: "F", [Sample.finding("r.fail", .fail)])
        let xml = JUnitRenderer.render(report: Sample.report("s1", [d]), rules: []) { d, _ in
            d.map { _ in SourceLocation(uri: "templates/vm1.xml", line: 7) }
        }
        XCTAssertTrue(xml.contains("<testcase name=\"r.fail\" classname=\"virtaudit.vm.vm1\" time=\"0\" file=\"templates/vm1.xml\" line=\"7\">"), xml)
    }

    func testMarkupAndControlCharactersInObservedValuesAreEscaped() throws {
        var f = Sample.finding("r.fail", .fail)
        f.observed = ["domain.name": "<b>\"x\" & 'y'\u{1}\u{0}"]
        var report = Sample.report("s1", [Sample.domain("v<1>", score: 1, grade: "F", [f])])
        report.rules[f.rule]?.title = "a \"quoted\" <title>\nwith a newline"
        let xml = JUnitRenderer.render(report: report, rules: [])
        XCTAssertFalse(xml.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" })
        XCTAssertTrue(xml.contains("classname=\"virtaudit.vm.v&lt;1&gt;\""), xml)
        let (status, out) = try PipelineFixture.validate("junit", xml)
        XCTAssertEqual(status, 0, out)
    }
}
