import Core
import Foundation
import Synchronization

/// One scan as history stores it: the `scans` row and one `targets` row per target, encoded
/// once so that a scan that could not be written can be kept compactly and written later.
struct ScanRows: Sendable {
    struct Target: Sendable {
        var target, name, state: String
        var score: Int
        var grade, findings: String
    }

    var id: String
    var startedAt: Double
    var finishedAt: Double
    var hostScore: Int
    var hostGrade: String
    var stale: Bool
    var domainCount: Int
    /// The complete report document; nil once retention (or the backlog) dropped it.
    var document: Data?
    var targets: [Target]

    /// - Parameter encoded: the report document already encoded by `ResultsJSON.report(report,
    ///   listing: .problems)` (the service serves the same bytes); encoded here when nil.
    init(_ report: ScanReport, now: Date, encoded: [UInt8]? = nil) {
        id = report.scanId
        startedAt = Timestamp.parse(report.startedAt) ?? now.timeIntervalSince1970
        finishedAt = Timestamp.parse(report.finishedAt) ?? now.timeIntervalSince1970
        hostScore = report.host.score
        hostGrade = report.host.grade
        stale = report.stale
        domainCount = report.domains.count
        document = Data(encoded ?? ResultsJSON.report(report, listing: .problems))
        targets = [Target(target: "host", name: report.host.hostname, state: "host", score: report.host.score,
                          grade: report.host.grade, findings: HistoryStore.encodeFindings(report.host.findings, rules: report.rules))]
        // A target is stored once per scan: a UUID seen twice (two qemu processes claiming one
        // VM, VMs without a UUID) gets `~2`, `~3`... so that the scan is still written whole.
        var seen: [String: Int] = ["host": 1]
        for d in report.domains {
            let n = (seen[d.uuid] ?? 0) + 1
            seen[d.uuid] = n
            targets.append(Target(target: n == 1 ? d.uuid : "\(d.uuid)~\(n)", name: d.name, state: d.state, score: d.score,
                                  grade: d.grade, findings: HistoryStore.encodeFindings(d.findings, rules: report.rules)))
        }
    }

    /// Approximate memory held while it waits in the backlog.
    var bytes: Int {
        (document?.count ?? 0) + targets.reduce(256) { $0 + 64 + $1.target.utf8.count + $1.name.utf8.count + $1.findings.utf8.count }
    }
}

/// Scans waiting to be written, and what became of the writes since the store opened.
struct Backlog: Sendable {
    var scans: [ScanRows] = []
    var bytes = 0
    var failures = 0
    var dropped = 0
    var written = 0
    var lastError: String?
}

extension HistoryStore {
    /// Most memory the backlog of unwritten scans may hold; past it the oldest scans are
    /// dropped, and counted (`Persistence.dropped`).
    public static let backlogLimitBytes = 64 << 20

    /// Whether history is keeping up: scans waiting to be written, failed writes and scans
    /// dropped since the store opened, and the last error while the backlog is not empty.
    public struct Persistence: Sendable, Hashable {
        /// Scans held in memory because the database could not take them (yet).
        public var pending: Int
        /// Scan writes that failed (each retry of a held scan counts again).
        public var failures: Int
        /// Scans dropped without ever being written: from a full backlog, or refused by the
        /// database for good (rows it cannot take; retrying would not help).
        public var dropped: Int
        /// Held scans written later.
        public var writtenLate: Int
        /// Why the last write failed, while scans are pending.
        public var lastError: String?
        public var healthy: Bool { pending == 0 }
    }

    /// What happened to one scan handed to `persist(_:)`.
    public struct PersistOutcome: Sendable, Hashable {
        /// The scan is in the database.
        public var persisted: Bool
        /// Why not, when it is not.
        public var error: String?
        /// Scans dropped by this call (a full backlog, or this scan refused for good).
        public var dropped: Int
        /// Ids of held scans this call wrote first.
        public var writtenLate: [String] = []
    }

    public var persistence: Persistence {
        backlog.withLock { b in
            Persistence(pending: b.scans.count, failures: b.failures, dropped: b.dropped, writtenLate: b.written,
                        lastError: b.scans.isEmpty ? nil : b.lastError)
        }
    }

    /// Writes a scan, after any scans still waiting (history stays in scan order). When the
    /// database cannot take it (disk full, I/O error), the scan is kept in memory and written by
    /// a later `persist` or `retryPending()`; only the newest held scan keeps its complete
    /// report document, older ones keep their scores and findings (what retention keeps of all
    /// but the newest scans anyway). Never throws: the outcome says what happened.
    /// `document` is the report as `ResultsJSON.report(report, listing: .problems)` encodes it,
    /// when the caller has it already (it is stored as given).
    public func persist(_ report: ScanReport, document: [UInt8]? = nil, now: Date = Date()) -> PersistOutcome {
        let rows = ScanRows(report, now: now, encoded: document)
        return backlog.withLock { (b: inout Backlog) -> PersistOutcome in
            let (late, failure) = flush(&b, now: now)
            if let failure {
                let dropped = hold(rows, in: &b)
                return PersistOutcome(persisted: false, error: failure, dropped: dropped, writtenLate: late)
            }
            guard let failure = write(rows, now: now) else {
                return PersistOutcome(persisted: true, error: nil, dropped: 0, writtenLate: late)
            }
            b.failures += 1
            guard failure.retryable else {
                // Retrying rows the database refuses would block every later scan: the scan is
                // lost, counted and said so.
                b.dropped += 1
                return PersistOutcome(persisted: false, error: "\(failure.error) (not retried: the database refuses this scan)",
                                      dropped: 1, writtenLate: late)
            }
            b.lastError = "\(failure.error)"
            let dropped = hold(rows, in: &b)
            return PersistOutcome(persisted: false, error: "\(failure.error)", dropped: dropped, writtenLate: late)
        }
    }

    /// Writes the scans still waiting, oldest first; returns the ids written (none when none
    /// waited or the database still refuses them).
    @discardableResult
    public func retryPending(now: Date = Date()) -> [String] {
        backlog.withLock { (b: inout Backlog) -> [String] in
            b.scans.isEmpty ? [] : flush(&b, now: now).written
        }
    }

    /// Writes held scans in order until one fails; returns the ids written and that failure.
    private func flush(_ b: inout Backlog, now: Date) -> (written: [String], failure: String?) {
        var written: [String] = []
        while let first = b.scans.first {
            if let failure = write(first, now: now) {
                b.failures += 1
                if failure.retryable {
                    b.lastError = "\(failure.error)"
                    return (written, "\(failure.error)")
                }
                // Refused for good: dropped (counted), so that the scans behind it get written.
                b.scans.removeFirst()
                b.bytes -= first.bytes
                b.dropped += 1
                continue
            }
            b.scans.removeFirst()
            b.bytes -= first.bytes
            b.written += 1
            written.append(first.id)
        }
        return (written, nil)
    }

    /// Appends a scan to the backlog; drops the oldest past the memory limit; returns how many.
    private func hold(_ rows: ScanRows, in b: inout Backlog) -> Int {
        if let last = b.scans.indices.last, b.scans[last].document != nil {
            b.bytes -= b.scans[last].bytes
            b.scans[last].document = nil
            b.bytes += b.scans[last].bytes
        }
        b.scans.append(rows)
        b.bytes += rows.bytes
        var dropped = 0
        while b.bytes > HistoryStore.backlogLimitBytes, b.scans.count > 1 {
            b.bytes -= b.scans.removeFirst().bytes
            dropped += 1
        }
        b.dropped += dropped
        return dropped
    }
}
