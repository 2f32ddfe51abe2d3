import Foundation
import XCTest
import Core
@testable import History

final class HistoryStoreTests: XCTestCase {
    var dir: String!

    override func setUp() {
        dir = NSTemporaryDirectory() + "virtaudit-history-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func finding(_ rule: String, _ status: FindingStatus, _ severity: Severity = .high) -> Finding {
        Finding(rule: rule, layer: .dac, severity: severity, status: status, observed: [:])
    }

    func report(_ id: String, at: Double, domains: [(String, Int, [Finding])], host: Int = 80) -> ScanReport {
        let ts = Timestamp.format(at)
        return ScanReport(
            scanId: id, startedAt: ts, finishedAt: ts, durationMs: 5, connection: "test:///default", root: "/",
            host: HostReport(hostname: "hv1", facts: [:], findings: [], score: Score(score: host, grade: "B", layers: [:])),
            domains: domains.map { name, score, findings in
                DomainReport(name: name, uuid: "uuid-\(name)", state: "running", id: 1, profile: "baseline", facts: [:],
                             findings: findings, score: Score(score: score, grade: score >= 90 ? "A" : "D", layers: [:]))
            })
    }

    func testRecordedScansComeBackNewestFirstWithScores() throws {
        let store = try HistoryStore(directory: dir)
        let t = Date().timeIntervalSince1970
        try store.record(report("s1", at: t - 20, domains: [("a", 95, [])]))
        try store.record(report("s2", at: t - 10, domains: [("a", 40, [finding("dac.non-root-user", .fail)])]))
        XCTAssertEqual(try store.scans().map(\.id), ["s2", "s1"])
        let points = try store.history(target: "uuid-a")
        XCTAssertEqual(points.map(\.score), [95, 40])
        XCTAssertEqual(points.last?.failing, 1)
        XCTAssertEqual(try store.history(target: "a").count, 2, "a VM can be looked up by name too")
        XCTAssertEqual(try store.history(target: "host").map(\.score), [80, 80])
    }

    func testDiffNamesNewResolvedAndChangedFindings() throws {
        let store = try HistoryStore(directory: dir)
        let t = Date().timeIntervalSince1970
        try store.record(report("s1", at: t - 20, domains: [
            ("a", 60, [finding("r.old", .fail), finding("r.same", .fail), finding("r.flip", .unknown)]),
            ("gone", 90, []),
        ]))
        try store.record(report("s2", at: t - 10, domains: [
            ("a", 50, [finding("r.same", .fail), finding("r.flip", .fail), finding("r.new", .fail, .critical)]),
            ("fresh", 99, []),
        ]))
        let d = try store.diff(from: "s1", to: "s2")
        XCTAssertEqual(d.new.map(\.finding.rule), ["r.new"])
        XCTAssertEqual(d.resolved.map(\.finding.rule), ["r.old"])
        XCTAssertEqual(d.changed.map(\.finding.rule), ["r.flip"])
        XCTAssertEqual(d.changed.first?.previous?.status, "unknown")
        XCTAssertEqual(d.addedTargets, ["fresh"])
        XCTAssertEqual(d.removedTargets, ["gone"])
        XCTAssertEqual(d.scoreChanges.first { $0.name == "a" }?.toScore, 50)
    }

    func testDiffOfUnknownScanIsNotFound() throws {
        let store = try HistoryStore(directory: dir)
        XCTAssertThrowsError(try store.diff(from: "nope", to: "nope2")) { e in
            XCTAssertEqual(e as? HistoryError, .notFound("scan nope"))
        }
    }

    func testRetentionByCountAndAgeAndFullReports() throws {
        let store = try HistoryStore(directory: dir, retention: .init(maxAge: 3600, maxScans: 3, fullReports: 1))
        let t = Date().timeIntervalSince1970
        try store.record(report("ancient", at: t - 7200, domains: []), now: Date(timeIntervalSince1970: t - 7200))
        for i in 1...4 { try store.record(report("s\(i)", at: t - Double(10 - i), domains: [])) }
        let kept = try store.scans()
        XCTAssertEqual(kept.map(\.id), ["s4", "s3", "s2"])
        XCTAssertEqual(kept.map(\.hasReport), [true, false, false])
        XCTAssertNotNil(try store.report(id: "s4"))
        XCTAssertNil(try store.report(id: "s2"))
    }

