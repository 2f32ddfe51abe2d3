import Core
import Synchronization
import Foundation
import HTTPServer

/// A response body encoded once, with its entity tag.
public struct EncodedBody: Sendable, Equatable {
    public let bytes: [UInt8]
    public let etag: String

    public init(_ value: JSONValue) {
        bytes = Array(JSONWriter.string(value).utf8)
        etag = ResponseHelpers.etag(for: bytes)
    }
}

/// A response body encoded on first use and then kept (for large, rarely requested documents:
/// encoding them for every scan would cost memory and time nobody asked for).
public final class LazyBody: Sendable {
    private let make: @Sendable () -> JSONValue
    private let cache = Mutex<EncodedBody?>(nil)

    init(_ make: @escaping @Sendable () -> JSONValue) { self.make = make }

    public var body: EncodedBody {
        cache.withLock { c in
            if let b = c { return b }
            let b = EncodedBody(make())
            c = b
            return b
        }
    }
}

/// One complete scan, immutable, with the hot responses already encoded. Built once per scan
/// (outside the store's lock) so that requests are lookups.
public final class ResultSnapshot: Sendable {
    public let report: ScanReport
    /// When the store received it.
    public let publishedAt: Date
    /// Domain summaries in report order, for filtering and sorting per request.
    let domainSummaries: [JSONValue]
    /// `GET /api/v1/domains` without parameters (sorted by name).
    let domainList: EncodedBody
    let domainDetails: [EncodedBody]
    let domainFacts: [EncodedBody]
    let host: EncodedBody
    /// `GET /api/v1/report`: the whole scan (encoded when first asked for).
    let fullReport: LazyBody
    /// Every finding with its target, host first, then domains in report order.
    let findings: [(finding: Finding, target: JSONValue, domain: Int?)]
    let findingsAll: LazyBody
    private let indexByUUID: [String: Int]
    private let indexByName: [String: Int]

    public init(report: ScanReport, publishedAt: Date) {
        self.report = report
        self.publishedAt = publishedAt
        domainSummaries = report.domains.map(ReportJSON.domainSummary)
        domainDetails = report.domains.map { EncodedBody(ReportJSON.domain($0)) }
        domainFacts = report.domains.map { EncodedBody($0.facts) }
        host = EncodedBody(ReportJSON.host(report.host))
        fullReport = LazyBody { ReportJSON.report(report) }
        var uuids: [String: Int] = [:]
        var names: [String: Int] = [:]
        for (i, d) in report.domains.enumerated() {
            uuids[d.uuid.lowercased()] = uuids[d.uuid.lowercased()] ?? i
            names[d.name] = names[d.name] ?? i
        }
        indexByUUID = uuids
        indexByName = names
        var flat: [(finding: Finding, target: JSONValue, domain: Int?)] = []
        let hostTarget = ReportJSON.target(host: report.host)
        for f in report.host.findings { flat.append((f, hostTarget, nil)) }
        for (i, d) in report.domains.enumerated() {
            let target = ReportJSON.target(domain: d)
            for f in d.findings { flat.append((f, target, i)) }
        }
        findings = flat
        let all = flat.map { ($0.finding, $0.target) }
        findingsAll = LazyBody { Self.findingsList(all) }
        let byName = DomainQuery.sorted(domainSummaries, by: .init(key: .name, descending: false))
        domainList = EncodedBody(Self.domainsList(byName))
    }

    /// The domain with this UUID (any case) or, failing that, this name.
    public func domainIndex(_ id: String) -> Int? {
        indexByUUID[id.lowercased()] ?? indexByName[id]
    }

    static func domainsList(_ items: [JSONValue]) -> JSONValue {
        ["domains": .array(items), "count": .int(items.count)]
    }

    static func findingsList(_ items: [(Finding, JSONValue)]) -> JSONValue {
        let list: [JSONValue] = items.map { finding, target in
            var object = ReportJSON.finding(finding).objectValue ?? [:]
            object["target"] = target
            return .object(object)
        }
        return ["findings": .array(list), "count": .int(list.count)]
    }
}

