import Core
import Foundation
import History
import XCTest

final class FindingTimesTests: XCTestCase {
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
}
