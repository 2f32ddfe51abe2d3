import Core
import Foundation

/// Batched outbox entries, for a sink whose payload is a whole state (Alertmanager): a new batch
/// takes over the batches of the same sink still pending, merged into it, so at most one batch
/// per sink waits, and the newest state is never overtaken by an older one on a retry.
extension HistoryStore {
    /// Queues `payload` for `sink` as `merge(pending payloads, oldest first, + payload)`; the
    /// pending entries merged in are deleted (the new entry carries all they held, and they
    /// must not count as expired, which means lost). Returns the new id.
    @discardableResult
    public func enqueueBatch(key: String, sink: String, payload: JSONValue, now: Date = Date(), ttl: TimeInterval = 86_400,
                             merge: ([JSONValue]) -> JSONValue) throws(HistoryError) -> Int {
        try withDatabase { (db) throws(HistoryError) -> Int in
            try db.transaction { () throws(HistoryError) -> Int in
                let t = now.timeIntervalSince1970
                let older = try db.prepare("SELECT id, payload FROM outbox WHERE sink = ? AND state = 'pending' ORDER BY id")
                    .rows([.text(sink)])
                let payloads = older.map { (try? JSONValue(parsing: Data(($0.text(1) ?? "null").utf8))) ?? .null } + [payload]
                let merged = older.isEmpty ? payload : merge(payloads)
                try db.prepare("""
                    INSERT INTO outbox(dedupe_key, sink, created_at, payload, state, attempts, next_attempt_at, expires_at)
                    VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)
                    """).run([.text(key), .text(sink), .double(t), .text(JSONWriter.string(merged)), .double(t), .double(t + ttl)])
                let id = Int(db.lastInsertRowID)
                let delete = try db.prepare("DELETE FROM outbox WHERE id = ?")
                for r in older { try delete.run([.int(Int64(r.int(0) ?? 0))]) }
                return id
            }
        }
    }
}
