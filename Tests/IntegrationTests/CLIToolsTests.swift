import Foundation
import XCTest
import Core

/// The admin tools around the scan: policy lint/explain/list, report, iommu, token, --explain.
final class CLIToolsTests: XCTestCase {
    let cli = CLI.self

    func text(_ r: CLI.Run) -> String { String(decoding: r.stdout, as: UTF8.self) }

    func testPolicyLintPassesTheShippedPoliciesAndNamesFileAndLineOfBrokenOnes() throws {
        let ok = try cli.run(["policy", "lint"])
        XCTAssertEqual(ok.status, 0, ok.stderr + text(ok))
        let bad = try cli.run(["policy", "lint", LiveLab.repository + "/Tests/Fixtures/policy-errors"])
        XCTAssertEqual(bad.status, 1)
        let out = text(bad)
        XCTAssertTrue(out.range(of: #"policy-errors/rules/[a-z-]+\.yaml:[0-9]+: "#, options: .regularExpression) != nil, out)
        XCTAssertTrue(bad.stderr.contains("error(s)"), bad.stderr)
    }

    func testPolicyExplainShowsCheckAndRemediation() throws {
        let r = try cli.run(["policy", "explain", "dac.non-root-user"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(text(r).contains("process.uid"), text(r))
        XCTAssertTrue(text(r).lowercased().contains("qemu.conf"), text(r))
        let missing = try cli.run(["policy", "explain", "no.such-rule"])
        XCTAssertEqual(missing.status, 2)
    }

    func testPolicyListCoversEveryLayer() throws {
        let r = try cli.run(["policy", "list"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for layer in Layer.allCases {
            XCTAssertTrue(text(r).contains(layer.rawValue + " "), "no rule for layer \(layer.rawValue)")
        }
    }

    func testScanExplainShowsObservedExpectedAndFix() throws {
        try LiveLab.requireLab()
        let r = try cli.run(["scan", "--explain", LiveLab.rootDAC])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = text(r)
        XCTAssertTrue(out.contains("FAIL"), out)
        XCTAssertTrue(out.contains("dac.non-root-user"), out)
        XCTAssertTrue(out.contains("observed: "), out)
        XCTAssertTrue(out.contains("process.uid = 0"), out)
        XCTAssertTrue(out.contains("fix: "), out)
        let unknownVM = try cli.run(["scan", "--explain", "no-such-vm"])
        XCTAssertEqual(unknownVM.status, 2)
    }

    func testReportWritesJSONHTMLAndMarkdown() throws {
        try LiveLab.requireLab()
        let dir = NSTemporaryDirectory() + "virtaudit-report-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try cli.run(["report", "--output", dir])
        XCTAssertEqual(r.status, 0, r.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(files.map { URL(fileURLWithPath: $0).pathExtension }, ["html", "json", "md"])
        let md = try String(contentsOfFile: dir + "/" + files[2], encoding: .utf8)
        XCTAssertTrue(md.contains(LiveLab.rootDAC), md)
    }

    func testIOMMUFromListingPrintsGroupsAsJSON() throws {
        let r = try cli.run(["iommu", "--from-listing", LiveLab.repository + "/Tests/Fixtures/listings/desktop-groups.txt",
                             LiveLab.repository + "/Tests/Fixtures/listings/desktop-lspci-nnk.txt", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try JSONValue(parsing: r.stdout)
        let groups = try XCTUnwrap(doc["groups"]?.arrayValue)
        XCTAssertFalse(groups.isEmpty)
        for g in groups {
            XCTAssertNotNil(g["group"]?.intValue)
            XCTAssertNotNil(g["viable"])
            XCTAssertNotNil(g["devices"]?.arrayValue)
            XCTAssertNotNil(g["reasons"]?.arrayValue)
        }
    }

    func testTokenNewPrintsATokenAndOnlyItsHashForTheFile() throws {
        let r = try cli.run(["token", "new", "--role", "admin", "--name", "ops"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = text(r).split(separator: "\n").map(String.init)
        let token = try XCTUnwrap(lines.first { $0.hasPrefix("token: ") }?.dropFirst(7))
        let entry = try XCTUnwrap(lines.first { $0.hasPrefix("admin sha256:") })
        XCTAssertFalse(entry.contains(token), "the token file line must not contain the token")
        XCTAssertEqual(try cli.run(["token", "new", "--role", "root"]).status, 2)
    }
}
