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

    func testVMsAreCountedByWhoManagesThem() {
        var rogue = Sample.domain("rogue", score: 0, grade: "F", [])
        rogue.facts = ["management": ["kind": "unmanaged", "pid": 4242]]
        var pod = Sample.domain("pod-vm", score: 95, grade: "A", [])
        pod.facts = ["management": ["kind": "libvirt-namespaced"]]
        let text = MetricsRenderer.render(Sample.report("s2", [rogue, pod, Sample.domain("lab", score: 80, grade: "B", [])]),
                                          state: .init(libvirtConnected: true, stale: false, scansTotal: 1))
        XCTAssertTrue(text.contains(#"virtaudit_domains_by_management{management="unmanaged"} 1"#), text)
        XCTAssertTrue(text.contains(#"virtaudit_domains_by_management{management="libvirt-namespaced"} 1"#))
        XCTAssertTrue(text.contains(#"virtaudit_domains_by_management{management="libvirt"} 1"#), "facts without management.kind count as libvirt")
        let md = ReportRenderer.markdown(Sample.report("s2", [rogue, pod]), diff: nil)
        XCTAssertTrue(md.contains("| rogue | running (unmanaged qemu) |"), md)
        XCTAssertTrue(md.contains("| pod-vm | running (libvirt in another mount namespace) |"), md)
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
