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

/// `virtaudit serve`: wires the parts together and runs until SIGTERM/SIGINT. It holds no scan
/// logic of its own: when to scan is `ScanPlanner`'s (carried out by `ScanCoordinator`), what a
/// scan does and what follows it is `ScanPipeline`'s, libvirt's health is `LibvirtLink`'s, and
/// every timer is a deadline in the one `Scheduler` thread. See Docs/architecture.md.
public final class ServiceRuntime: Sendable {
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
    let coordinator: ScanCoordinator
    let pipeline: ScanPipeline
    let scheduler = Scheduler()
    private let monitor = Mutex<DomainEventMonitor?>(nil)
    /// Assigned once, at the end of `init` (its routes need the runtime), never changed.
    nonisolated(unsafe) private(set) var server: HTTPServer!

    public init(config: ServiceConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        tokens = try config.validate()
        auditor = try Auditor(settings: ScanSettings(uri: config.connect, root: HostRoot(config.root),
                                                     policiesDirectory: config.policiesDir, waiversPath: config.waiversFile))
        history = try HistoryStore(directory: config.dataDir, retention: .init(
            maxAge: TimeInterval(config.history.maxAgeDays) * 86_400, maxScans: config.history.maxScans,
            fullReports: config.history.fullReports))
        let store = ResultStore()
        self.store = store
        link = LibvirtLink(uri: config.connect, onChange: { store.show($0) })

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
        alertPolicy = AlertPolicy(newFindingSeverities: config.alerts.newFindingSeverities,
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
                           formats: config.reports.formats,
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
        var previous: ScanReport?
        if let last = try? history.scans(limit: 1).first, let data = try? history.report(id: last.id),
           let value = try? JSONValue(parsing: data), let report = try? value.decode(ScanReport.self) {
            previous = report
            alertmanager?.restore(previous: report)
        }
        let pipeline = ScanPipeline(auditor: auditor, link: link, store: store, history: history, dispatcher: dispatcher,
                                    alertPolicy: alertPolicy, alertmanager: alertmanager, ocsfLog: ocsfLog, logger: logger,
                                    previous: previous)
        self.pipeline = pipeline
        coordinator = ScanCoordinator(store: store, link: link, logger: logger,
                                      persist: { pipeline.persist($0) }, scan: { try pipeline.run($0) })
        let router = APIRouter(store: store, trigger: coordinator, tokens: tokens, logger: logger,
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

    // MARK: Observability

    func metrics() -> String {
        let p = coordinator.counters
        let health = link.health
        let counts = (try? history.alertCounts()) ?? [:]
        var state = MetricsRenderer.ServiceState(
            libvirtConnected: health.connected, stale: health.stale, scansTotal: p.scans, scanFailuresTotal: p.failures + pipeline.historyFailures,
            alerts: Dictionary(counts.map { ($0.key.rawValue, $0.value) }, uniquingKeysWith: { a, _ in a }), eventsTotal: p.events,
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
            let (coordinator, link, logger, uri) = (coordinator, link, logger, config.connect)
            let m = DomainEventMonitor(uri: uri, onEvent: { event in
                logger.debug("libvirt event", metadata: ["vm.uuid": .string(event.domainUUID), "event": .string(event.kind.rawValue)])
                coordinator.domainChanged(uuid: event.domainUUID)
            }, onStateChange: { state in
                switch state {
                case .connected:
                    logger.info("libvirt events connected", metadata: ["uri": .string(uri)])
                    coordinator.libvirtBack()
                case .disconnected(let reason):
                    logger.warning("libvirt events disconnected", metadata: ["reason": .string(reason)])
                    link.eventsLost(reason: reason)
                    coordinator.libvirtLost()
                }
            })
            try m.start()
            monitor.withLock { $0 = m }
        }
        try server.start()
        logger.notice("listening", metadata: ["address": .string(config.listen), "port": .stringConvertible(server.boundPort),
                                              "tokens": .stringConvertible(!tokens.isEmpty)])
        coordinator.requestScan(trigger: .startup)
        scheduleTimers()
        scheduler.start()
    }

    /// Every periodic task, as a deadline in the scheduler. Everything that may block (libvirt,
    /// network, disk) runs `detached`: its own thread per run, so a hanging sink or a slow libvirtd
    /// delays only that task, never the other deadlines.
    private func scheduleTimers() {
        let (coordinator, link, pipeline, uri) = (coordinator, link, pipeline, config.connect)
        if config.scanIntervalSeconds > 0 {
            scheduler.every(TimeInterval(config.scanIntervalSeconds), name: "schedule") { coordinator.timerDue() }
        }
        // While libvirt is down: the unreachable alert once it has lasted, and a full rescan
        // whenever the link's backoff allows one.
        scheduler.every(1, name: "watchdog", placement: .detached) {
            guard link.health.stale || !link.health.connected else { return }
            pipeline.checkUnreachable(uri: uri)
            if link.reconnectDue() { coordinator.reconnectDue() }
        }
        scheduler.every(5, name: "history", placement: .detached) { pipeline.retryHistory() }
        var dispatchers = [dispatcher]
        if let feed = alertmanager {
            scheduler.every(1, name: "alertmanager", placement: .detached) {
                let health = link.health
                feed.tick(downSince: health.connected ? nil : health.downSince, uri: uri)
            }
            dispatchers.append(feed.dispatcher)
        }
        // One delivery job per sink: a sink that hangs until its timeout delays only itself.
        for d in dispatchers {
            for sink in d.sinks {
                scheduler.every(2, name: "alerts-\(sink.name)", placement: .detached) {
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
            let (store, logger) = (store, logger)
            scheduler.every(TimeInterval(config.reports.intervalSeconds), name: "reports", placement: .detached) {
                guard let report = store.snapshot?.report else { return }
                do {
                    let w = try writer.write(report, previous: writer.latestReport())
                    logger.info("report written", metadata: ["report.files": .string(w.files.joined(separator: ","))])
                } catch {
                    logger.error("report failed", metadata: ["error": .string("\(error)")])
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

    /// Graceful stop: no new connections, in-flight requests finish, loops end.
    public func stop() {
        scheduler.stop()
        monitor.withLock { $0 }?.stop()
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
