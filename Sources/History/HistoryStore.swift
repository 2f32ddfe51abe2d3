import CSQLite
import Core
import Foundation
import Synchronization

/// Keeps every scan's scores and non-passing findings, the last few complete reports, and the
/// alert outbox, in one SQLite database file (WAL mode, synchronous=FULL: a committed scan survives
/// a crash or `kill -9` of the service).
public final class HistoryStore: Sendable {
    public struct Retention: Sendable, Hashable {
        /// Scans older than this are deleted (seconds; default 90 days).
        public var maxAge: TimeInterval
        /// At most this many scans are kept (default 5,000).
        public var maxScans: Int
        /// Complete report documents kept for the newest scans (default 20).
        public var fullReports: Int
        public init(maxAge: TimeInterval = 90 * 86_400, maxScans: Int = 5_000, fullReports: Int = 20) {
            self.maxAge = maxAge
            self.maxScans = maxScans
            self.fullReports = fullReports
        }
    }

    public let path: String
    public let retention: Retention
    private let db: Mutex<SQLiteBox>
    /// Scans that could not be written yet, oldest first (see `persist(_:)`).
    let backlog = Mutex(Backlog())

    static let schemaVersion = 1

    /// Opens (creating if needed) `<directory>/history.sqlite3`. A corrupt or unwritable database
    /// is an error naming the file, raised here at start rather than on the first write.
    public init(directory: String, retention: Retention = Retention()) throws(HistoryError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
        } catch {
            throw HistoryError.open(path: directory, message: "cannot create data directory: \(error.localizedDescription)")
        }
        path = directory + "/history.sqlite3"
        self.retention = retention
        let database = try SQLiteDatabase(path: path)
        try HistoryStore.check(database)
        try HistoryStore.migrate(database)
        db = Mutex(SQLiteBox(database))
    }

    private static func check(_ db: SQLiteDatabase) throws(HistoryError) {
        let rows: [Row]
        do throws(HistoryError) {
            rows = try db.prepare("PRAGMA quick_check").rows()
        } catch {
            throw HistoryError.corrupt(path: db.path, message: "\(error)")
        }
        let result = rows.first?.text(0) ?? "no answer"
        if result != "ok" { throw HistoryError.corrupt(path: db.path, message: result) }
        do throws(HistoryError) {
            let mode = try db.prepare("PRAGMA journal_mode=WAL").rows().first?.text(0)
            if mode?.lowercased() != "wal" { throw HistoryError.open(path: db.path, message: "cannot enable WAL (journal_mode \(mode ?? "?"))") }
            try db.execute("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
            // Fails now, not at the first scan, when the file or directory is read-only.
            try db.execute("BEGIN IMMEDIATE; ROLLBACK;")
        } catch {
            if case .query(let p, let m) = error { throw HistoryError.open(path: p, message: m) }
            throw error
        }
    }

    private static func migrate(_ db: SQLiteDatabase) throws(HistoryError) {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS scans (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                started_at REAL NOT NULL,
                finished_at REAL NOT NULL,
                host_score INTEGER NOT NULL,
                host_grade TEXT NOT NULL,
                stale INTEGER NOT NULL,
                domain_count INTEGER NOT NULL,
                report BLOB
            );
            CREATE TABLE IF NOT EXISTS targets (
                scan_seq INTEGER NOT NULL REFERENCES scans(seq) ON DELETE CASCADE,
                target TEXT NOT NULL,
                name TEXT NOT NULL,
                state TEXT NOT NULL,
                score INTEGER NOT NULL,
                grade TEXT NOT NULL,
                findings TEXT NOT NULL,
                PRIMARY KEY (scan_seq, target)
            );
            CREATE INDEX IF NOT EXISTS targets_by_target ON targets(target, scan_seq);
            CREATE TABLE IF NOT EXISTS outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                dedupe_key TEXT NOT NULL,
                sink TEXT NOT NULL,
                created_at REAL NOT NULL,
                payload TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at REAL NOT NULL,
                last_error TEXT,
                delivered_at REAL,
                expires_at REAL NOT NULL
            );
            CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_at);
            CREATE INDEX IF NOT EXISTS outbox_key ON outbox(dedupe_key, sink, created_at);
            INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '\(schemaVersion)');
            """)
    }

    func withDatabase<T>(_ body: (SQLiteDatabase) throws(HistoryError) -> T) throws(HistoryError) -> T {
        try db.withLock { (box: inout SQLiteBox) throws(HistoryError) -> T in try body(box.db) }
    }

    // MARK: Scans

    /// Stores one scan atomically, then applies retention. Throws when the database cannot take
    /// it (disk full, I/O error); `persist(_:)` keeps such scans and writes them later.
    public func record(_ report: ScanReport, now: Date = Date()) throws(HistoryError) {
        if let failure = write(ScanRows(report, now: now), now: now) { throw failure.error }
    }

    /// Why a write failed, and whether trying again later can succeed (a full disk, an I/O
    /// error, a lock) or cannot (rows the schema refuses).
    struct WriteFailure: Error {
        var error: HistoryError
        var retryable: Bool
    }

    /// SQLite result codes after which the same write can succeed later.
    static let transientCodes: Set<Int32> = [SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN,
                                             SQLITE_READONLY, SQLITE_NOMEM, SQLITE_PROTOCOL]

    /// Writes one scan's rows in one transaction, then applies retention; nil when written.
    func write(_ scan: ScanRows, now: Date = Date()) -> WriteFailure? {
        do {
            try withDatabase { (db) throws(HistoryError) in
                db.lastFailureCode = SQLITE_OK
                try writeRows(scan, db, now: now)
            }
            return nil
        } catch {
            let code = (try? withDatabase { (db) throws(HistoryError) in db.lastFailureCode }) ?? SQLITE_OK
            return WriteFailure(error: error, retryable: HistoryStore.transientCodes.contains(code))
        }
    }

    private func writeRows(_ scan: ScanRows, _ db: SQLiteDatabase, now: Date) throws(HistoryError) {
        try db.transaction { () throws(HistoryError) in
            try db.prepare("""
                INSERT INTO scans(id, started_at, finished_at, host_score, host_grade, stale, domain_count, report)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """).run([.text(scan.id), .double(scan.startedAt), .double(scan.finishedAt), .int(Int64(scan.hostScore)),
                          .text(scan.hostGrade), .int(scan.stale ? 1 : 0), .int(Int64(scan.domainCount)),
                          scan.document.map { .blob($0) } ?? .null])
            let seq = db.lastInsertRowID
            let insert = try db.prepare("INSERT INTO targets(scan_seq, target, name, state, score, grade, findings) VALUES (?, ?, ?, ?, ?, ?, ?)")
            for t in scan.targets {
                try insert.run([.int(seq), .text(t.target), .text(t.name), .text(t.state), .int(Int64(t.score)),
                                .text(t.grade), .text(t.findings)])
            }
        }
        try prune(db, now: now)
    }

    private func prune(_ db: SQLiteDatabase, now: Date) throws(HistoryError) {
        try db.prepare("DELETE FROM scans WHERE finished_at < ?").run([.double(now.timeIntervalSince1970 - retention.maxAge)])
        try db.prepare("DELETE FROM scans WHERE seq NOT IN (SELECT seq FROM scans ORDER BY seq DESC LIMIT ?)")
            .run([.int(Int64(retention.maxScans))])
        try db.prepare("UPDATE scans SET report = NULL WHERE report IS NOT NULL AND seq NOT IN (SELECT seq FROM scans ORDER BY seq DESC LIMIT ?)")
            .run([.int(Int64(retention.fullReports))])
    }

    /// Only what a diff needs: non-passing findings, as compact JSON rows.
    static func encodeFindings(_ findings: [Finding], rules: [String: RuleText]) -> String {
        let rows: [JSONValue] = TargetSnapshot.stored(findings, rules: rules).map {
            .array([.string($0.rule), .string($0.status), .string($0.severity), .string($0.layer), .string($0.title)])
        }
        return JSONWriter.string(.array(rows))
    }

    static func decodeFindings(_ text: String) -> [StoredFinding] {
        guard let value = try? JSONValue(parsing: Data(text.utf8)), let rows = value.arrayValue else { return [] }
        return rows.compactMap { row in
            guard let a = row.arrayValue, a.count >= 5, let rule = a[0].stringValue, let status = a[1].stringValue,
                  let severity = a[2].stringValue, let layer = a[3].stringValue, let title = a[4].stringValue else { return nil }
            return StoredFinding(rule: rule, status: status, severity: severity, layer: layer, title: title)
        }
    }

    public func scans(limit: Int = 100) throws(HistoryError) -> [ScanEntry] {
        try withDatabase { (db) throws(HistoryError) in
            try db.prepare("SELECT id, started_at, finished_at, host_score, host_grade, stale, domain_count, report IS NOT NULL FROM scans ORDER BY seq DESC LIMIT ?")
                .rows([.int(Int64(limit))]).map(ScanEntry.init(row:))
        }
    }

    /// Scores of one target (`host` or a VM uuid/name) over time, oldest first.
    public func history(target: String, limit: Int = 500) throws(HistoryError) -> [HistoryPoint] {
        try withDatabase { (db) throws(HistoryError) in
            try db.prepare("""
                SELECT s.id, s.finished_at, t.score, t.grade, t.state, t.name, t.findings FROM targets t
                JOIN scans s ON s.seq = t.scan_seq WHERE t.target = ? OR (t.name = ? AND t.target != 'host')
                ORDER BY s.seq DESC LIMIT ?
                """).rows([.text(target), .text(target), .int(Int64(limit))]).reversed().map { r in
                HistoryPoint(scanId: r.text(0) ?? "", at: Timestamp.format(r.double(1) ?? 0), score: r.int(2) ?? 0,
                             grade: r.text(3) ?? "?", state: r.text(4) ?? "", name: r.text(5) ?? "",
                             failing: HistoryStore.decodeFindings(r.text(6) ?? "[]").filter { $0.status == "fail" }.count)
            }
        }
    }

    /// The complete report of a recent scan (nil when retention dropped its document).
    public func report(id: String) throws(HistoryError) -> Data? {
        try withDatabase { (db) throws(HistoryError) in
            try db.prepare("SELECT report FROM scans WHERE id = ?").rows([.text(id)]).first?.blob(0)
        }
    }

    public func latestScanIDs(_ n: Int) throws(HistoryError) -> [String] {
        try scans(limit: n).map(\.id)
    }

    /// What changed between two scans: findings that appeared, disappeared or changed status or
    /// severity, per target, plus targets added and removed and score changes.
    public func diff(from: String, to: String) throws(HistoryError) -> ScanDiff {
        try withDatabase { (db) throws(HistoryError) in
            func load(_ id: String) throws(HistoryError) -> (at: String, targets: [String: TargetSnapshot]) {
                guard let scan = try db.prepare("SELECT seq, finished_at FROM scans WHERE id = ?").rows([.text(id)]).first,
                      let seq = scan.int(0) else { throw HistoryError.notFound("scan \(id)") }
                var targets: [String: TargetSnapshot] = [:]
                for r in try db.prepare("SELECT target, name, score, grade, findings FROM targets WHERE scan_seq = ?").rows([.int(Int64(seq))]) {
                    targets[r.text(0) ?? ""] = TargetSnapshot(name: r.text(1) ?? "", score: r.int(2) ?? 0, grade: r.text(3) ?? "?",
                                                              findings: HistoryStore.decodeFindings(r.text(4) ?? "[]"))
                }
                return (Timestamp.format(scan.double(1) ?? 0), targets)
            }
            let a = try load(from), b = try load(to)
            return ScanDiff.between(from: from, at: a.at, a.targets, to: to, at: b.at, b.targets)
        }
    }
}

/// The database handle, owned by the store's mutex.
struct SQLiteBox: @unchecked Sendable {
    let db: SQLiteDatabase
    init(_ db: SQLiteDatabase) { self.db = db }
}

public struct StoredFinding: Sendable, Hashable, Codable {
    public var rule: String
    public var status: String
    public var severity: String
    public var layer: String
    public var title: String

    public init(rule: String, status: String, severity: String, layer: String, title: String) {
        self.rule = rule
        self.status = status
        self.severity = severity
        self.layer = layer
        self.title = title
    }
}

public struct ScanEntry: Sendable, Hashable, Codable {
    public var id: String
    public var startedAt: String
    public var finishedAt: String
    public var hostScore: Int
    public var hostGrade: String
    public var stale: Bool
    public var domainCount: Int
    public var hasReport: Bool

    init(row r: Row) {
        id = r.text(0) ?? ""
        startedAt = Timestamp.format(r.double(1) ?? 0)
        finishedAt = Timestamp.format(r.double(2) ?? 0)
        hostScore = r.int(3) ?? 0
        hostGrade = r.text(4) ?? "?"
        stale = (r.int(5) ?? 0) != 0
        domainCount = r.int(6) ?? 0
        hasReport = (r.int(7) ?? 0) != 0
    }
}

public struct HistoryPoint: Sendable, Hashable, Codable {
    public var scanId: String
    public var at: String
    public var score: Int
    public var grade: String
    public var state: String
    public var name: String
    public var failing: Int
}

public struct ScanDiff: Sendable, Hashable, Codable {
    public struct Change: Sendable, Hashable, Codable {
        public var target: String
        public var name: String
        public var finding: StoredFinding
        public var previous: StoredFinding?
    }
    public struct ScoreChange: Sendable, Hashable, Codable {
        public var target: String
        public var name: String
        public var fromScore: Int
        public var toScore: Int
        public var fromGrade: String
        public var toGrade: String
    }
    public var from: String
    public var to: String
    public var fromAt: String
    public var toAt: String
    public var new: [Change] = []
    public var resolved: [Change] = []
    public var changed: [Change] = []
    public var scoreChanges: [ScoreChange] = []
    public var addedTargets: [String] = []
    public var removedTargets: [String] = []

    public init(from: String, to: String, fromAt: String, toAt: String) {
        self.from = from
        self.to = to
        self.fromAt = fromAt
        self.toAt = toAt
    }
}
