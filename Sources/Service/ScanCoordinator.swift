import Core
import Foundation
import Logging
import Synchronization

/// Carries out the `ScanPlanner`'s decisions: keeps the scan records in the store, runs each
/// scan on its own thread (one at a time), tells the libvirt link how it went, writes the
/// report to history and publishes it. Requests, events and timers come in through the
/// methods below; all scan-state decisions are the planner's.
public final class ScanCoordinator: ScanTrigger, Sendable {
    /// Produces a complete report for `scan` (its id and scope); may block (libvirt, /proc).
    public typealias Scan = @Sendable (_ scan: ScanPlanner.Scan) throws -> ScanReport
    /// Writes a report to history before it is published; returns nil when written, else why not.
    public typealias Persist = @Sendable (ScanReport) -> String?

    private let store: ResultStore
    private let link: LibvirtLink
    private let logger: Logger
    private let scan: Scan
    private let onFinish: (@Sendable (ScanRecord, ScanReport?) -> Void)?
    private let persist: Persist?
    private let planner: Mutex<ScanPlanner>
    private let stopped = Atomic<Bool>(false)

    /// - Parameters:
    ///   - link: the libvirt health owner, told whether each scan read libvirt.
    ///   - onFinish: called on the scan thread after each scan's record is final (with the report when it succeeded).
    ///   - persist: writes each report to history before it is published; its answer becomes the
    ///     record's `persisted` and `persistError`. Without it, `persisted` stays null.
    public init(store: ResultStore, link: LibvirtLink, logger: Logger, planner: ScanPlanner = ScanPlanner(),
                onFinish: (@Sendable (ScanRecord, ScanReport?) -> Void)? = nil,
                persist: Persist? = nil, scan: @escaping Scan) {
        self.store = store
        self.link = link
        self.logger = logger
        self.scan = scan
        self.onFinish = onFinish
        self.persist = persist
        self.planner = Mutex(planner)
    }

    // MARK: Inputs

    public func requestScan() -> ScanRecord { requestScan(trigger: .request) }

    /// A full scan (`request`, `startup`, `schedule`, `reconnect`). Returns the record that
    /// answers it: a new one, or the queued scan it joined.
    @discardableResult
    public func requestScan(trigger: ScanRecord.Trigger) -> ScanRecord {
        handle(.requested(trigger))
    }

    /// A libvirt event for one domain: rescan it now, or right after the scan in progress.
    @discardableResult
    public func domainChanged(uuid: String) -> ScanRecord { handle(.domainChanged(uuid: uuid)) }

    /// The periodic scan is due.
    public func timerDue() { _ = handle(.timerDue) }

    /// The link says a reconnect attempt is due: a full scan unless one is under way.
    public func reconnectDue() { _ = handle(.reconnectDue) }

    /// The event connection dropped (the link records the staleness): the next scan lists everything.
    public func libvirtLost() { _ = handle(.libvirtLost) }

    /// The event connection is back: resync fully.
    public func libvirtBack() { _ = handle(.libvirtBack) }

    /// No scan starts after this (a running scan finishes).
    public func stop() { stopped.store(true, ordering: .relaxed) }

    public var counters: ScanPlanner.Counters { planner.withLock { $0.counters } }
    public var isIdle: Bool { planner.withLock { $0.isIdle } }

    // MARK: Carrying out decisions

    private func handle(_ input: ScanPlanner.Input) -> ScanRecord {
        let (record, start) = planner.withLock { p -> (ScanRecord?, ScanPlanner.Scan?) in
            let d = p.handle(input)
            // Records are written under the planner's lock so that their order is the planner's.
            var record: ScanRecord?
            if let id = d.recordID {
                if d.recordCreated {
                    let r = ScanRecord(id: id, state: .queued, trigger: d.recordTrigger ?? .request,
                                       requestedAt: Timestamp.format(store.clock()))
                    store.upsert(r)
                    record = r
                } else {
                    record = store.record(id: id)
                }
            }
            return (record, d.start)
        }
        if let start { launch(start) }
        return record ?? ScanRecord(id: "", state: .failed, trigger: .request, requestedAt: Timestamp.format(store.clock()))
    }

    private func launch(_ plan: ScanPlanner.Scan) {
        if stopped.load(ordering: .relaxed) {
            // Stopping: the planner is told the scan failed so that it is not left running.
            _ = planner.withLock { $0.handle(.scanFailed(id: plan.id)) }
            return
        }
        let thread = Thread { [self] in run(plan) }
        thread.name = "virtaudit-scan"
        thread.start()
    }

    private func run(_ plan: ScanPlanner.Scan) {
        var record = store.record(id: plan.id)
            ?? ScanRecord(id: plan.id, state: .queued, trigger: plan.trigger, requestedAt: Timestamp.format(store.clock()))
        record.state = .running
        record.startedAt = Timestamp.format(store.clock())
        store.upsert(record)
        logger.info("scan started", metadata: ["scan.id": .string(record.id), "scan.trigger": .string(record.trigger.rawValue)])
        var published: ScanReport?
        let outcome: ScanPlanner.Input
        do {
            let report = try scan(plan)
            link.scanSucceeded()
            // Written before it is served: a result clients have seen is in history (or its
            // record says it is not yet).
            if let persist {
                let failure = persist(report)
                record.persisted = failure == nil
                record.persistError = failure
            }
            record.state = .done
            record.result = ScanRecord.ResultSummary(report: report)
            published = report
            outcome = .scanFinished(id: plan.id)
        } catch {
            link.scanFailed(error)
            record.state = .failed
            record.error = "\(error)"
            logger.error("scan failed", metadata: ["scan.id": .string(record.id), "error": .string("\(error)")])
            outcome = .scanFailed(id: plan.id)
        }
        let decision = planner.withLock { $0.handle(outcome) }
        if decision.publish, let report = published {
            store.publish(report)
            logger.info("scan finished", metadata: [
                "scan.id": .string(record.id), "scan.domains": .stringConvertible(report.domains.count),
                "scan.stale": .stringConvertible(report.stale),
            ])
        }
        record.finishedAt = Timestamp.format(store.clock())
        store.upsert(record)
        onFinish?(record, published)
        published = nil
        if let next = decision.start { launch(next) }
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

extension ResultStore {
    /// Shows the link's health in the served results (`/healthz`, the summary's `stale`): the
    /// one place the store's libvirt flags are written from (`LibvirtLink(onChange:)`).
    func show(_ health: LibvirtLink.Health) {
        setStale(health.stale)
        setLibvirtConnected(health.connected)
    }
}
