import Foundation
import XCTest
import Audit
import Core

/// Facts are documented JSON: every path in the schema appears in Docs/facts/.
final class DocumentationTests: XCTestCase {
    func testEveryFactPathIsDocumented() throws {
        let dir = LiveLab.repository + "/Docs/facts"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".md") }
        let docs = try files.map { try String(contentsOfFile: dir + "/" + $0, encoding: .utf8) }.joined(separator: "\n")
        var missing: [String] = []
        for field in Auditor.schema.sortedFields where !Self.documented(field.path, in: docs) {
            missing.append(field.path)
        }
        XCTAssertTrue(missing.isEmpty, "fact paths not in Docs/facts: \(missing)")
        XCTAssertGreaterThan(Auditor.schema.fields.count, 250)
    }

    /// Literally, or with one segment written as a placeholder (`process.namespaces.<kind>.inode`);
    /// an object counts as documented through its documented fields (`host.qemuConf.<key>.value`).
    static func documented(_ path: String, in docs: String) -> Bool {
        let tail = "(\\.[A-Za-z0-9_.<>\\[\\]]+)?`"
        let parts = path.split(separator: ".").map(String.init)
        let literal = "`" + parts.map { NSRegularExpression.escapedPattern(for: $0) }.joined(separator: "\\.") + tail
        if docs.range(of: literal, options: .regularExpression) != nil { return true }
        for i in parts.indices {
            var p = parts.map { NSRegularExpression.escapedPattern(for: $0) }
            p[i] = "<[a-zA-Z]+>"
            let pattern = "`" + p.joined(separator: "\\.") + tail
            if docs.range(of: pattern, options: .regularExpression) != nil { return true }
        }
        return false
    }
}
