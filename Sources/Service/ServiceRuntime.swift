import Audit
import CLinux
import Core
import Foundation
import History
import HTTPServer
import Inventory
import Logging
import Reporting
import Synchronization

/// `virtaudit serve`: wires the scan pipeline, the result store, history, alerts, reports and
/// the HTTP server together, and runs until SIGTERM/SIGINT.
/// `coordinator` is assigned once, at the end of `init`, and never changed: hence unchecked.
public final class ServiceRuntime: @unchecked Sendable {
    public let config: ServiceConfig
    public let store: ResultStore
    public let history: HistoryStore
    public let link: LibvirtLink
    let auditor: Auditor
    let logger: Logger
    let tokens: TokenStore
    let dispatcher: AlertDispatcher
    let alertPolicy: AlertPolicy
    /// The Alertmanager sink's feed (`alerts.alertmanager`), nil when not configured.
    let alertmanager: AlertmanagerFeed?
    /// The OCSF findings file (`ocsf`), nil when off.
    let ocsfLog: OCSFLog?
    let reportWriter: ReportWriter?
    private(set) var coordinator: ScanCoordinator!
    private(set) var monitor: DomainEventMonitor?
    /// Assigned once, at the end of `init` (its routes need the runtime), never changed.
    private(set) var server: HTTPServer!

    /// What the next scan must do: a full listing, or only re-fetching domains named by events.
    private struct Pending {
        var full = true
        var uuids: Set<String> = []
        var rescanAfterCurrent = false
        var records: [DomainRecord] = []
        var hostInfo: Result<LibvirtHostInfo, InventoryError>?
        var previous: ScanReport?
        var scansTotal = 0
        var failuresTotal = 0
        var eventsTotal = 0
        var lastUnreachableAlert: Date?
        /// The first scan of the current history outage (nil while history keeps up).
        var historyOutage: String?
    }
    private let pending = Mutex(Pending())
    private let stopping = Atomic<Bool>(false)

