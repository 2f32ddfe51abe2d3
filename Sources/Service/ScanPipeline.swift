import Audit
import Core
import Foundation
import History
import Inventory
import Logging
import Reporting
import Synchronization

/// What one scan does in the service, and what follows it: read libvirt (the whole host, or
/// only the domains the planner names, reusing the last listing), assemble the report, raise
/// alerts, append OCSF events, and write it to history (holding it in memory while history
/// refuses). Also raises the "libvirt unreachable" alert once per outage. When to scan is not
/// decided here (`ScanPlanner`), nor libvirt's health (`LibvirtLink`).
final class ScanPipeline: Sendable {
    let auditor: Auditor
    let link: LibvirtLink
    let store: ResultStore
    let history: HistoryStore
    let dispatcher: AlertDispatcher
    let alertPolicy: AlertPolicy
    let alertmanager: AlertmanagerFeed?
    let ocsfLog: OCSFLog?
    let logger: Logger

    private struct State {
        /// The last complete listing, refreshed domain by domain between full scans.
        var records: [DomainRecord] = []
        var hostInfo: Result<LibvirtHostInfo, InventoryError>?
        /// The previous report without facts (alerts compare findings and grades only).
        var previous: ScanReport?
        var lastUnreachableAlert: Date?
        /// The first scan of the current history outage (nil while history keeps up).
        var historyOutage: String?
        /// History writes refused (counted as failed scans in `/metrics`).
        var historyFailures = 0
    }
    private let state = Mutex(State())

    init(auditor: Auditor, link: LibvirtLink, store: ResultStore, history: HistoryStore, dispatcher: AlertDispatcher,
         alertPolicy: AlertPolicy, alertmanager: AlertmanagerFeed?, ocsfLog: OCSFLog?, logger: Logger,
         previous: ScanReport?) {
        self.auditor = auditor
        self.link = link
        self.store = store
        self.history = history
        self.dispatcher = dispatcher
        self.alertPolicy = alertPolicy
        self.alertmanager = alertmanager
        self.ocsfLog = ocsfLog
        self.logger = logger
        state.withLock { $0.previous = previous?.withoutFacts() }
    }

    // MARK: Scanning

    /// One scan: a full listing, or only the planned domains re-fetched.
    func run(_ plan: ScanPlanner.Scan) throws -> ScanReport {
        let started = Date()
        let (cached, cachedInfo) = state.withLock { ($0.records, $0.hostInfo) }
        let connection = try link.connection()
        var records: [DomainRecord]
        var info: Result<LibvirtHostInfo, InventoryError>
        var refreshed = 0
        if case .domains(let uuids) = plan.scope, let cachedInfo {
            records = try auditor.refresh(cached, uuids: uuids, connection: connection)
            info = cachedInfo
            refreshed = uuids.count
        } else {
            (records, info) = try auditor.fetch(connection: connection)
        }
        let libvirtMs = Date().timeIntervalSince(started) * 1000
        var report = auditor.assemble(records: records, hostInfo: info, started: started, libvirtMs: libvirtMs)
        report.scanId = plan.id
        state.withLock {
            $0.records = records
            $0.hostInfo = info
        }
        logger.info("scan assembled", metadata: [
            "scan.id": .string(plan.id), "scan.kind": .string(plan.scope == .full ? "full" : "domains"),
            "scan.refreshed": .stringConvertible(refreshed), "scan.ms": .string(String(format: "%.1f", report.durationMs)),
        ])
        afterScan(report)
        return report
    }

    /// Alerts for a successful scan. Failures here are logged, never fatal.
    func afterScan(_ report: ScanReport) {
        // Alerts compare findings and grades only. The previous result is the store's current one
        // (published after every successful scan), not a second copy; only the report restored
        // from history at start-up is held here.
        let published = store.snapshot?.summaryReport
        let previous = state.withLock { s -> ScanReport? in
            defer { s.previous = nil }
            return s.previous ?? published
        }
        try? history.noteSeen(report)
        alertmanager?.scanned(report)
        writeOCSF(report)
        let alerts = AlertEngine.evaluate(previous: previous, current: report, policy: alertPolicy)
        if !alerts.isEmpty, !dispatcher.sinks.isEmpty {
            do {
                let n = try dispatcher.enqueue(alerts)
                if n > 0 { logger.notice("alerts queued", metadata: ["alerts.count": .stringConvertible(n)]) }
            } catch {
                logger.error("alert outbox write failed; alerts held in memory", metadata: ["error": .string("\(error)")])
            }
        }
    }