/// The latest complete scan and the service's state, shared between the scanner and the request
/// threads. Publishing swaps a prepared snapshot in under a short lock: readers never wait for a
/// scan and always see either the previous or the new complete result.
public final class ResultStore: @unchecked Sendable {
    private let lock = NSLock()
    private var current: ResultSnapshot?
    private var summaryBody: EncodedBody?
    private var stale = false
    private var connected = false
    private var records: [ScanRecord] = []
    private var historyProblem: String?
    private var historyPending = 0
    private let recordLimit: Int
    let clock: @Sendable () -> Date

    /// - Parameters:
    ///   - recordLimit: how many scan records are kept (the oldest finished ones are dropped).
    ///   - clock: the time source (tests pass a fixed one).
    public init(recordLimit: Int = 50, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.recordLimit = max(1, recordLimit)
        self.clock = clock
    }

    /// Makes `report` the current result. Its `stale` flag becomes the store's; a report that is
    /// not stale also means libvirt was reachable.
    public func publish(_ report: ScanReport) {
        let snapshot = ResultSnapshot(report: report, publishedAt: clock())
        let summary = EncodedBody(ReportJSON.summary(report, stale: report.stale))
        lock.withLock {
            current = snapshot
            summaryBody = summary
            stale = report.stale
            if !report.stale { connected = true }
        }
    }

    /// The current result, nil before the first scan completes.
    public var snapshot: ResultSnapshot? { lock.withLock { current } }

    /// Marks the current result as outdated (a scan failed, libvirt went away) or fresh again.
    public func setStale(_ value: Bool) {
        let held: ResultSnapshot? = lock.withLock { stale == value ? nil : current }
        let summary = held.map { EncodedBody(ReportJSON.summary($0.report, stale: value)) }
        lock.withLock {
            stale = value
            if let summary, let held, current === held { summaryBody = summary }
        }
    }

    public func setLibvirtConnected(_ value: Bool) { lock.withLock { connected = value } }

    public var isStale: Bool { lock.withLock { stale } }
    public var isLibvirtConnected: Bool { lock.withLock { connected } }

    /// What history says after each write: scans waiting to be written and why (nil: all written).
    public func setHistoryState(pending: Int, problem: String?) {
        lock.withLock {
            historyPending = pending
            historyProblem = problem
        }
    }

    /// Scans held in memory because history could not take them, and the reason.
    public var historyState: (pending: Int, problem: String?) { lock.withLock { (historyPending, historyProblem) } }

    /// Scans written to history after their record was final: their records say so now.
    public func markPersisted(scanIDs: [String]) {
        guard !scanIDs.isEmpty else { return }
        let ids = Set(scanIDs)
        lock.withLock {
            for i in records.indices where ids.contains(records[i].id) {
                records[i].persisted = true
                records[i].persistError = nil
            }
        }
    }

    /// The encoded `GET /api/v1/summary` body, nil before the first scan.
    public func summary() -> EncodedBody? { lock.withLock { summaryBody } }

    // MARK: scan records

    /// Adds a record or replaces the one with the same id.
    public func upsert(_ record: ScanRecord) {
        lock.withLock {
            if let i = records.firstIndex(where: { $0.id == record.id }) {
                records[i] = record
            } else {
                records.append(record)
                while records.count > recordLimit,
                      let oldest = records.firstIndex(where: { !$0.isActive }) {
                    records.remove(at: oldest)
                }
            }
        }
    }

    public func record(id: String) -> ScanRecord? { lock.withLock { records.first { $0.id == id } } }

    /// The newest records first.
    public func recentRecords(limit: Int = 20) -> [ScanRecord] {
        lock.withLock { Array(records.suffix(max(0, limit)).reversed()) }
    }

    /// The queued or running scan, if any.
    public func activeRecord() -> ScanRecord? { lock.withLock { records.last { $0.isActive } } }
}
