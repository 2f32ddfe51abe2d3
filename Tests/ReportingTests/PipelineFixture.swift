import Core
import Foundation
import Reporting
import XCTest

/// The pipeline-format fixtures (`Tests/Fixtures/pipeline/`) and the independent validators.
enum PipelineFixture {
    static var directory: String { Sample.repository + "/Tests/Fixtures/pipeline" }

    /// A scan of the `weak` fixture host (facts dropped, id and times fixed).
    static func weakScan() throws -> ScanReport {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: directory + "/weak.scan.json"))
        return try JSONValue(parsing: data).decode(ScanReport.self)
    }

    /// The texts of the repository's rules, as the CLI copies them out of the loaded policies.
    static func rules() throws -> [RuleText] {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: directory + "/rules.json"))
        let list = try XCTUnwrap(try JSONValue(parsing: data).arrayValue)
        return try list.map { r in
            RuleText(id: try XCTUnwrap(r["id"]?.stringValue), title: r["title"]?.stringValue ?? "",
                     layer: try XCTUnwrap(Layer(rawValue: r["layer"]?.stringValue ?? "")),
                     severity: try XCTUnwrap(Severity(rawValue: r["severity"]?.stringValue ?? "")),
                     expected: r["expected"]?.stringValue ?? "", rationale: r["rationale"]?.stringValue ?? "",
                     remediation: r["remediation"]?.stringValue ?? "",
                     references: r["references"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                     tags: r["tags"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
    }

    /// Compares with a golden file; VIRTAUDIT_UPDATE_GOLDEN=1 rewrites it instead.
    static func assertGolden(_ text: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = directory + "/" + name
        if ProcessInfo.processInfo.environment["VIRTAUDIT_UPDATE_GOLDEN"] == "1" {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let golden = try String(contentsOfFile: path, encoding: .utf8)
        if golden != text {
            let a = golden.split(separator: "\n", omittingEmptySubsequences: false)
            let b = text.split(separator: "\n", omittingEmptySubsequences: false)
            let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
            XCTFail("\(name) differs from the golden file at line \(i + 1):\n  golden: \(i < a.count ? String(a[i]) : "<end>")\n  now:    \(i < b.count ? String(b[i]) : "<end>")",
                    file: file, line: line)
        }
    }

    /// Runs `scripts/validate-pipeline-output KIND` on the text: (exit status, stdout + stderr).
    /// A missing consumer fails the test under VIRTAUDIT_REQUIRE_LIBVIRT=1 (CI) and skips it otherwise.
    static func validate(_ kind: String, _ text: String) throws -> (Int32, String) {
        let file = NSTemporaryDirectory() + "virtaudit-\(UUID().uuidString).\(kind)"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Sample.repository + "/scripts/validate-pipeline-output", kind, file]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if p.terminationStatus == 3 {
            if ProcessInfo.processInfo.environment["VIRTAUDIT_REQUIRE_LIBVIRT"] == "1" {
                XCTFail("validator missing: \(out)")
            } else {
                throw XCTSkip("validator missing: \(out)")
            }
        }
        return (p.terminationStatus, out)
    }
}
