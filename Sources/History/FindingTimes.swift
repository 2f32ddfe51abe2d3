import Core
import Foundation

/// First-seen and last-seen times of each stable finding id (`FindingID`), kept in the history
/// database (table `finding_times`): a finding failing or unknown in a scan is "seen" at that
/// scan's start. Survives restarts; the same problem on two scans is one row.
extension HistoryStore {
    public struct FindingTimes: Sendable, Hashable, Codable {
        public var id: String
        public var firstSeen: String
        public var lastSeen: String
    }

    static let findingTimesTable = """
        CREATE TABLE IF NOT EXISTS finding_times (
            id TEXT PRIMARY KEY,
            first_seen REAL NOT NULL,
            last_seen REAL NOT NULL
        )
        """

    /// Records `ids` as seen at `at` (insert, or move `last_seen` forward).
    public func noteSeen(ids: [String], at: Date) throws(HistoryError) {
        guard !ids.isEmpty else { return }
        try withDatabase { (db) throws(HistoryError) in
            try db.execute(Self.findingTimesTable)
            try db.transaction { () throws(HistoryError) in
                let t = at.timeIntervalSince1970
                let st = try db.prepare("""
                    INSERT INTO finding_times(id, first_seen, last_seen) VALUES (?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen),
                                                  first_seen = min(first_seen, excluded.first_seen)
                    """)
                for id in ids { try st.run([.text(id), .double(t), .double(t)]) }
            }
        }
    }

    /// The times of the given ids (those never seen are absent).
    public func findingTimes(ids: [String]) throws(HistoryError) -> [String: FindingTimes] {
        guard !ids.isEmpty else { return [:] }
        return try withDatabase { (db) throws(HistoryError) -> [String: FindingTimes] in
            try db.execute(Self.findingTimesTable)
            var out: [String: FindingTimes] = [:]
            let st = try db.prepare("SELECT id, first_seen, last_seen FROM finding_times WHERE id = ?")
            for id in Set(ids) {
                for r in try st.rows([.text(id)]) {
                    out[id] = FindingTimes(id: id, firstSeen: Timestamp.format(r.double(1) ?? 0),
                                           lastSeen: Timestamp.format(r.double(2) ?? 0))
                }
            }
            return out
        }
    }

    /// Records every failing or unknown finding of `report` as seen at its start.
    public func noteSeen(_ report: ScanReport) throws(HistoryError) {
        var ids: [String] = []
        for f in report.host.findings where f.status == .fail || f.status == .unknown { if let id = f.id { ids.append(id) } }
        for d in report.domains {
            for f in d.findings where f.status == .fail || f.status == .unknown { if let id = f.id { ids.append(id) } }
        }
        let at = Timestamp.parse(report.startedAt).map { Date(timeIntervalSince1970: $0) } ?? Date()
        try noteSeen(ids: ids, at: at)
    }
}
