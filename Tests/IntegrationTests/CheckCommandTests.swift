import Core
import Foundation
import XCTest

/// `virtaudit check` as scripts and CI run it: exit 0 clean, 1 failing findings, 2 unusable
/// input (with the file and line on stderr), `-` for standard input.
final class CheckCommandTests: XCTestCase {
    static let fixtures = LiveLab.repository + "/Tests/Fixtures/check/"

    func check(_ args: [String], stdin: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.executable)
        p.arguments = ["check"] + args
        p.currentDirectoryURL = URL(fileURLWithPath: Self.fixtures)
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let s = stdin { inp.fileHandleForWriting.write(Data(s.utf8)) }
        try inp.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testExitStatusFollowsFailOnAndFailUnder() throws {
        // The template fails a critical rule (seclabel type='none').
        XCTAssertEqual(try check(["template-gpu.xml"]).status, 1)
        XCTAssertEqual(try check(["--fail-on", "critical", "template-gpu.xml"]).status, 1)
        // The saved live XML of va-rootdac: its +0:+0 DAC label (critical) and a low-severity rule.
        XCTAssertEqual(try check(["live-va-rootdac.xml"]).status, 1)
        XCTAssertEqual(try check(["--fail-on", "critical", "live-va-rootdac.xml"]).status, 1)
        // The confined guest's inactive XML fails only a low-severity rule.
        XCTAssertEqual(try check(["--fail-on", "medium", "inactive-va-confined.xml"]).status, 0)
        XCTAssertEqual(try check(["--fail-on", "medium", "--fail-under", "100", "inactive-va-confined.xml"]).status, 1)
    }

    func testUnusableInputExitsTwoNamingFileAndLine() throws {
        let r = try check(["live-va-rootdac.xml", "-"], stdin: "just some words\nmore words\n")
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("-:1: unrecognised input"), r.stderr)
        XCTAssertEqual(r.stdout, "", "nothing is printed when an input is unusable")
        let empty = try check(["-"], stdin: "")
        XCTAssertEqual(empty.status, 2)
        XCTAssertTrue(empty.stderr.contains("empty"), empty.stderr)
        let missing = try check(["no-such-file.xml"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("no-such-file.xml"), missing.stderr)
    }

    func testStdinAndJSONWithIgnoredLines() throws {
        let paste = try String(contentsOfFile: Self.fixtures + "status-partial-root.txt", encoding: .utf8) + "thanks!\n"
        let r = try check(["--format", "json", "-"], stdin: paste)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("warning: -: /proc/<pid>/status partly recognised; 1 line(s) ignored"), r.stderr)
        let doc = try JSONValue(parsing: Data(r.stdout.utf8))
        XCTAssertEqual(doc["inputs"]?.arrayValue?.first?["ignoredLines"]?.arrayValue?.first?["text"], .string("thanks!"))
        let findings = doc["targets"]?.arrayValue?.first?["findings"]?.arrayValue ?? []
        XCTAssertTrue(findings.contains { $0["status"] == .string("not-applicable-offline") })
    }

    /// Runs scripts/validate-pipeline-output on `text`; skips when its consumer is not installed.
    func validate(_ kind: String, _ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "va-check-\(UUID().uuidString).\(kind)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", LiveLab.repository + "/scripts/validate-pipeline-output", kind, path]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if p.terminationStatus == 3 {
            if LiveLab.required { XCTFail(e) }
            throw XCTSkip(e)
        }
        XCTAssertEqual(p.terminationStatus, 0, e)
        return o
    }

    func testSARIFPointsAtTheTemplateLinesAndValidates() throws {
        let r = try check(["--format", "sarif", "template-gpu.xml", "iommu-groups-gpu.txt", "lspci-k-gpu.txt"])
        XCTAssertEqual(r.status, 1, "the template fails")
        let doc = try JSONValue(parsing: Data(r.stdout.utf8))
        let results = doc["runs"]?.arrayValue?.first?["results"]?.arrayValue ?? []
        func line(_ rule: String) -> Int? {
            results.first { $0["ruleId"] == .string(rule) }?["locations"]?.arrayValue?.first?[path: "physicalLocation.region.startLine"]?.intValue
        }
        XCTAssertEqual(line("mac.labelling-enabled"), 24)
        XCTAssertEqual(line("device-surface.graphics-loopback"), 18)
        XCTAssertEqual(line("device-isolation.group-viable"), 13)
        XCTAssertFalse(results.contains { $0["ruleId"] == .string("dac.non-root-user") }, "offline rules are no results")
        XCTAssertTrue(try validate("sarif", r.stdout).contains("sarif valid"))
    }

    func testJUnitParsesWithOneSuitePerVM() throws {
        let r = try check(["--format", "junit", "template-gpu.xml", "vfio-guest.args"])
        XCTAssertEqual(r.status, 1)
        let out = try validate("junit", r.stdout)
        XCTAssertTrue(out.contains("suite vm tpl-gpu"), out)
        XCTAssertTrue(out.contains("suite vm vfio-guest"), out)
    }
}
