import Core
import Foundation
import Reporting
import XCTest

final class OCSFLogTests: XCTestCase {
    func report(_ id: String) -> ScanReport {
        var r = Sample.report(id, [Sample.domain("vm", score: 40, grade: "F", [Sample.finding("dac.root", .fail)])])
        FindingID.assign(&r, hostId: "0123456789abcdef0123456789abcdef")
        return r
    }

    func testScansAppendWholeLinesAndRotationKeepsOnlyTheNewestFiles() throws {
        let dir = Sample.tempDir() + "/ocsf"
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        let one = OCSFRenderer.render(report: report("s0"), rules: []).utf8.count
        // Room for two scans per file, two old files kept.
        let log = OCSFLog(directory: dir, maxBytes: one * 2 + one / 2, keep: 2)
        for i in 0..<7 { XCTAssertEqual(try log.append(report("s\(i)"), rules: []), 2) }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(files, ["findings.ocsf.jsonl", "findings.ocsf.jsonl.1", "findings.ocsf.jsonl.2"])
        func scans(_ name: String) throws -> [String] {
            try String(contentsOfFile: dir + "/" + name, encoding: .utf8).split(separator: "\n").map { line in
                let v = try JSONValue(parsing: Data(line.utf8))
                return String((v[path: "unmapped.scan_id"]?.stringValue ?? "?"))
            }
        }
        XCTAssertEqual(try scans("findings.ocsf.jsonl"), ["s6", "s6"])
        XCTAssertEqual(try scans("findings.ocsf.jsonl.1"), ["s4", "s4", "s5", "s5"])
        XCTAssertEqual(try scans("findings.ocsf.jsonl.2"), ["s2", "s2", "s3", "s3"])
        let attrs = try FileManager.default.attributesOfItem(atPath: log.path)
        XCTAssertEqual((attrs[.posixPermissions] as? NSNumber)?.intValue, 0o640)
    }

    func testKeepZeroTruncatesInsteadOfKeepingOldFiles() throws {
        let dir = Sample.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = OCSFLog(directory: dir, maxBytes: 10, keep: 0)
        try log.append(report("a"), rules: [])
        try log.append(report("b"), rules: [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["findings.ocsf.jsonl"])
        XCTAssertTrue(try String(contentsOfFile: log.path, encoding: .utf8).contains("\"scan_id\":\"b\""))
    }
}
