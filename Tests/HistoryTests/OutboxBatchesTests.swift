import Core
import Foundation
import History
import XCTest

final class OutboxBatchesTests: XCTestCase {
    func store() throws -> HistoryStore {
        let d = NSTemporaryDirectory() + "va-batches-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: d) }
        return try HistoryStore(directory: d)
    }

    func testBatchesForOneSinkMergeIntoOneAndReplaceTheOlder() throws {
        let s = try store()
        let first = try s.enqueueBatch(key: "k1", sink: "am-1", payload: [1], merge: { _ in .null })
        try s.enqueueBatch(key: "k1", sink: "am-2", payload: [1], merge: { _ in .null })
        var seen: [JSONValue] = []
        let second = try s.enqueueBatch(key: "k2", sink: "am-1", payload: [2], merge: { seen = $0; return [1, 2] })
        XCTAssertEqual(seen, [[1], [2]], "older pending payloads first, then the new one")
        let pending = try s.dueAlerts(sink: "am-1")
        XCTAssertEqual(pending.map(\.id), [second])
        XCTAssertEqual(pending.first?.payload, [1, 2])
        XCTAssertNil(try s.alerts(limit: 10).first { $0.id == first }, "merged into the new batch, not counted as expired")
        XCTAssertEqual(try s.alertCounts()[.expired], nil)
        XCTAssertEqual(try s.dueAlerts(sink: "am-2").count, 1, "another sink's batch is its own")
    }
}
