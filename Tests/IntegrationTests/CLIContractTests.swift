import Foundation
import XCTest
import Core

/// Runs the built `virtaudit` executable the way users and scripts do, and checks the output
/// contract and the exit statuses.
final class CLIContractTests: XCTestCase {
    typealias Run = CLI.Run

    func run(_ args: [String]) throws -> Run { try CLI.run(args) }

    func testJSONOutputCarriesTheDocumentedContract() throws {
        try LiveLab.requireLab()
        let r = try run(["scan", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try JSONValue(parsing: r.stdout)
        XCTAssertNotNil(doc[path: "host.facts"]?.objectValue)
        XCTAssertNotNil(doc[path: "host.findings"]?.arrayValue)
        let domains = try XCTUnwrap(doc["domains"]?.arrayValue)
        let root = try XCTUnwrap(domains.first { $0["name"] == .string(LiveLab.rootDAC) })
        for key in ["name", "uuid", "state", "facts", "findings", "score", "grade"] {
            XCTAssertNotNil(root[key], "domain lacks \(key)")
        }
        XCTAssertEqual(root[path: "facts.process.uid"], .int(0))
        XCTAssertNotNil(root[path: "facts.process.seccomp.mode"]?.intValue)
        XCTAssertNotNil(root[path: "facts.process.noNewPrivs"]?.boolValue)
        XCTAssertNotNil(root[path: "facts.process.capabilities.effective"]?.arrayValue)
        XCTAssertNotNil(root[path: "facts.process.namespaces.mnt.sharedWithHost"]?.boolValue)
        XCTAssertEqual(doc["format"], 2)
        XCTAssertEqual(doc["findingsListed"], "problems")
        let finding = try XCTUnwrap(root["findings"]?.arrayValue?.first)
        for key in ["id", "rule", "layer", "severity", "status", "observed", "reason", "pointsLost", "waiver"] {
            XCTAssertNotNil(finding[key], "finding lacks \(key)")
        }
        XCTAssertNotEqual(finding["status"], "pass", "passes are counted, not listed, by default")
        // The rule's texts are in `rules`, once per document.
        let rule = try XCTUnwrap(finding["rule"]?.stringValue)
        for key in ["title", "expected", "remediation", "rationale", "references"] {
            XCTAssertNotNil(doc["rules"]?[rule]?[key], "rules[\(rule)] lacks \(key)")
        }
        let verbose = try run(["scan", "--format", "json", "--verbose"])
        XCTAssertEqual(verbose.status, 0, verbose.stderr)
        let all = try JSONValue(parsing: verbose.stdout)
        XCTAssertEqual(all["findingsListed"], "all")
        let allRoot = try XCTUnwrap(all["domains"]?.arrayValue?.first { $0["name"] == .string(LiveLab.rootDAC) })
        XCTAssertTrue(allRoot["findings"]?.arrayValue?.contains { $0["status"] == "pass" } ?? false)
    }

    func testFailUnderExitsOneWhenAVMScoresBelow() throws {
        try LiveLab.requireLab()
        let r = try run(["scan", "--format", "json", "--fail-under", "101"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertFalse(r.stdout.isEmpty, "the report is still printed")
        let ok = try run(["scan", "--fail-under", "0"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
    }

    func testTableIsTheDefaultFormat() throws {
        try LiveLab.requireLab()
        let r = try run(["scan"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = String(decoding: r.stdout, as: UTF8.self)
        XCTAssertTrue(text.contains("NAME"), text)
        XCTAssertTrue(text.contains(LiveLab.rootDAC), text)
    }

    func testConnectionErrorExitsTwoWithOneLineReason() throws {
        let r = try run(["scan", "--connect", "test:///nonexistent/node.xml"])
        XCTAssertEqual(r.status, 2)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("virtaudit: "), r.stderr)
    }

    func testUsageErrorExitsTwo() throws {
        let r = try run(["scan", "--format", "yaml"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        let missing = try run(["scan", "--root", "/nonexistent-root"])
        XCTAssertEqual(missing.status, 2)
    }
}
