import Service
import XCTest

/// The `admission:` section read by `virtaudit admit`.
final class ServiceConfigAdmissionTests: XCTestCase {
    func testDefaultsWarnOnCriticalFailOpenWithinEightHundredMilliseconds() {
        let a = ServiceConfig.default.admission
        XCTAssertEqual(a.mode, .warn)
        XCTAssertEqual(a.denySeverities, [.critical])
        XCTAssertEqual(a.failurePolicy, .failOpen)
        XCTAssertEqual(a.timeoutMs, 800)
    }

    func testEveryAdmissionOptionIsRead() throws {
        let c = try ServiceConfig.parse("""
            admission:
              mode: enforce
              deny_severities: [critical, high]
              failure_policy: fail-closed
              timeout_ms: 300
            """)
        XCTAssertEqual(c.admission.mode, .enforce)
        XCTAssertEqual(c.admission.denySeverities, [.critical, .high])
        XCTAssertEqual(c.admission.failurePolicy, .failClosed)
        XCTAssertEqual(c.admission.timeoutMs, 300)
    }

    func testInvalidAdmissionValuesNameFileKeyAndLine() {
        let table: [(String, String, Int, String)] = [
            ("admission:\n  mode: block\n", "admission.mode", 2, "must be one of enforce, warn, dryrun, got 'block'"),
            ("admission:\n  failure_policy: open\n", "admission.failure_policy", 2, "must be one of fail-open, fail-closed, got 'open'"),
            ("admission:\n  timeout_ms: 0\n", "admission.timeout_ms", 2, "must be between 10 and 60000, got 0"),
            ("port: 9000\nadmission:\n  deny_severities: [fatal]\n", "admission.deny_severities", 3,
             "severities are critical, high, medium, low and info, got 'fatal'"),
        ]
        for (text, key, line, message) in table {
            XCTAssertThrowsError(try ServiceConfig.parse(text, file: "c.yaml"), text) { error in
                XCTAssertEqual(error as? ServiceConfigError, .invalidValue(file: "c.yaml", key: key, line: line, message: message))
                XCTAssertTrue("\(error)".hasPrefix("c.yaml:\(line): invalid value for '\(key)'"), "\(error)")
            }
        }
        XCTAssertThrowsError(try ServiceConfig.parse("admission:\n  modes: warn\n", file: "c.yaml")) { error in
            XCTAssertEqual(error as? ServiceConfigError, .unknownKey(file: "c.yaml", key: "admission.modes", line: 2))
        }
    }
}