    public init(config: ServiceConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        tokens = try config.validate()
        auditor = try Auditor(settings: ScanSettings(uri: config.connect, root: HostRoot(config.root),
                                                     policiesDirectory: config.policiesDir, waiversPath: config.waiversFile))
        history = try HistoryStore(directory: config.dataDir, retention: .init(
            maxAge: TimeInterval(config.history.maxAgeDays) * 86_400, maxScans: config.history.maxScans,
            fullReports: config.history.fullReports))
        link = LibvirtLink(uri: config.connect)
        store = ResultStore()

        var sinks: [any AlertSink] = []
        if let url = config.alerts.webhookURL.flatMap(URL.init(string:)) {
            var secret: String?
            if let f = config.alerts.webhookSecretFile {
                guard let s = try? String(contentsOfFile: f, encoding: .utf8) else {
                    throw ServiceConfigError.unreadable(file: f, reason: "cannot read the webhook secret")
                }
                secret = s.trimmingWhitespace()
            }
            sinks.append(WebhookSink(url: url, secret: secret, timeout: TimeInterval(config.alerts.webhookTimeoutSeconds)))
        }
        if let argv = config.alerts.command {
            sinks.append(CommandSink(argv: argv, timeout: TimeInterval(config.alerts.commandTimeoutSeconds)))
        }
        dispatcher = AlertDispatcher(store: history, sinks: sinks, baseDelay: TimeInterval(config.alerts.retryBaseSeconds),
                                     maxDelay: TimeInterval(config.alerts.retryMaxSeconds),
                                     ttl: TimeInterval(config.alerts.expireHours) * 3600)
        alertPolicy = AlertPolicy(newFindingSeverities: config.alerts.newFindingSeverities.compactMap(Severity.init(rawValue:)),
                                  gradeBelow: config.alerts.gradeBelow, hostScoreDrop: config.alerts.hostScoreDrop,
                                  libvirtUnreachableSeconds: config.alerts.libvirtUnreachableSeconds.map(Double.init))
        if let am = config.alerts.alertmanager {
            alertmanager = try AlertmanagerFeed(config: am, history: history, retry: config.alerts,
                                                unreachableAfter: TimeInterval(config.alerts.libvirtUnreachableSeconds ?? 300), logger: logger)
        } else {
            alertmanager = nil
        }
        ocsfLog = config.ocsf.enabled
            ? OCSFLog(directory: config.ocsf.directory ?? config.dataDir + "/ocsf", maxBytes: config.ocsf.maxBytes, keep: config.ocsf.keep)
            : nil
        reportWriter = config.reports.intervalSeconds > 0
            ? ReportWriter(directory: config.reports.directory ?? config.dataDir + "/reports",
                           formats: config.reports.formats.compactMap(ReportWriter.Format.init(rawValue:)),
                           keep: config.reports.keep, rules: RuleText.all(auditor.policies))
            : nil

        var http = HTTPServerConfig(host: config.listen, port: config.port)
        http.maxConnections = config.limits.maxConnections
        http.maxHeaderBytes = config.limits.maxHeaderBytes
        http.maxBodyBytes = config.limits.maxBodyBytes
        http.headerTimeout = Double(config.limits.readTimeoutSeconds)
        http.bodyTimeout = Double(config.limits.readTimeoutSeconds)
        http.idleTimeout = Double(config.limits.idleTimeoutSeconds)
        http.writeTimeout = Double(config.limits.writeTimeoutSeconds)
        http.maxConnectionsPerPeer = config.limits.maxConnectionsPerPeer
        http.minWriteBytesPerSecond = config.limits.writeMinBytesPerSecond
        // The previous report (for alerts and "what changed") survives restarts through history.
        if let last = try? history.scans(limit: 1).first, let data = try? history.report(id: last.id),
           let value = try? JSONValue(parsing: data), let report = try? value.decode(ScanReport.self) {
            pending.withLock { $0.previous = report.withoutFacts() }
            alertmanager?.restore(previous: report)
        }

        coordinator = ScanCoordinator(store: store, logger: logger, onFinish: { [weak self] record in
            self?.scanFinished(record)
        }, persist: { [weak self] report in
            guard let self else { return "service stopping" }
            return self.persist(report)
        }, scan: { [weak self] id in
            guard let self else { throw LibvirtLink.Unavailable(description: "service stopping") }
            return try self.runScan(id: id)
        })
        let trigger = FullScanTrigger(runtime: self)
        let router = APIRouter(store: store, trigger: trigger, tokens: tokens, logger: logger,
                               policies: { [policies = auditor.policies] in PolicyJSON.describe(policies) },
                               staticFiles: StaticFiles(root: config.webDir), maxBodyBytes: config.limits.maxBodyBytes,
                               allowedHosts: config.allowedHosts, port: config.port, runtime: self)
        let requestLogger = logger
        server = HTTPServer(config: http, handler: router, log: { entry in
            requestLogger.debug("request", metadata: [
                "http.method": .string(entry.method), "http.path": .string(entry.path),
                "http.status": .stringConvertible(entry.status), "http.bytes": .stringConvertible(entry.bytes),
                "http.duration_ms": .string(String(format: "%.2f", entry.duration * 1000)), "remote": .string(entry.remote),
            ])
        })
    }

    // MARK: Scanning

    /// One scan: a full listing, or (after events) only the affected domains re-fetched.
    func runScan(id: String) throws -> ScanReport {
        let started = Date()
        let (full, uuids, cached, cachedInfo) = pending.withLock { p -> (Bool, Set<String>, [DomainRecord], Result<LibvirtHostInfo, InventoryError>?) in
            let r = (p.full || p.hostInfo == nil, p.uuids, p.records, p.hostInfo)
            p.full = false
            p.uuids = []
            return r
        }
        let connection: LibvirtConnection
        do { connection = try link.connection() } catch {
            pending.withLock { $0.full = true; $0.failuresTotal += 1 }
            throw error
        }
        store.setLibvirtConnected(true)
        var records: [DomainRecord]
        var info: Result<LibvirtHostInfo, InventoryError>
        do {
            if full {
                (records, info) = try auditor.fetch(connection: connection)
            } else {
                records = try auditor.refresh(cached, uuids: uuids, connection: connection)
                info = cachedInfo!
            }
        } catch {
            link.invalidate(error)
            pending.withLock { $0.full = true; $0.failuresTotal += 1 }
            throw error
        }
        let libvirtMs = Date().timeIntervalSince(started) * 1000
        var report = auditor.assemble(records: records, hostInfo: info, started: started, libvirtMs: libvirtMs)
        report.scanId = id
        pending.withLock {
            $0.records = records
            $0.hostInfo = info
            $0.scansTotal += 1
        }
        store.setStale(false)
        logger.info("scan assembled", metadata: [
            "scan.id": .string(id), "scan.kind": .string(full ? "full" : "domains"),
            "scan.refreshed": .stringConvertible(uuids.count), "scan.ms": .string(String(format: "%.1f", report.durationMs)),
        ])
        afterScan(report)
        return report
    }

