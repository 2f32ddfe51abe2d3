import Core
import Foundation

/// One admission decision of the qemu hook (`virtaudit admit`), as stored in the history database.
public struct AdmissionRecord: Sendable, Hashable, Codable {
    public var id: Int?
    /// When the hook decided (RFC 3339, UTC).
    public var at: String
    public var hostname: String
    /// Who asked: the process that ran the hook (libvirtd's command name and pid) and its uid.
    public var actor: String
    /// The domain's name and uuid (uuid null when the XML could not be read).
    public var domain: String
    public var uuid: String?
    /// The hook's operation and sub-operation, e.g. `prepare begin`, `migrate begin`.
    public var operation: String
    /// `enforce`, `warn` or `dryrun`.
    public var mode: String
    /// `admit`, `deny`, `would-deny`, `failed-open` or `failed-closed`.
    public var decision: String
    /// The rules that denied (or would have): objects with rule, severity, layer, status, title,
    /// observed, remediation.
    public var rules: JSONValue
    /// Rules that would have denied but a current waiver accepts for this VM.
    public var waived: [String]
    /// Why no verdict was reached (bad policy, bad input, time budget), for failed-* decisions.
    public var failure: String?
    public var durationMs: Double

    public init(at: String, hostname: String, actor: String, domain: String, uuid: String?, operation: String, mode: String,
                decision: String, rules: JSONValue, waived: [String], failure: String?, durationMs: Double) {
        self.at = at
        self.hostname = hostname
        self.actor = actor
        self.domain = domain
        self.uuid = uuid
        self.operation = operation
        self.mode = mode
        self.decision = decision
        self.rules = rules
        self.waived = waived
        self.failure = failure
        self.durationMs = durationMs
    }
}

/// Admission decisions live in the same database as the scans: the hook writes them directly
/// (the service may be stopped), the service reads them for the API, metrics and dashboard.
extension HistoryStore {
    static let admissionsTable = """
        CREATE TABLE IF NOT EXISTS admissions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at REAL NOT NULL,
            hostname TEXT NOT NULL,
            actor TEXT NOT NULL,
            domain TEXT NOT NULL,
            uuid TEXT,
            operation TEXT NOT NULL,
            mode TEXT NOT NULL,
            decision TEXT NOT NULL,
            rules TEXT NOT NULL,
            waived TEXT NOT NULL,
            failure TEXT,
            duration_ms REAL NOT NULL
        );
        CREATE INDEX IF NOT EXISTS admissions_by_domain ON admissions(domain, id);
        """

    /// Appends one decision; returns its id. Decisions older than the retention's age are dropped.
    @discardableResult
    public func recordAdmission(_ r: AdmissionRecord, now: Date = Date()) throws(HistoryError) -> Int {
        try withDatabase { (db) throws(HistoryError) -> Int in
            try db.execute(HistoryStore.admissionsTable)
            return try db.transaction { () throws(HistoryError) -> Int in
                try db.prepare("""
                    INSERT INTO admissions(at, hostname, actor, domain, uuid, operation, mode, decision, rules, waived, failure, duration_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).run([.double(Timestamp.parse(r.at) ?? now.timeIntervalSince1970), .text(r.hostname), .text(r.actor),
                              .text(r.domain), .from(r.uuid), .text(r.operation), .text(r.mode), .text(r.decision),
                              .text(JSONWriter.string(r.rules)), .text(JSONWriter.string(.array(r.waived.map { .string($0) }))),
                              .from(r.failure), .double(r.durationMs)])
                let id = Int(db.lastInsertRowID)
                try db.prepare("DELETE FROM admissions WHERE at < ?").run([.double(now.timeIntervalSince1970 - retention.maxAge)])
                return id
            }
        }
    }

    /// The newest decisions first, optionally of one domain (name or uuid) and one decision.
    public func admissions(limit: Int = 100, domain: String? = nil, decision: String? = nil) throws(HistoryError) -> [AdmissionRecord] {
        try withDatabase { (db) throws(HistoryError) in
            try db.execute(HistoryStore.admissionsTable)
            return try db.prepare("""
                SELECT id, at, hostname, actor, domain, uuid, operation, mode, decision, rules, waived, failure, duration_ms
                FROM admissions WHERE (?1 IS NULL OR domain = ?1 OR uuid = ?1) AND (?2 IS NULL OR decision = ?2)
                ORDER BY id DESC LIMIT ?3
                """).rows([.from(domain), .from(decision), .int(Int64(limit))]).map { r in
                let waived = (try? JSONValue(parsing: Data((r.text(10) ?? "[]").utf8)))?.arrayValue?.compactMap(\.stringValue) ?? []
                var rec = AdmissionRecord(at: Timestamp.format(r.double(1) ?? 0), hostname: r.text(2) ?? "", actor: r.text(3) ?? "",
                                          domain: r.text(4) ?? "", uuid: r.text(5), operation: r.text(6) ?? "", mode: r.text(7) ?? "",
                                          decision: r.text(8) ?? "", rules: (try? JSONValue(parsing: Data((r.text(9) ?? "[]").utf8))) ?? .array([]),
                                          waived: waived, failure: r.text(11), durationMs: r.double(12) ?? 0)
                rec.id = r.int(0)
                return rec
            }
        }
    }

    /// Decisions counted by (decision, mode), for `/metrics`.
    public func admissionCounts() throws(HistoryError) -> [AdmissionCount] {
        try withDatabase { (db) throws(HistoryError) in
            try db.execute(HistoryStore.admissionsTable)
            return try db.prepare("SELECT decision, mode, COUNT(*) FROM admissions GROUP BY decision, mode ORDER BY decision, mode").rows()
                .map { AdmissionCount(decision: $0.text(0) ?? "", mode: $0.text(1) ?? "", count: $0.int(2) ?? 0) }
        }
    }
}

public struct AdmissionCount: Sendable, Hashable, Codable {
    public var decision: String
    public var mode: String
    public var count: Int
}
