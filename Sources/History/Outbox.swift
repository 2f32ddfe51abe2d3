import Core
import Foundation

/// The alert outbox: alerts are written here first (durably, in the same database as the scans)
/// and delivered from here, so an alert that cannot be delivered is retried, never dropped.
extension HistoryStore {
    public enum DeliveryState: String, Sendable, Codable {
        case pending, delivered, failed, expired
    }

    public struct OutboxEntry: Sendable, Hashable, Codable {
        public var id: Int
        public var dedupeKey: String
        public var sink: String
        public var createdAt: String
        public var payload: JSONValue
        public var state: DeliveryState
        public var attempts: Int
        public var nextAttemptAt: String
        public var lastError: String?
        public var deliveredAt: String?
        public var expiresAt: String
    }

    /// Queues an alert for `sink` unless one with the same key was queued for it within
    /// `dedupeWindow` seconds. Returns the new entry's id, or nil when de-duplicated.
    @discardableResult
    public func enqueueAlert(key: String, sink: String, payload: JSONValue, now: Date = Date(),
                             dedupeWindow: TimeInterval = 86_400, ttl: TimeInterval = 86_400) throws(HistoryError) -> Int? {
        try withDatabase { (db) throws(HistoryError) -> Int? in
            try db.transaction { () throws(HistoryError) -> Int? in
                let t = now.timeIntervalSince1970
                let existing = try db.prepare("SELECT id FROM outbox WHERE dedupe_key = ? AND sink = ? AND created_at > ? LIMIT 1")
                    .rows([.text(key), .text(sink), .double(t - dedupeWindow)])
                if !existing.isEmpty { return nil }
                try db.prepare("""
                    INSERT INTO outbox(dedupe_key, sink, created_at, payload, state, attempts, next_attempt_at, expires_at)
                    VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)
                    """).run([.text(key), .text(sink), .double(t), .text(JSONWriter.string(payload)), .double(t), .double(t + ttl)])
                return Int(db.lastInsertRowID)
            }
        }
    }

    /// Pending alerts whose next attempt is due (only `sink`'s when given); expired ones are
    /// marked `expired` first.
    public func dueAlerts(now: Date = Date(), sink: String? = nil, limit: Int = 100) throws(HistoryError) -> [OutboxEntry] {
        try withDatabase { (db) throws(HistoryError) in
            let t = now.timeIntervalSince1970
            try db.prepare("UPDATE outbox SET state = 'expired' WHERE state = 'pending' AND expires_at <= ?").run([.double(t)])
            if let sink {
                return try db.prepare("\(HistoryStore.outboxColumns) WHERE state = 'pending' AND next_attempt_at <= ? AND sink = ? ORDER BY id LIMIT ?")
                    .rows([.double(t), .text(sink), .int(Int64(limit))]).map(HistoryStore.entry)
            }
            return try db.prepare("\(HistoryStore.outboxColumns) WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?")
                .rows([.double(t), .int(Int64(limit))]).map(HistoryStore.entry)
        }
    }

    public func markDelivered(id: Int, now: Date = Date()) throws(HistoryError) {
        try withDatabase { (db) throws(HistoryError) in
            try db.prepare("UPDATE outbox SET state = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL WHERE id = ?")
                .run([.double(now.timeIntervalSince1970), .int(Int64(id))])
        }
    }

    /// Records a failed attempt; the entry stays pending and is retried at `retryAt`.
    public func markFailed(id: Int, error: String, retryAt: Date) throws(HistoryError) {
        try withDatabase { (db) throws(HistoryError) in
            try db.prepare("UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?")
                .run([.text(error), .double(retryAt.timeIntervalSince1970), .int(Int64(id))])
        }
    }

    public func alerts(limit: Int = 100, state: DeliveryState? = nil) throws(HistoryError) -> [OutboxEntry] {
        try withDatabase { (db) throws(HistoryError) in
            if let s = state {
                return try db.prepare("\(HistoryStore.outboxColumns) WHERE state = ? ORDER BY id DESC LIMIT ?")
                    .rows([.text(s.rawValue), .int(Int64(limit))]).map(HistoryStore.entry)
            }
            return try db.prepare("\(HistoryStore.outboxColumns) ORDER BY id DESC LIMIT ?")
                .rows([.int(Int64(limit))]).map(HistoryStore.entry)
        }
    }

    /// Counts by delivery state, for metrics.
    public func alertCounts() throws(HistoryError) -> [DeliveryState: Int] {
        try withDatabase { (db) throws(HistoryError) in
            var out: [DeliveryState: Int] = [:]
            for r in try db.prepare("SELECT state, COUNT(*) FROM outbox GROUP BY state").rows() {
                if let s = r.text(0).flatMap(DeliveryState.init(rawValue:)) { out[s] = r.int(1) ?? 0 }
            }
            return out
        }
    }

    static let outboxColumns = "SELECT id, dedupe_key, sink, created_at, payload, state, attempts, next_attempt_at, last_error, delivered_at, expires_at FROM outbox"

    static func entry(_ r: Row) -> OutboxEntry {
        OutboxEntry(id: r.int(0) ?? 0, dedupeKey: r.text(1) ?? "", sink: r.text(2) ?? "",
                    createdAt: Timestamp.format(r.double(3) ?? 0),
                    payload: (try? JSONValue(parsing: Data((r.text(4) ?? "null").utf8))) ?? .null,
                    state: DeliveryState(rawValue: r.text(5) ?? "") ?? .failed, attempts: r.int(6) ?? 0,
                    nextAttemptAt: Timestamp.format(r.double(7) ?? 0), lastError: r.text(8),
                    deliveredAt: r.double(9).map { Timestamp.format($0) }, expiresAt: Timestamp.format(r.double(10) ?? 0))
    }
}
