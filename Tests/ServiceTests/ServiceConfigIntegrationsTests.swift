import Foundation
import XCTest
@testable import Service

final class ServiceConfigIntegrationsTests: XCTestCase {
    func testAlertmanagerAndOCSFSectionsAreRead() throws {
        let c = try ServiceConfig.parse("""
            alerts:
              alertmanager:
                urls: [http://am1:9093, "https://am2:9093/prefix"]
                bearer_token_file: /etc/virtaudit/am.token
                severities: [critical]
                resend_seconds: 30
                timeout_seconds: 3
                dashboard_url: https://hv1:8470/
            ocsf:
              directory: /var/log/virtaudit
              max_bytes: 1048576
              keep: 3
            """)
        let am = try XCTUnwrap(c.alerts.alertmanager)
        XCTAssertEqual(am.urls, ["http://am1:9093", "https://am2:9093/prefix"])
        XCTAssertEqual(am.bearerTokenFile, "/etc/virtaudit/am.token")
        XCTAssertEqual(am.severities, [.critical])
        XCTAssertEqual(am.resendSeconds, 30)
        XCTAssertEqual(am.timeoutSeconds, 3)
        XCTAssertEqual(am.dashboardURL, "https://hv1:8470/")
        XCTAssertEqual(c.ocsf, { var o = ServiceConfig.OCSFOutput(); o.enabled = true; o.directory = "/var/log/virtaudit"
                                 o.maxBytes = 1_048_576; o.keep = 3; return o }())
        XCTAssertNil(ServiceConfig.default.alerts.alertmanager)
        XCTAssertFalse(ServiceConfig.default.ocsf.enabled)
    }

    func testBadValuesNameTheKeyAndLine() {
        let table: [(String, String, Int)] = [
            ("alerts:\n  alertmanager:\n    urls: [am1:9093]\n", "alerts.alertmanager.urls", 3),
            ("alerts:\n  alertmanager:\n    urls: []\n", "alerts.alertmanager.urls", 3),
            ("alerts:\n  alertmanager:\n    resend_seconds: 60\n", "alerts.alertmanager.urls", 3),
            ("alerts:\n  alertmanager:\n    urls: [http://a:1]\n    severities: [urgent]\n", "alerts.alertmanager.severities", 4),
            ("alerts:\n  alertmanager:\n    urls: [http://a:1]\n    resend_seconds: 1\n", "alerts.alertmanager.resend_seconds", 4),
            ("ocsf:\n  keep: -1\n", "ocsf.keep", 2),
            ("ocsf:\n  enabled: sometimes\n", "ocsf.enabled", 2),
        ]
        for (text, key, line) in table {
            XCTAssertThrowsError(try ServiceConfig.parse(text, file: "c.yaml"), text) { error in
                guard case .invalidValue(_, let k, let l, _) = error as? ServiceConfigError else {
                    return XCTFail("\(text): \(error)")
                }
                XCTAssertEqual(k, key, text)
                XCTAssertEqual(l, line, text)
            }
        }
        XCTAssertThrowsError(try ServiceConfig.parse("alerts:\n  alertmanager:\n    urls: [http://a:1]\n    token: x\n")) { error in
            XCTAssertEqual(error as? ServiceConfigError, .unknownKey(file: "<config>", key: "alerts.alertmanager.token", line: 4))
        }
    }

    func testEveryIntegrationKeyIsDocumentedAndInThePackagedFile() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let docs = try String(contentsOf: repo.appendingPathComponent("Docs/configuration.md"), encoding: .utf8)
        let packaged = try String(contentsOf: repo.appendingPathComponent("packaging/virtaudit.yaml"), encoding: .utf8)
        for key in ["alertmanager", "urls", "bearer_token_file", "severities", "resend_seconds", "dashboard_url",
                    "ocsf", "directory", "max_bytes", "keep"] {
            XCTAssertTrue(docs.contains("`\(key)`"), "Docs/configuration.md lacks \(key)")
            XCTAssertTrue(packaged.contains("\(key):"), "packaging/virtaudit.yaml lacks \(key)")
        }
        XCTAssertTrue(docs.contains("`timeout_seconds`"))
    }
}
