import Core
import Foundation
import XCTest
@testable import Reporting

final class MetricsTests: XCTestCase {
    func render() -> String {
        let r = Sample.report("s1", [Sample.domain("we\"ird\\name", score: 40, grade: "D", [Sample.finding("r", .fail, .critical)])])
        return MetricsRenderer.render(r, state: .init(libvirtConnected: true, stale: false, scansTotal: 3, alerts: ["pending": 1]))
    }

    func testExposesScoresGradesFindingsAndServiceState() {
        let text = render()
        XCTAssertTrue(text.contains(#"virtaudit_domain_score{domain="we\"ird\\name",uuid="uuid-we\"ird\\name",state="running",profile="baseline"} 40"#), text)
        XCTAssertTrue(text.contains(#"virtaudit_domain_grade{domain="we\"ird\\name",uuid="uuid-we\"ird\\name",grade="D"} 2"#))
        XCTAssertTrue(text.contains(#"virtaudit_findings_failing{target="domain",severity="critical",layer="dac"} 1"#))
        XCTAssertTrue(text.contains("virtaudit_libvirt_connected 1"))
        XCTAssertTrue(text.contains(#"virtaudit_alerts{state="pending"} 1"#))
        XCTAssertTrue(text.contains("virtaudit_scan_duration_seconds 0.0125"))
    }

    func testNoResultYetStillExposesServiceState() {
        let text = MetricsRenderer.render(nil, state: .init(libvirtConnected: false, stale: true, scansTotal: 0))
        XCTAssertTrue(text.contains("virtaudit_up 0"))
        XCTAssertFalse(text.contains("virtaudit_domain_score{"))
    }

    /// Prometheus's own parser (promtool, Debian package `prometheus`) accepts the exposition.
    func testPromtoolAcceptsTheExposition() throws {
        let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let tool = promtool else {
            if ProcessInfo.processInfo.environment["VIRTAUDIT_REQUIRE_LIBVIRT"] == "1" { return XCTFail("promtool not installed") }
            throw XCTSkip("promtool not installed (apt-get install prometheus)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = ["check", "metrics"]
        let input = Pipe(), out = Pipe()
        p.standardInput = input
        p.standardOutput = out
        p.standardError = out
        try p.run()
        try input.fileHandleForWriting.write(contentsOf: Data(render().utf8))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 0, text)
    }
}