    func testStoredReportRoundTrips() throws {
        let store = try HistoryStore(directory: dir)
        let r = report("s1", at: Date().timeIntervalSince1970, domains: [("a", 70, [finding("x", .fail), finding("y", .pass)])])
        try store.record(r)
        let data = try XCTUnwrap(try store.report(id: "s1"))
        XCTAssertEqual(try JSONValue(parsing: data)["format"], 2)
        let back = try ResultsJSON.decodeReport(data)
        // The row is the serializer's problems listing: the pass is counted, not listed.
        XCTAssertEqual(back.findingsListed, .problems)
        XCTAssertEqual(back.domains[0].findings, [r.domains[0].findings[0]])
        XCTAssertEqual(back.domains[0].layers, r.domains[0].layers)
        XCTAssertEqual(back.host, r.host)
        XCTAssertEqual(back.scanId, r.scanId)
        XCTAssertEqual(Array(back.rules.keys), ["x"], "texts of the listed findings only")
    }

    func testDatabaseIsInWALMode() throws {
        _ = try HistoryStore(directory: dir)
        let db = try SQLiteDatabase(path: dir + "/history.sqlite3")
        XCTAssertEqual(try db.prepare("PRAGMA journal_mode").rows().first?.text(0), "wal")
    }

    func testCorruptDatabaseIsAClearErrorAtOpen() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let garbage = Data("SQLite format 3\0".utf8) + Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        FileManager.default.createFile(atPath: dir + "/history.sqlite3", contents: garbage)
        XCTAssertThrowsError(try HistoryStore(directory: dir)) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("history.sqlite3"), text)
            XCTAssertTrue(text.contains("corrupt") || text.contains("not a database"), text)
        }
    }

    func testUnwritableDataDirectoryIsAClearErrorAtOpen() throws {
        // A regular file where the data directory should be: cannot be created, for root too.
        FileManager.default.createFile(atPath: dir, contents: Data("x".utf8))
        XCTAssertThrowsError(try HistoryStore(directory: dir + "/sub")) { e in
            XCTAssertTrue("\(e)".contains(dir), "\(e)")
        }
    }

    func testOutboxDeduplicatesRetriesAndExpires() throws {
        let store = try HistoryStore(directory: dir)
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let id = try XCTUnwrap(try store.enqueueAlert(key: "finding:a:r", sink: "webhook", payload: ["x": 1], now: t0, ttl: 600))
        XCTAssertNil(try store.enqueueAlert(key: "finding:a:r", sink: "webhook", payload: ["x": 1], now: t0.addingTimeInterval(5)))
        XCTAssertNotNil(try store.enqueueAlert(key: "finding:a:r", sink: "command", payload: ["x": 1], now: t0))
        XCTAssertEqual(try store.dueAlerts(now: t0).count, 2)
        try store.markFailed(id: id, error: "HTTP 500", retryAt: t0.addingTimeInterval(30))
        XCTAssertEqual(try store.dueAlerts(now: t0.addingTimeInterval(10)).map(\.id).contains(id), false)
        let retry = try store.dueAlerts(now: t0.addingTimeInterval(31)).first { $0.id == id }
        XCTAssertEqual(retry?.attempts, 1)
        XCTAssertEqual(retry?.lastError, "HTTP 500")
        try store.markDelivered(id: id, now: t0.addingTimeInterval(32))
        XCTAssertEqual(try store.alerts(state: .delivered).map(\.id), [id])
        // The other one was never delivered and expires after its ttl.
        XCTAssertTrue(try store.dueAlerts(now: t0.addingTimeInterval(100_000)).isEmpty)
        XCTAssertEqual(try store.alertCounts()[.expired], 1)
    }

    func testKillNineDuringWritesLosesNoCommittedScan() throws {
        let writer = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("history-crash-writer").path
        let exe = FileManager.default.isExecutableFile(atPath: writer) ? writer
            : Bundle.main.bundleURL.appendingPathComponent("history-crash-writer").path
        guard FileManager.default.isExecutableFile(atPath: exe) else { return XCTFail("history-crash-writer not built at \(exe)") }
        for round in 0..<3 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = [dir]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            // Let it commit a varying number of scans, then SIGKILL it mid-write.
            var committed: [String] = []
            var buffer = Data()
            let target = 5 + round * 7
            while committed.count < target {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                committed = String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init)
            }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            buffer.append(out.fileHandleForReading.readDataToEndOfFile())
            let text = String(decoding: buffer, as: UTF8.self)
            committed = text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
            // A line cut by the kill is not a complete id; only full lines count as committed.
            if !text.hasSuffix("\n"), !committed.isEmpty { committed.removeLast() }
            XCTAssertEqual(p.terminationReason, .uncaughtSignal)
            let store = try HistoryStore(directory: dir, retention: .init(maxScans: 100_000))
            let stored = Set(try store.scans(limit: 100_000).map(\.id))
            let lost = committed.filter { !stored.contains($0) }
            XCTAssertTrue(lost.isEmpty, "round \(round): committed scans lost after kill -9: \(lost)")
            XCTAssertGreaterThanOrEqual(committed.count, target)
        }
    }
}
