import XCTest
@testable import Service

/// The history, reports, alerts and events sections of the configuration.
final class ServiceConfigOperationsTests: XCTestCase {
    func testSectionsAreRead() throws {
        let c = try ServiceConfig.parse("""
            events: false
            history:
              max_age_days: 7
              max_scans: 100
              full_reports: 3
            reports:
              directory: /srv/reports
              interval_seconds: 3600
              formats: [html]
              keep: 5
            alerts:
              new_finding_severities: [critical]
              grade_below: D
              host_score_drop: null
              libvirt_unreachable_seconds: 60
              webhook_url: https://hooks.example.net/va
              webhook_secret_file: /etc/virtaudit/secret
              command: [/usr/bin/logger, -t, virtaudit]
              retry_base_seconds: 2
            """, file: "va.yaml")
        XCTAssertFalse(c.events)
        XCTAssertEqual(c.history.maxAgeDays, 7)
        XCTAssertEqual(c.history.fullReports, 3)
        XCTAssertEqual(c.reports.directory, "/srv/reports")
        XCTAssertEqual(c.reports.formats, [.html])
        XCTAssertEqual(c.alerts.newFindingSeverities, [.critical])
        XCTAssertEqual(c.alerts.gradeBelow, "D")
        XCTAssertNil(c.alerts.hostScoreDrop)
        XCTAssertEqual(c.alerts.webhookURL, "https://hooks.example.net/va")
        XCTAssertEqual(c.alerts.command ?? [], ["/usr/bin/logger", "-t", "virtaudit"])
        XCTAssertEqual(c.alerts.retryBaseSeconds, 2)
    }

    func testBadValuesNameKeyAndLine() {
        let cases: [(String, String, Int)] = [
            ("history:\n  max_scanz: 3\n", "history.max_scanz", 2),
            ("reports:\n  interval_seconds: 30\n", "reports.interval_seconds", 2),
            ("reports:\n  formats: [pdf]\n", "reports.formats", 2),
            ("alerts:\n  grade_below: Z\n", "alerts.grade_below", 2),
            ("alerts:\n  webhook_url: ftp://x\n", "alerts.webhook_url", 2),
            ("alerts:\n  command: [notify]\n", "alerts.command", 2),
            ("alerts:\n  new_finding_severities: [urgent]\n", "alerts.new_finding_severities", 2),
            ("events: maybe\n", "events", 1),
        ]
        for (text, key, line) in cases {
            XCTAssertThrowsError(try ServiceConfig.parse(text, file: "va.yaml"), key) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(key), "\(key): \(message)")
                XCTAssertTrue(message.contains("va.yaml:\(line)"), "\(key): \(message)")
            }
        }
    }
}
