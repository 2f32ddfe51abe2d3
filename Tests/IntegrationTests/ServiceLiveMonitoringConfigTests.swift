import Foundation
import XCTest

/// The shipped Prometheus files (packaging/prometheus) are valid for the real promtool, their
/// rules behave as their unit tests say, and they and Docs/monitoring.md name only metrics the
/// service exports, every one of which is documented.
final class ServiceLiveMonitoringConfigTests: ServiceLiveTestCase {
    static let dir = LiveLab.repository + "/packaging/prometheus"
    static let promtool = "/usr/bin/promtool"

    /// Metric family names declared in Sources/Reporting/Metrics.swift (`family("name", ...)`).
    func exportedFamilies() throws -> Set<String> {
        let source = try String(contentsOfFile: LiveLab.repository + "/Sources/Reporting/Metrics.swift", encoding: .utf8)
        let regex = try NSRegularExpression(pattern: #"family\("(virtaudit_[a-z_]+)""#)
        let names = regex.matches(in: source, range: NSRange(source.startIndex..., in: source)).compactMap {
            Range($0.range(at: 1), in: source).map { String(source[$0]) }
        }
        XCTAssertGreaterThan(names.count, 10, "metric families not found in Metrics.swift")
        return Set(names)
    }

    func virtauditNames(in text: String) throws -> Set<String> {
        let regex = try NSRegularExpression(pattern: #"\bvirtaudit_[a-z_]+[a-z]\b"#)
        return Set(regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range, in: text).map { String(text[$0]) }
        })
    }

    func testRulesFilePassesPromtoolCheckAndItsUnitTests() throws {
        try ServiceLive.requireTool(Self.promtool)
        let check = try ServiceLive.run(Self.promtool, ["check", "rules", Self.dir + "/virtaudit-rules.yml"])
        XCTAssertEqual(check.status, 0, check.out + check.err)
        XCTAssertTrue(check.out.contains("SUCCESS"), check.out)
        let unit = try ServiceLive.run(Self.promtool, ["test", "rules", Self.dir + "/virtaudit-rules.test.yml"])
        XCTAssertEqual(unit.status, 0, unit.out + unit.err)
    }

    func testExampleScrapeConfigPassesPromtoolCheck() throws {
        try ServiceLive.requireTool(Self.promtool)
        // promtool checks that the bearer token file exists: point it at a temporary one.
        let tmp = try tempDir()
        try "example-token\n".write(toFile: tmp + "/virtaudit.token", atomically: true, encoding: .utf8)
        let config = try String(contentsOfFile: Self.dir + "/prometheus.yml", encoding: .utf8)
        XCTAssertTrue(config.contains("credentials_file: /etc/prometheus/virtaudit.token"))
        try config.replacingOccurrences(of: "/etc/prometheus/virtaudit.token", with: tmp + "/virtaudit.token")
            .write(toFile: tmp + "/prometheus.yml", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: Self.dir + "/virtaudit-rules.yml", toPath: tmp + "/virtaudit-rules.yml")
        let check = try ServiceLive.run(Self.promtool, ["check", "config", tmp + "/prometheus.yml"])
        XCTAssertEqual(check.status, 0, check.out + check.err)
        XCTAssertTrue(check.out.contains("SUCCESS: 11 rules found"), check.out)
    }

    func testRulesUseOnlyExportedMetrics() throws {
        let exported = try exportedFamilies()
        let rules = try String(contentsOfFile: Self.dir + "/virtaudit-rules.yml", encoding: .utf8)
        let used = try virtauditNames(in: rules)
        XCTAssertFalse(used.isEmpty)
        XCTAssertEqual(used.subtracting(exported), [], "rules use metrics the service does not export")
    }

    func testMonitoringDocDescribesEveryExportedMetric() throws {
        let exported = try exportedFamilies()
        let doc = try String(contentsOfFile: LiveLab.repository + "/Docs/monitoring.md", encoding: .utf8)
        for name in exported.sorted() {
            XCTAssertTrue(doc.contains("`\(name)`"), "Docs/monitoring.md does not describe \(name)")
        }
        XCTAssertEqual(try virtauditNames(in: doc).subtracting(exported), [], "the doc names metrics the service does not export")
        let rules = try String(contentsOfFile: Self.dir + "/virtaudit-rules.yml", encoding: .utf8)
        let alertNames = rules.split(separator: "\n").compactMap { line -> String? in
            let t = line.trimmingCharacters(in: .whitespaces)
            return t.hasPrefix("- alert: ") ? String(t.dropFirst("- alert: ".count)) : nil
        }
        XCTAssertEqual(alertNames.count, 11)
        for a in alertNames { XCTAssertTrue(doc.contains(a), "Docs/monitoring.md does not describe the alert \(a)") }
    }
}
