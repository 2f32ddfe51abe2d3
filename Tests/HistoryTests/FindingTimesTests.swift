import Core
import Foundation
import History
import XCTest

final class FindingTimesTests: XCTestCase {
    func store() throws -> HistoryStore {
        let d = NSTemporaryDirectory() + "va-times-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: d) }
        return try HistoryStore(directory: d)
    }

    func testFirstSeenStaysAndLastSeenMovesAcrossScansAndReopening() throws {
        let d = NSTemporaryDirectory() + "va-times-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: d) }
        var s: HistoryStore? = try HistoryStore(directory: d)
        try s!.noteSeen(ids: ["va1-a", "va1-b"], at: Date(timeIntervalSince1970: 1000))
        try s!.noteSeen(ids: ["va1-a"], at: Date(timeIntervalSince1970: 2000))
        s = nil
        let reopened = try HistoryStore(directory: d)
        // An out-of-order (late-written) scan never moves last_seen back or first_seen forward.
        try reopened.noteSeen(ids: ["va1-a"], at: Date(timeIntervalSince1970: 1500))
        let t = try reopened.findingTimes(ids: ["va1-a", "va1-b", "va1-never"])
        XCTAssertEqual(t["va1-a"]?.firstSeen, Timestamp.format(1000))
        XCTAssertEqual(t["va1-a"]?.lastSeen, Timestamp.format(2000))
        XCTAssertEqual(t["va1-b"]?.lastSeen, Timestamp.format(1000))
        XCTAssertNil(t["va1-never"])
    }

    func testBatchesForOneSinkMergeIntoOneAndSupersedeTheOlder() throws {
        let s = try store()
        let first = try s.enqueueBatch(key: "k1", sink: "am-1", payload: [1], merge: { _ in .null })
        try s.enqueueBatch(key: "k1", sink: "am-2", payload: [1], merge: { _ in .null })
        var seen: [JSONValue] = []
        let second = try s.enqueueBatch(key: "k2", sink: "am-1", payload: [2], merge: { seen = $0; return [1, 2] })
        XCTAssertEqual(seen, [[1], [2]], "older pending payloads first, then the new one")
        let pending = try s.dueAlerts(sink: "am-1")
        XCTAssertEqual(pending.map(\.id), [second])
        XCTAssertEqual(pending.first?.payload, [1, 2])
        let old = try s.alerts(limit: 10).first { $0.id == first }
        XCTAssertEqual(old?.state, .expired)
        XCTAssertEqual(old?.lastError, "superseded by \(second)")
        XCTAssertEqual(try s.dueAlerts(sink: "am-2").count, 1, "another sink's batch is its own")
    }
}
