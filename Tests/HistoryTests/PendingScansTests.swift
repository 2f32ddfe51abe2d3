import Foundation
import XCTest
import Core
@testable import History

/// Scans that cannot be written (a full disk) are held and written once space returns, in order;
/// on a real 2 MiB tmpfs, so that SQLite meets the real ENOSPC.
final class PendingScansTests: XCTestCase {
    var mountPoint: String!

    override func setUpWithError() throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a tmpfs needs root") }
        mountPoint = NSTemporaryDirectory() + "virtaudit-fullfs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint]
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else { throw XCTSkip("cannot mount a tmpfs here") }
    }

    override func tearDownWithError() throws {
        guard let mountPoint else { return }
        let umount = Process()
        umount.executableURL = URL(fileURLWithPath: "/bin/umount")
        umount.arguments = [mountPoint]
        try umount.run()
        umount.waitUntilExit()
        try? FileManager.default.removeItem(atPath: mountPoint)
    }

    func report(_ id: String, at: Double, score: Int) -> ScanReport {
        let ts = Timestamp.format(at)
        let findings = (0..<5).map {
            Finding(rule: "dac.rule-\($0)", layer: .dac, severity: .high, status: .fail, observed: [:])
        }
        return ScanReport(
            scanId: id, startedAt: ts, finishedAt: ts, durationMs: 5, connection: "test:///default", root: "/",
            host: HostReport(hostname: "hv1", facts: [:], findings: [], score: Score(score: score, grade: "B", layers: [:])),
            domains: (0..<5).map { (i: Int) -> DomainReport in
                DomainReport(name: "vm\(i)", uuid: "uuid-\(i)", state: "running", id: i, profile: "baseline", facts: [:],
                             findings: findings, score: Score(score: score, grade: "D", layers: [:]))
            })
    }

    /// Fills the file system to the last byte.
    func fill() throws -> String {
        let filler = mountPoint + "/filler"
        let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        let block = [UInt8](repeating: 0xAA, count: 4096)
        while block.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        var one: UInt8 = 1
        while write(fd, &one, 1) == 1 {}
        close(fd)
        return filler
    }

    func testScansHeldWhileTheDiskIsFullAreWrittenInOrderWhenSpaceReturns() throws {
        let store = try HistoryStore(directory: mountPoint + "/data")
        let t = Date().timeIntervalSince1970
        XCTAssertTrue(store.persist(report("before", at: t - 100, score: 90)).persisted)
        let filler = try fill()

        var failed: [HistoryStore.PersistOutcome] = []
        for i in 0..<30 {
            let outcome = store.persist(report("full-\(i)", at: t - 90 + Double(i), score: 50 + i))
            failed.append(outcome)
        }
        XCTAssertEqual(failed.filter(\.persisted).count, 0, "nothing fits on a full disk")
        XCTAssertTrue(failed.allSatisfy { $0.error?.contains("full") == true }, failed.first?.error ?? "no error")
        var state = store.persistence
        XCTAssertEqual(state.pending, 30)
        XCTAssertFalse(state.healthy)
        XCTAssertGreaterThanOrEqual(state.failures, 30)
        XCTAssertEqual(state.dropped, 0)
        XCTAssertEqual(store.retryPending(), [], "still full: nothing written")

        try FileManager.default.removeItem(atPath: filler)
        let written = store.retryPending()
        XCTAssertEqual(written, (0..<30).map { "full-\($0)" })
        state = store.persistence
        XCTAssertEqual(state.pending, 0)
        XCTAssertEqual(state.writtenLate, 30)
        XCTAssertNil(state.lastError)
        let ids = try store.scans(limit: 100).map(\.id)
        XCTAssertEqual(ids, (0..<30).reversed().map { "full-\($0)" } + ["before"], "every scan, in scan order")
        XCTAssertEqual(try store.history(target: "uuid-3").map(\.score), [90] + (0..<30).map { 50 + $0 })
        XCTAssertNotNil(try store.report(id: "full-29"), "the newest held scan keeps its report document")
        XCTAssertNil(try store.report(id: "full-0"), "older held scans keep scores and findings only")
    }

    func testANewScanIsWrittenAfterTheHeldOnes() throws {
        let store = try HistoryStore(directory: mountPoint + "/data")
        let t = Date().timeIntervalSince1970
        let filler = try fill()
        XCTAssertFalse(store.persist(report("a", at: t - 3, score: 60)).persisted)
        XCTAssertFalse(store.persist(report("b", at: t - 2, score: 61)).persisted)
        try FileManager.default.removeItem(atPath: filler)
        let outcome = store.persist(report("c", at: t - 1, score: 62))
        XCTAssertTrue(outcome.persisted)
        XCTAssertEqual(outcome.writtenLate, ["a", "b"])
        XCTAssertEqual(try store.scans().map(\.id), ["c", "b", "a"])
    }
}

/// Rows the database refuses for good are not retried (they would block every later scan).
final class RefusedScansTests: XCTestCase {
    func report(_ id: String, uuids: [String]) -> ScanReport {
        let ts = Timestamp.format(Date().timeIntervalSince1970)
        return ScanReport(
            scanId: id, startedAt: ts, finishedAt: ts, durationMs: 5, connection: "test:///default", root: "/",
            host: HostReport(hostname: "hv1", facts: [:], findings: [], score: Score(score: 80, grade: "B", layers: [:])),
            domains: uuids.enumerated().map { (i: Int, uuid: String) -> DomainReport in
                DomainReport(name: "vm\(i)", uuid: uuid, state: "running", id: i, profile: "baseline", facts: [:],
                             findings: [], score: Score(score: 50 + i, grade: "D", layers: [:]))
            })
    }

    func testTargetsSharingAUUIDAreAllWritten() throws {
        let dir = NSTemporaryDirectory() + "virtaudit-refused-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try HistoryStore(directory: dir)
        let outcome = store.persist(report("s1", uuids: ["u-1", "u-1", "", ""]))
        XCTAssertTrue(outcome.persisted, outcome.error ?? "")
        XCTAssertEqual(try store.history(target: "u-1").map(\.score), [50])
        XCTAssertEqual(try store.history(target: "u-1~2").map(\.score), [51])
        XCTAssertEqual(try store.history(target: "vm3").map(\.score), [53], "the second VM without a UUID, by name")
    }

    func testARefusedScanIsDroppedAndCountedAndLaterScansAreWritten() throws {
        let dir = NSTemporaryDirectory() + "virtaudit-refused-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try HistoryStore(directory: dir)
        XCTAssertTrue(store.persist(report("same", uuids: ["u-1"])).persisted)
        let again = store.persist(report("same", uuids: ["u-1"]))
        XCTAssertFalse(again.persisted)
        XCTAssertEqual(again.dropped, 1)
        XCTAssertTrue(again.error?.contains("UNIQUE constraint failed") == true, again.error ?? "")
        XCTAssertTrue(again.error?.hasSuffix("(not retried: the database refuses this scan)") == true, again.error ?? "")
        let state = store.persistence
        XCTAssertEqual(state.pending, 0, "not held: it would block every later scan")
        XCTAssertEqual(state.dropped, 1)
        XCTAssertEqual(state.failures, 1)
        XCTAssertTrue(store.persist(report("next", uuids: ["u-1"])).persisted)
        XCTAssertEqual(try store.scans().map(\.id), ["next", "same"])
    }
}