    /// Alerts for a successful scan. Failures here are logged, never fatal.
    func afterScan(_ report: ScanReport) {
        // Alerts compare findings and grades only: the previous report is kept without facts.
        // The previous result is the store's current one (published after every successful scan),
        // not a second copy; only the report restored from history at start-up is held here.
        let published = store.snapshot?.summaryReport
        let previous = pending.withLock { p -> ScanReport? in
            defer { p.previous = nil }
            return p.previous ?? published
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

    /// Writes a published scan to history (after any scans still waiting). A failed write is a
    /// failed scan for the counters, keeps the scan in memory for `retryHistory()`, degrades
    /// `/healthz` and raises one alert per outage. Returns why the scan is not written, or nil.
    func persist(_ report: ScanReport) -> String? {
        // Encoded once: the history row and the default `GET /api/v1/report` body are these bytes.
        let document = ResultsJSON.report(report, listing: .problems)
        store.offerReportDocument(scanId: report.scanId, bytes: document)
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
        let state = history.persistence
        store.setHistoryState(pending: state.pending, problem: error)
        let firstOfOutage = pending.withLock { p -> Bool in
            p.failuresTotal += 1
            if p.historyOutage != nil { return false }
            p.historyOutage = report.scanId
            return true
        }
        logger.error("history write failed; scan kept in memory and retried", metadata: [
            "scan.id": .string(report.scanId), "error": .string(error), "scans.pending": .stringConvertible(state.pending),
        ])
        if firstOfOutage, !dispatcher.sinks.isEmpty {
            let alert = AlertEngine.historyWriteFailed(scanId: report.scanId, error: error, pending: state.pending)
            do { try dispatcher.enqueue([alert]) } catch {
                logger.warning("alert outbox unwritable; alert held in memory", metadata: ["error": .string("\(error)")])
            }
        }
        return error
    }

    /// Retries the scans waiting for history (the `history` loop, every few seconds).
    func retryHistory() {
        guard history.persistence.pending > 0 else { return }
        let written = history.retryPending()
        store.markPersisted(scanIDs: written)
        let state = history.persistence
        if state.pending == 0 {
            historyCaughtUp()
        } else {
            store.setHistoryState(pending: state.pending, problem: state.lastError)
        }
    }

    private func historyCaughtUp() {
        store.setHistoryState(pending: 0, problem: nil)
        let outage = pending.withLock { p -> String? in
            defer { p.historyOutage = nil }
            return p.historyOutage
        }
        if let outage {
            let state = history.persistence
            logger.notice("history writes resumed; held scans written", metadata: [
                "outage.first_scan": .string(outage), "scans.written_late": .stringConvertible(state.writtenLate),
                "scans.dropped": .stringConvertible(state.dropped),
            ])
        }
    }

    func scanFinished(_ record: ScanRecord) {
        let again = pending.withLock { p -> Bool in
            let r = p.rescanAfterCurrent
            p.rescanAfterCurrent = false
            return r
        }
        if again && !stopping.load(ordering: .relaxed) { _ = coordinator.requestScan(trigger: .event) }
    }

    /// A full scan (start-up, schedule, API request, reconnect).
    public func requestFullScan(trigger: ScanRecord.Trigger) -> ScanRecord {
        pending.withLock { $0.full = true }
        return coordinator.requestScan(trigger: trigger)
    }

    /// A libvirt event for one domain: rescan it now (or right after the scan in progress).
    public func domainChanged(uuid: String, kind: String = "event") {
        logger.debug("libvirt event", metadata: ["vm.uuid": .string(uuid), "event": .string(kind)])
        pending.withLock { p in
            p.uuids.insert(uuid)
            p.eventsTotal += 1
            // A scan already running may have read libvirt before this event: run another after it.
            p.rescanAfterCurrent = true
        }
        // Checked after recording the event: a scan that finished in between has either seen the
        // flag (and queued the rescan) or is gone, and then this request starts one. The
        // coordinator returns the active scan instead of starting a second.
        if store.activeRecord() == nil {
            pending.withLock { $0.rescanAfterCurrent = false }
            _ = coordinator.requestScan(trigger: .event)
        }
    }

    public func libvirtReconnected() {
        _ = requestFullScan(trigger: .reconnect)
    }

    // MARK: Observability

    func metrics() -> String {
        let p = pending.withLock { ($0.scansTotal, $0.failuresTotal, $0.eventsTotal) }
        let counts = (try? history.alertCounts()) ?? [:]
        var state = MetricsRenderer.ServiceState(
            libvirtConnected: store.isLibvirtConnected, stale: store.isStale, scansTotal: p.0, scanFailuresTotal: p.1,
            alerts: Dictionary(counts.map { ($0.key.rawValue, $0.value) }, uniquingKeysWith: { a, _ in a }), eventsTotal: p.2,
            admissions: (try? history.admissionCounts()) ?? [])
        let persistence = history.persistence
        state.history = .init(writeFailuresTotal: persistence.failures, pendingScans: persistence.pending,
                              scansDroppedTotal: persistence.dropped, heldAlerts: dispatcher.heldCount)
        return MetricsRenderer.render(store.snapshot?.summaryReport, state: state)
    }

    // MARK: Running

    /// Starts everything; returns once the server listens.
    public func start() throws {
        // A libvirt connection whose daemon went away raises SIGPIPE on the next call.
        signal(SIGPIPE, SIG_IGN)
        // Scans run on their own threads; each thread's glibc arena keeps what it freed. Two
        // arenas hold 1,000 VMs' idle service about 10 MiB lower (Docs/benchmarks.md).
        Self.limitMallocArenas(2)
        raiseFileLimit(for: config.limits.maxConnections)
        // Capabilities the unit grants (CAP_SYS_PTRACE, ambient) stay with this process; programs
        // it runs (the alert command) must not inherit them.
        if virtaudit_clear_ambient_capabilities() != 0 {
            logger.debug("ambient capabilities not cleared", metadata: ["errno": .stringConvertible(errno)])
        }
        if config.events {
            // libvirt's event loop must run before the scanning connection opens: it also answers
            // libvirtd's keepalive pings, without which an idle connection is dropped.
            let m = DomainEventMonitor(uri: config.connect, onEvent: { [weak self] event in
                self?.domainChanged(uuid: event.domainUUID, kind: event.kind.rawValue)
            }, onStateChange: { [weak self] state in
                guard let self else { return }
                switch state {
                case .connected:
                    self.logger.info("libvirt events connected", metadata: ["uri": .string(self.config.connect)])
                    if self.store.snapshot != nil { self.libvirtReconnected() }
                case .disconnected(let reason):
                    self.logger.warning("libvirt events disconnected", metadata: ["reason": .string(reason)])
                    self.store.setStale(true)
                    self.store.setLibvirtConnected(false)
                }
            })
            try m.start()
            monitor = m
        }
        try server.start()
        logger.notice("listening", metadata: ["address": .string(config.listen), "port": .stringConvertible(server.boundPort),
                                              "tokens": .stringConvertible(!tokens.isEmpty)])
        _ = requestFullScan(trigger: .startup)
        startLoop(name: "schedule", every: config.scanIntervalSeconds > 0 ? TimeInterval(config.scanIntervalSeconds) : nil) { [weak self] in
            _ = self?.requestFullScan(trigger: .schedule)
        }
        startLoop(name: "reconnect", every: 1) { [weak self] in self?.watchLibvirt() }
        startLoop(name: "history", every: 5) { [weak self] in self?.retryHistory() }
        // One delivery loop per sink: a sink that hangs until its timeout delays only itself.
        for sink in dispatcher.sinks {
            startLoop(name: "alerts-\(sink.name)", every: 2) { [weak self] in
                guard let self else { return }
                let d = self.dispatcher
                let done = DispatchSemaphore(value: 0)
                Task.detached {
                    _ = await d.deliverDue(sink: sink.name)
                    done.signal()
                }
                done.wait()
            }
        }
        if let feed = alertmanager {
            startLoop(name: "alertmanager", every: 1) { [weak self] in
                guard let self else { return }
                feed.tick(downSince: self.link.isConnected ? nil : self.link.downSince, uri: self.config.connect)
            }
            for sink in feed.dispatcher.sinks {
                startLoop(name: "alerts-\(sink.name)", every: 2) {
                    let d = feed.dispatcher
                    let done = DispatchSemaphore(value: 0)
                    Task.detached {
                        _ = await d.deliverDue(sink: sink.name)
                        done.signal()
                    }
                    done.wait()
                }
            }
        }
        if let writer = reportWriter {
            startLoop(name: "reports", every: TimeInterval(config.reports.intervalSeconds), immediately: false) { [weak self] in
                guard let self, let report = self.store.snapshot?.report else { return }
                do {
                    let w = try writer.write(report, previous: writer.latestReport())
                    self.logger.info("report written", metadata: ["report.files": .string(w.files.joined(separator: ","))])
                } catch {
                    self.logger.error("report failed", metadata: ["error": .string("\(error)")])
                }
            }
        }
    }

    public var boundPort: Int { server.boundPort }

    /// glibc's `mallopt(M_ARENA_MAX, n)` (looked up: not every libc has it); false when absent.
    @discardableResult
    static func limitMallocArenas(_ n: Int32) -> Bool {
        guard let f = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        let mallopt = unsafeBitCast(f, to: (@convention(c) (Int32, Int32) -> Int32).self)
        let M_ARENA_MAX: Int32 = -8
        return mallopt(M_ARENA_MAX, n) == 1
    }

    /// Each connection is a descriptor: lift the soft RLIMIT_NOFILE (often 1024) towards what
    /// `max_connections` needs, up to the hard limit, and say so when the hard limit is lower.
    func raiseFileLimit(for connections: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        // The cap, the connections held past it for a probe (an eighth) and evicted ones
        // waiting to be closed (up to the cap), and files.
        let wanted = rlim_t(2 * connections + connections / 8 + 256)
        guard limit.rlim_cur < wanted else { return }
        let target = min(wanted, limit.rlim_max)
        var raised = limit
        raised.rlim_cur = target
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0, target >= wanted {
            logger.debug("file limit raised", metadata: ["nofile": .stringConvertible(target)])
        } else {
            logger.warning("open-file limit below max_connections; clients past it get 503",
                           metadata: ["nofile": .stringConvertible(target), "max_connections": .stringConvertible(connections)])
        }
    }

    /// While libvirt is down: retry on the link's backoff, resync fully when it is back, and
    /// raise the "unreachable" alert once it has been down long enough.
    func watchLibvirt() {
        guard !link.isConnected || store.isStale else { return }
        if let since = link.downSince, let alert = AlertEngine.libvirtUnreachable(since: since, uri: config.connect, policy: alertPolicy) {
            let due = pending.withLock { p -> Bool in
                if p.lastUnreachableAlert == since { return false }
                p.lastUnreachableAlert = since
                return true
            }
            if due, !dispatcher.sinks.isEmpty { _ = try? dispatcher.enqueue([alert]) }
        }
        if let retry = link.retryAt, retry > Date() { return }
        if store.activeRecord() == nil { libvirtReconnected() }
    }

    private func startLoop(name: String, every interval: TimeInterval?, immediately: Bool = false, _ body: @escaping @Sendable () -> Void) {
        guard let interval else { return }
        let thread = Thread { [weak self] in
            var first = true
            while let self, !self.stopping.load(ordering: .relaxed) {
                if !(first && immediately) {
                    let deadline = Date().addingTimeInterval(interval)
                    while Date() < deadline && !self.stopping.load(ordering: .relaxed) { Thread.sleep(forTimeInterval: min(0.2, interval)) }
                    if self.stopping.load(ordering: .relaxed) { return }
                }
                first = false
                body()
            }
        }
        thread.name = "virtaudit-\(name)"
        thread.start()
    }

    /// Graceful stop: no new connections, in-flight requests finish, loops end.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        monitor?.stop()
        coordinator.stop()
        server.shutdown(graceful: true)
        // Scans still waiting for history get a last chance; what remains is lost, and said so.
        if history.persistence.pending > 0 {
            history.retryPending()
            let left = history.persistence
            if left.pending > 0 {
                logger.critical("stopping with scans not written to history", metadata: [
                    "scans.lost": .stringConvertible(left.pending), "error": .string(left.lastError ?? "unknown"),
                ])
            }
        }
        // Alert commands still running (and whatever they started) do not outlive the service.
        let killed = AlertCommand.terminateAll()
        if killed > 0 { logger.notice("alert commands ended", metadata: ["groups": .stringConvertible(killed)]) }
        logger.notice("stopped")
    }
}

/// `POST /api/v1/scans` asks for a full scan.
struct FullScanTrigger: ScanTrigger {
    weak var runtime: ServiceRuntime?
    func requestScan() -> ScanRecord {
        guard let r = runtime else { return ScanRecord(id: "", state: .failed, trigger: .request, requestedAt: "") }
        return r.requestFullScan(trigger: .request)
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
