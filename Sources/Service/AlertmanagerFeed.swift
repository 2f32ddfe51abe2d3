import Core
import Foundation
import History
import Logging
import Reporting
import Synchronization

/// The service's side of the Alertmanager sink: keeps the firing set (`AlertmanagerState`),
/// queues a batch after each scan, whenever libvirt's reachability changes the set, and every
/// `resend_seconds` while anything fires, so Alertmanager never resolves a finding that still
/// fails. Batches go through the durable outbox (`AlertDispatcher.enqueueBatch`).
final class AlertmanagerFeed: Sendable {
    let dispatcher: AlertDispatcher
    let resend: TimeInterval
    let unreachableAfter: TimeInterval
    let history: HistoryStore
    let logger: Logger
    private struct Shared {
        var state: AlertmanagerState
        var lastBatch = Date.distantPast
        var host = ""
    }
    private let shared: Mutex<Shared>

    init(config: ServiceConfig.Alertmanager, history: HistoryStore, retry: ServiceConfig.Alerts,
         unreachableAfter: TimeInterval, logger: Logger) throws {
        var token: String?
        if let f = config.bearerTokenFile {
            guard let s = try? String(contentsOfFile: f, encoding: .utf8) else {
                throw ServiceConfigError.unreadable(file: f, reason: "cannot read the Alertmanager bearer token")
            }
            token = s.trimmingWhitespace()
        }
        let sinks: [any AlertSink] = config.urls.enumerated().compactMap { i, u in
            URL(string: u).map { AlertmanagerSink(name: "alertmanager-\(i + 1)", url: $0, bearerToken: token,
                                                  timeout: TimeInterval(config.timeoutSeconds)) }
        }
        dispatcher = AlertDispatcher(store: history, sinks: sinks, baseDelay: TimeInterval(retry.retryBaseSeconds),
                                     maxDelay: TimeInterval(min(retry.retryMaxSeconds, config.resendSeconds)),
                                     ttl: TimeInterval(retry.expireHours) * 3600)
        resend = TimeInterval(config.resendSeconds)
        self.unreachableAfter = unreachableAfter
        self.history = history
        self.logger = logger
        let policy = AlertmanagerPolicy(severities: Set(config.severities),
                                        dashboardURL: config.dashboardURL)
        shared = Mutex(Shared(state: AlertmanagerState(policy: policy)))
    }

    /// The firing set as the previous run left it (from history), so that findings fixed while
    /// the service was down resolve on its first scan.
    func restore(previous: ScanReport) {
        let times = firstSeen(previous)
        shared.withLock {
            $0.state.update(report: previous, firstSeen: { times[$0] })
            $0.host = previous.host.hostname
            _ = $0.state.takeBatch()
        }
    }

    func firstSeen(_ report: ScanReport) -> [String: String] {
        var ids: [String] = []
        for f in report.host.findings where f.status == .fail { if let id = f.id { ids.append(id) } }
        for d in report.domains { for f in d.findings where f.status == .fail { if let id = f.id { ids.append(id) } } }
        return ((try? history.findingTimes(ids: ids)) ?? [:]).mapValues(\.firstSeen)
    }

    /// After a scan: the new firing set, sent at once.
    func scanned(_ report: ScanReport) {
        let times = firstSeen(report)
        let batch = shared.withLock { s -> [AlertmanagerAlert] in
            s.state.update(report: report, firstSeen: { times[$0] })
            s.host = report.hostname
            s.lastBatch = Date()
            return s.state.takeBatch()
        }
        queue(batch)
    }

    /// Once a second: libvirt's reachability, and the periodic re-send.
    func tick(downSince: Date?, uri: String, now: Date = Date()) {
        let batch = shared.withLock { s -> [AlertmanagerAlert]? in
            let down = downSince.flatMap { now.timeIntervalSince($0) > unreachableAfter ? $0 : nil }
            let before = s.state.firing.count + s.state.resolved.count
            let host = s.host.isEmpty ? (ProcessInfo.processInfo.hostName) : s.host
            s.state.libvirt(unreachableSince: down, host: host, uri: uri, now: now)
            let changed = s.state.firing.count + s.state.resolved.count != before || !s.state.resolved.isEmpty
            guard changed || (!s.state.firing.isEmpty && now.timeIntervalSince(s.lastBatch) >= resend) else { return nil }
            s.lastBatch = now
            return s.state.takeBatch()
        }
        if let batch { queue(batch) }
    }

    private func queue(_ batch: [AlertmanagerAlert]) {
        guard !batch.isEmpty else { return }
        do {
            try dispatcher.enqueueBatch(batch)
        } catch {
            logger.error("alert outbox write failed; Alertmanager batch held in memory", metadata: ["error": .string("\(error)")])
        }
    }
}

extension ScanReport {
    var hostname: String { host.hostname }
}
