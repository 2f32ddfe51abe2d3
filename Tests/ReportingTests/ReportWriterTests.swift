import Core
import Foundation
import XCTest
@testable import Reporting

final class ReportWriterTests: XCTestCase {
    func testWritesJSONHTMLAndMarkdownNamedByTimeWithNoTemporaryFilesLeft() throws {
        let dir = Sample.tempDir()
        let w = ReportWriter(directory: dir)
        let r = Sample.report("s1", [Sample.domain("web", score: 40, grade: "D", [Sample.finding("dac.non-root-user", .fail, .critical)])])
        let written = try w.write(r, now: Date(timeIntervalSince1970: 1_800_000_000))
        XCTAssertEqual(written.base, "virtaudit-20270115T080000000Z")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(names, ["virtaudit-20270115T080000000Z.html", "virtaudit-20270115T080000000Z.json", "virtaudit-20270115T080000000Z.md"])
        let md = try String(contentsOfFile: dir + "/" + names[2], encoding: .utf8)
        XCTAssertTrue(md.contains("dac.non-root-user"), md)
        XCTAssertTrue(md.contains("fix dac.non-root-user"))
        let json = try JSONValue(parsing: Data(contentsOf: URL(fileURLWithPath: dir + "/" + names[1])))
        XCTAssertEqual(json[path: "summary.failingBySeverity.critical"], 1)
        XCTAssertEqual(json[path: "report.domains.0.name"], "web")
    }

    func testSecondReportSaysWhatChangedSinceThePrevious() throws {
        let dir = Sample.tempDir()
        let w = ReportWriter(directory: dir, formats: [.json, .markdown])
        try w.write(Sample.report("s1", [Sample.domain("web", score: 90, grade: "A", [Sample.finding("old.rule", .fail)])]),
                    now: Date(timeIntervalSince1970: 1_800_000_000))
        let previous = try XCTUnwrap(w.latestReport())
        XCTAssertEqual(previous.scanId, "s1")
        let w2 = try w.write(Sample.report("s2", [Sample.domain("web", score: 30, grade: "F", [Sample.finding("new.rule", .fail, .critical)])]),
                             previous: previous, now: Date(timeIntervalSince1970: 1_800_000_100))
        let json = try JSONValue(parsing: Data(contentsOf: URL(fileURLWithPath: w2.files[0])))
        XCTAssertEqual(json[path: "changes.new.0.finding.rule"], "new.rule")
        XCTAssertEqual(json[path: "changes.resolved.0.finding.rule"], "old.rule")
        let md = try String(contentsOfFile: w2.files[1], encoding: .utf8)
        XCTAssertTrue(md.contains("NEW critical `new.rule`"), md)
        XCTAssertTrue(md.contains("RESOLVED `old.rule`"), md)
    }

    func testRetentionKeepsTheNewestReports() throws {
        let dir = Sample.tempDir()
        let w = ReportWriter(directory: dir, formats: [.json], keep: 2)
        for i in 0..<4 { try w.write(Sample.report("s\(i)", []), now: Date(timeIntervalSince1970: 1_800_000_000 + Double(i))) }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(names, ["virtaudit-20270115T080002000Z.json", "virtaudit-20270115T080003000Z.json"])
    }

    func testHTMLEscapesNamesAndIsSelfContained() {
        let html = ReportRenderer.html(Sample.report("s", [Sample.domain("<script>x</script>", score: 10, grade: "F", [])]), diff: nil)
        XCTAssertFalse(html.contains("<script>x"))
        XCTAssertTrue(html.contains("&lt;script&gt;x"))
        XCTAssertFalse(html.contains("http://"), "no external resources")
        XCTAssertFalse(html.contains("https://"), "no external resources")
    }

    func testAtomicWriteFailureNamesThePath() {
        XCTAssertThrowsError(try ReportWriter.atomicWrite(Data("x".utf8), to: "/nonexistent-dir/r.json")) { e in
            XCTAssertTrue("\(e)".contains("/nonexistent-dir"), "\(e)")
        }
    }

    func testSARIFAndJUnitFilesAreWrittenBesideTheOthers() throws {
        let dir = Sample.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let w = ReportWriter(directory: dir, formats: [.json, .sarif, .junit],
                             rules: [RuleText(id: "host.selinux", title: "SELinux", layer: .host, severity: .medium)])
        let written = try w.write(Sample.report("s1", [Sample.domain("vm1", score: 40, grade: "F", [Sample.finding("dac.x", .fail)])]))
        XCTAssertEqual(written.files.map { URL(fileURLWithPath: $0).pathExtension }, ["json", "sarif", "xml"])
        XCTAssertTrue(written.files[2].hasSuffix(".junit.xml"))
        let sarif = try String(contentsOfFile: written.files[1], encoding: .utf8)
        XCTAssertTrue(sarif.contains("\"ruleId\": \"dac.x\""), sarif)
        let (status, out) = try PipelineFixture.validate("sarif", sarif)
        XCTAssertEqual(status, 0, out)
        let junit = try String(contentsOfFile: written.files[2], encoding: .utf8)
        let (jstatus, jout) = try PipelineFixture.validate("junit", junit)
        XCTAssertEqual(jstatus, 0, jout)
        // The newest report is still found by its JSON, and pruning removes all of a report's files.
        XCTAssertEqual(w.latestReport()?.scanId, "s1")
    }
}