    // MARK: History

    var historyFailures: Int { state.withLock { $0.historyFailures } }

    /// Writes a published scan to history (after any scans still waiting). A failed write is a
    /// failed scan for the counters, keeps the scan in memory for `retryHistory()`, degrades
    /// `/healthz` and raises one alert per outage. Returns why the scan is not written, or nil.
    func persist(_ report: ScanReport) -> String? {
        // Encoded once: the history row and the default `GET /api/v1/report` body are these bytes.
        // Facts too: the store keeps these bytes, not a second encoding of the trees.
        let facts = EncodedFacts(of: report)
        let document = ResultsJSON.report(report, listing: .problems, facts: facts)
        store.offerReportDocument(scanId: report.scanId, bytes: document, facts: facts)
        let outcome = history.persist(report, document: document)
        store.markPersisted(scanIDs: outcome.writtenLate)
        if outcome.dropped > 0 {
            logger.critical("history backlog full: oldest unwritten scans dropped",
                            metadata: ["scans.dropped": .stringConvertible(outcome.dropped)])
        }
        guard let error = outcome.error else {
            historyCaughtUp()
            return nil
        }
        let pending = history.persistence.pending
        store.setHistoryState(pending: pending, problem: error)
        let firstOfOutage = state.withLock { s -> Bool in
            s.historyFailures += 1
            if s.historyOutage != nil { return false }
            s.historyOutage = report.scanId
            return true
        }
        logger.error("history write failed; scan kept in memory and retried", metadata: [
            "scan.id": .string(report.scanId), "error": .string(error), "scans.pending": .stringConvertible(pending),
        ])
        if firstOfOutage, !dispatcher.sinks.isEmpty {
            let alert = AlertEngine.historyWriteFailed(scanId: report.scanId, error: error, pending: pending)
            do { try dispatcher.enqueue([alert]) } catch {
                logger.warning("alert outbox unwritable; alert held in memory", metadata: ["error": .string("\(error)")])
            }
        }
        return error
    }

    /// Retries the scans waiting for history (every few seconds).
    func retryHistory() {
        guard history.persistence.pending > 0 else { return }
        let written = history.retryPending()
        store.markPersisted(scanIDs: written)
        let persistence = history.persistence
        if persistence.pending == 0 {
            historyCaughtUp()
        } else {
            store.setHistoryState(pending: persistence.pending, problem: persistence.lastError)
        }
    }

    private func historyCaughtUp() {
        store.setHistoryState(pending: 0, problem: nil)
        let outage = state.withLock { s -> String? in
            defer { s.historyOutage = nil }
            return s.historyOutage
        }
        if let outage {
            let persistence = history.persistence
            logger.notice("history writes resumed; held scans written", metadata: [
                "outage.first_scan": .string(outage), "scans.written_late": .stringConvertible(persistence.writtenLate),
                "scans.dropped": .stringConvertible(persistence.dropped),
            ])
        }
    }

    // MARK: libvirt outage

    /// The "libvirt unreachable" alert, once per outage, when it has lasted long enough.
    func checkUnreachable(uri: String) {
        guard let since = link.health.downSince,
              let alert = AlertEngine.libvirtUnreachable(since: since, uri: uri, policy: alertPolicy) else { return }
        let due = state.withLock { s -> Bool in
            if s.lastUnreachableAlert == since { return false }
            s.lastUnreachableAlert = since
            return true
        }
        if due, !dispatcher.sinks.isEmpty { _ = try? dispatcher.enqueue([alert]) }
    }
}

extension ScanReport {
    /// The report without its fact trees (findings, scores and grades kept).
    func withoutFacts() -> ScanReport {
        var r = self
        r.host.facts = .object([:])
        for i in r.domains.indices { r.domains[i].facts = .object([:]) }
        return r
    }
}
