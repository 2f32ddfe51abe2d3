import Core
import Foundation
import Logging

/// Runs scans one at a time on a background thread and publishes their reports to the store.
/// A request while a scan is queued or running gets that scan's record: requests never pile up.
/// Optionally scans periodically.
public final class ScanCoordinator: ScanTrigger, @unchecked Sendable {
    /// Produces a complete report; may block (libvirt, /proc). Receives the scan's id.
    public typealias Scan = @Sendable (_ scanId: String) throws -> ScanReport

    private let store: ResultStore
    private let logger: Logger
    private let scan: Scan
    private let onFinish: (@Sendable (ScanRecord) -> Void)?
    private let persist: Persist?
    /// Writes a report to history before it is published; returns nil when written, else why not.
    public typealias Persist = @Sendable (ScanReport) -> String?
    private let condition = NSCondition()
    private var stopped = false
    private var started = false

    /// - Parameters:
    ///   - onFinish: called on the scan thread after each scan's record is final.
    ///   - persist: writes each report to history before it is published; its answer becomes the
    ///     record's `persisted` and `persistError`. Without it, `persisted` stays null.
    public init(store: ResultStore, logger: Logger, onFinish: (@Sendable (ScanRecord) -> Void)? = nil,
                persist: Persist? = nil, scan: @escaping Scan) {
        self.store = store
        self.logger = logger
        self.scan = scan
        self.onFinish = onFinish
        self.persist = persist
    }

    public func requestScan() -> ScanRecord { requestScan(trigger: .request) }

    /// Starts a scan unless one is queued or running, in which case that one is returned.
    public func requestScan(trigger: ScanRecord.Trigger) -> ScanRecord {
        condition.lock()
        defer { condition.unlock() }
        if let active = store.activeRecord() { return active }
        let record = ScanRecord(id: UUID().uuidString.lowercased(), state: .queued, trigger: trigger,
                                requestedAt: Timestamp.format(store.clock()))
        store.upsert(record)
        Thread.detachNewThread { [self] in run(record) }
        return record
    }

    /// Scans at once (trigger `startup`), then every `intervalSeconds` (trigger `schedule`,
    /// counted from each start) until `stop()`. With an interval of 0 only the start-up scan runs.
    /// Calling it again has no effect.
    public func start(intervalSeconds: Int) {
        condition.lock()
        defer { condition.unlock() }
        guard !started, !stopped else { return }
        started = true
        Thread.detachNewThread { [self] in
            _ = requestScan(trigger: .startup)
            guard intervalSeconds > 0 else { return }
            while true {
                condition.lock()
                let deadline = Date(timeIntervalSinceNow: TimeInterval(intervalSeconds))
                while !stopped && condition.wait(until: deadline) {}
                let done = stopped
                condition.unlock()
                if done { return }
                _ = requestScan(trigger: .schedule)
            }
        }
    }

    /// Ends periodic scanning (a running scan finishes).
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func run(_ queued: ScanRecord) {
        var record = queued
        record.state = .running
        record.startedAt = Timestamp.format(store.clock())
        store.upsert(record)
        logger.info("scan started", metadata: ["scan.id": .string(record.id), "scan.trigger": .string(record.trigger.rawValue)])
        do {
            let report = try scan(record.id)
            // Written before it is served: a result clients have seen is in history (or its
            // record says it is not yet).
            if let persist {
                let failure = persist(report)
                record.persisted = failure == nil
                record.persistError = failure
            }
            store.publish(report)
            record.state = .done
            record.result = ScanRecord.ResultSummary(report: report)
            logger.info("scan finished", metadata: [
                "scan.id": .string(record.id), "scan.domains": .stringConvertible(report.domains.count),
                "scan.stale": .stringConvertible(report.stale),
            ])
        } catch {
            store.setStale(true)
            store.setLibvirtConnected(false)
            record.state = .failed
            record.error = "\(error)"
            logger.error("scan failed", metadata: ["scan.id": .string(record.id), "error": .string("\(error)")])
        }
        record.finishedAt = Timestamp.format(store.clock())
        store.upsert(record)
        onFinish?(record)
        // A scan of a large host frees hundreds of megabytes of intermediate trees; glibc keeps
        // freed memory in its arenas unless asked to give it back.
        Self.releaseFreeMemory()
    }

    /// glibc's `malloc_trim(0)` (not in the Glibc module map, so looked up once).
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        guard let f = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(f, to: (@convention(c) (Int) -> Int32).self)
    }()

    static func releaseFreeMemory() { _ = mallocTrim?(0) }
}
