import Core
import XCTest
@testable import Reporting

final class ReportRendererTests: XCTestCase {
    private func report() -> ScanReport {
        let score = Score(score: 61, grade: "D", layers: [
            "mac": LayerScore(score: 0, pass: 3, fail: 1, down: true), "dac": LayerScore(score: 100, pass: 2),
            "seccomp": LayerScore(score: nil),
        ])
        let d = DomainReport(name: "billing-a", uuid: "u1", state: "running", id: 1, profile: "baseline", facts: [:],
                             findings: [Sample.finding("mac.selinux-unique-categories", .fail, layer: .mac)], score: score)
        var r = Sample.report("s1", [d])
        r.host = HostReport(hostname: "hv1", facts: [:], findings: [], score: Score(score: 100, grade: "A", layers: ["host": LayerScore(score: 100, pass: 3)]))
        return r
    }

    func testMarkdownShowsLayersStandingAndDashForUndecidedLayers() {
        let md = ReportRenderer.markdown(report(), diff: nil)
        XCTAssertTrue(md.contains("| billing-a | running | 61 | D | 1 of 2 | 1 |"), md)
        XCTAssertTrue(md.contains("Layers standing 1 of 2: dac 100, mac 0 (down), seccomp -."), md)
        XCTAssertTrue(md.contains("layers standing 1 of 1"), md)
    }

    func testHTMLShowsLayersStandingAndDashForUndecidedLayers() {
        let html = ReportRenderer.html(report(), diff: nil)
        XCTAssertTrue(html.contains("<td>1 of 2</td>"), html)
        XCTAssertTrue(html.contains("Layers standing 1 of 2: dac 100, mac 0 (down), seccomp -."), html)
        XCTAssertFalse(html.contains("seccomp 100"))
    }

    func testJSONSummaryHasTheHostsLayersStanding() throws {
        let doc = try JSONValue(parsing: Data(ReportRenderer.json(report(), diff: nil).utf8))
        XCTAssertEqual(doc["summary"]?["host"]?["layersStanding"], 1)
        XCTAssertEqual(doc["report"]?["domains"]?.arrayValue?.first?["layers"]?["seccomp"]?["score"], .null)
        XCTAssertEqual(doc["report"]?["domains"]?.arrayValue?.first?["layersStanding"], 1)
    }
}
