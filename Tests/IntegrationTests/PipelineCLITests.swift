import Core
import Foundation
import XCTest

/// `--format sarif|junit` and `--fail-on` on scan and report, and `iommu --from-listing` on
/// input it cannot (fully) read, run as a user would. (The renderers' output is validated
/// against the SARIF schema and by junitparser in ReportingTests.)
final class PipelineCLITests: XCTestCase {
    let cli = CLI.self
    let listings = LiveLab.repository + "/Tests/Fixtures/listings/"
    let weak = LiveLab.repository + "/Tests/Fixtures/hosts/weak"

    func text(_ r: CLI.Run) -> String { String(decoding: r.stdout, as: UTF8.self) }

    func testIOMMUFromListingRefusesInputItCannotPlace() throws {
        for (name, message) in [("empty.txt", "empty.txt: no IOMMU listing recognised: the input is empty"),
                                ("domain-xml.txt", "domain-xml.txt: no IOMMU listing recognised; line 1 could not be placed: <domain type='kvm'>")] {
            let r = try cli.run(["iommu", "--from-listing", listings + name])
            XCTAssertEqual(r.status, 2, name)
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
            XCTAssertTrue(r.stdout.isEmpty, "no table for unrecognised input")
        }
        // One bad file among good ones is still an error.
        let mixed = try cli.run(["iommu", "--from-listing", listings + "desktop-groups.txt", listings + "garbage.bin"])
        XCTAssertEqual(mixed.status, 2)
    }

    func testIOMMUFromListingWarnsAboutIgnoredLinesAndCarriesThemInJSON() throws {
        let r = try cli.run(["iommu", "--from-listing", listings + "chatter-and-lspci.txt", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("2 line(s) ignored"), r.stderr)
        XCTAssertTrue(r.stderr.contains("line 13: Any idea what I'm doing wrong? Thanks!"), r.stderr)
        let doc = try JSONValue(parsing: r.stdout)
        XCTAssertEqual(doc["ignored"]?.arrayValue?.map { $0["line"]?.intValue }, [1, 13])
        XCTAssertEqual(doc["recognised"], ["lspci"])
        XCTAssertEqual(doc["ungrouped"]?.arrayValue?.count, 2)
    }

    func testScanSARIFOfAFixtureHostValidatesAndFailOnGatesTheExit() throws {
        chmod(weak + "/root/dev/kvm", 0o666)
        let base = ["scan", "--connect", "test://" + weak + "/node.xml", "--root", weak + "/root", "--policies", "policies"]
        let sarif = try cli.run(base + ["--format", "sarif"])
        XCTAssertEqual(sarif.status, 0, sarif.stderr)
        let doc = try JSONValue(parsing: sarif.stdout)
        XCTAssertEqual(doc["version"], "2.1.0")
        XCTAssertEqual(doc["runs"]?.arrayValue?.first?["tool"]?["driver"]?["rules"]?.arrayValue?.isEmpty, false)
        let results = try XCTUnwrap(doc["runs"]?.arrayValue?.first?["results"]?.arrayValue)
        XCTAssertTrue(results.contains { $0["ruleId"] == "dac.non-root-user" && $0["properties"]?["vm"] == "lab-root" })

        let gated = try cli.run(base + ["--format", "junit", "--fail-on", "critical"])
        XCTAssertEqual(gated.status, 1)
        XCTAssertTrue(gated.stderr.contains("VM lab-container: dac.non-root-user (critical) is fail"), gated.stderr)
        XCTAssertTrue(gated.stderr.range(of: #"and [0-9]+ more"#, options: .regularExpression) != nil, gated.stderr)
        XCTAssertTrue(text(gated).hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"virtaudit\""))
        XCTAssertTrue(text(gated).contains("<testsuite name=\"vm lab-root\""))
        XCTAssertTrue(text(gated).hasSuffix("</testsuites>\n"))

        let bad = try cli.run(base + ["--fail-on", "severe"])
        XCTAssertEqual(bad.status, 2)
    }

    func testReportWritesSARIFAndJUnitAndGatesOnSeverity() throws {
        try LiveLab.requireLab()
        let dir = NSTemporaryDirectory() + "virtaudit-report-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try cli.run(["report", "--output", dir, "--format", "sarif", "--format", "junit", "--fail-on", "critical"])
        XCTAssertEqual(r.status, 1, "the lab's root-DAC guest fails a critical rule: \(r.stderr)")
        XCTAssertTrue(r.stderr.contains(LiveLab.rootDAC), r.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(files.count, 2, "\(files)")
        let sarif = try XCTUnwrap(files.first { $0.hasSuffix(".sarif") })
        let junit = try XCTUnwrap(files.first { $0.hasSuffix(".junit.xml") })
        let doc = try JSONValue(parsing: try Data(contentsOf: URL(fileURLWithPath: dir + "/" + sarif)))
        XCTAssertTrue(doc["runs"]?.arrayValue?.first?["results"]?.arrayValue?.contains { $0["properties"]?["vm"]?.stringValue == LiveLab.rootDAC } == true)
        let xml = try String(contentsOfFile: dir + "/" + junit, encoding: .utf8)
        XCTAssertTrue(xml.contains("<testsuite name=\"vm \(LiveLab.rootDAC)\""), xml)
    }
}
