import Core
import Foundation
@testable import History
import XCTest

/// Admission decisions in the history database: written by one store (the hook), read by
/// another (the service) on the same file.
final class AdmissionsTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = NSTemporaryDirectory() + "virtaudit-admissions-\(UUID().uuidString)" }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func record(_ domain: String, _ decision: String, mode: String = "enforce", at: Double) -> AdmissionRecord {
        AdmissionRecord(at: Timestamp.format(at), hostname: "hv1", actor: "libvirtd[42] uid 0", domain: domain,
                        uuid: "uuid-\(domain)", operation: "prepare begin", mode: mode, decision: decision,
                        rules: decision == "admit" ? [] : [["rule": "dac.label-not-root", "severity": "critical"]],
                        waived: decision == "admit" ? ["mac.labelling-enabled"] : [], failure: nil, durationMs: 12.5)
    }

    func testDecisionsWrittenByTheHookAreReadByAnotherStoreNewestFirst() throws {
        let now = Date().timeIntervalSince1970
        let hook = try HistoryStore(directory: dir)
        try hook.recordAdmission(record("a", "deny", at: now - 2))
        try hook.recordAdmission(record("b", "admit", at: now - 1))
        try hook.recordAdmission(record("a", "would-deny", mode: "warn", at: now))
        let service = try HistoryStore(directory: dir)
        let all = try service.admissions()
        XCTAssertEqual(all.map(\.decision), ["would-deny", "admit", "deny"])
        XCTAssertEqual(all.last?.rules, [["rule": "dac.label-not-root", "severity": "critical"]])
        XCTAssertEqual(all[1].waived, ["mac.labelling-enabled"])
        XCTAssertEqual(all.last?.actor, "libvirtd[42] uid 0")
        XCTAssertEqual(all.last?.durationMs, 12.5)
        XCTAssertEqual(try service.admissions(domain: "a").map(\.decision), ["would-deny", "deny"])
        XCTAssertEqual(try service.admissions(domain: "uuid-b").map(\.domain), ["b"])
        XCTAssertEqual(try service.admissions(decision: "deny").map(\.domain), ["a"])
        XCTAssertEqual(try service.admissions(limit: 1).count, 1)
        XCTAssertEqual(try service.admissionCounts(), [
            AdmissionCount(decision: "admit", mode: "enforce", count: 1), AdmissionCount(decision: "deny", mode: "enforce", count: 1),
            AdmissionCount(decision: "would-deny", mode: "warn", count: 1),
        ])
    }

    func testDecisionsOlderThanTheRetentionAreDropped() throws {
        let store = try HistoryStore(directory: dir, retention: .init(maxAge: 3600))
        let now = Date()
        try store.recordAdmission(record("old", "deny", at: now.timeIntervalSince1970 - 7200), now: now)
        try store.recordAdmission(record("new", "admit", at: now.timeIntervalSince1970), now: now)
        XCTAssertEqual(try store.admissions().map(\.domain), ["new"])
    }

    func testAnEmptyDatabaseHasNoDecisions() throws {
        let store = try HistoryStore(directory: dir)
        XCTAssertEqual(try store.admissions(), [])
        XCTAssertEqual(try store.admissionCounts(), [])
    }
}
