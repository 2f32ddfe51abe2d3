import Core
import Synchronization
import Foundation
import HTTPServer

/// A response body with its entity tag.
public struct EncodedBody: Sendable, Equatable {
    public let bytes: [UInt8]
    public let etag: String

    public init(_ value: JSONValue) {
        self.init(bytes: JSONWriter.bytes(value))
    }

    /// A body already encoded (by `ResultsJSON`), tagged by a hash of its bytes.
    public init(bytes: [UInt8]) {
        self.init(bytes: bytes, etag: ResponseHelpers.etag(for: bytes))
    }

    /// A body whose tag was derived without reading it (see `ResultStore.etag(route:)`).
    public init(bytes: [UInt8], etag: String) {
        self.bytes = bytes
        self.etag = etag
    }
}

/// Response bodies encoded on demand, most recently used kept up to a byte limit. Entries
/// belong to one result generation: a new scan (or a change of the stale flag) leaves old
/// entries unreachable, and they are dropped at once.
///
/// A body is encoded once however many requests ask for it at the same time: the first
/// encodes, the others wait for it (each on a semaphore the encoder signals, as `Scheduler`
/// pairs its `Mutex` with one) and share its bytes, so a burst of requests for a large report
/// costs one encoding and one copy in memory. The newest entry is kept even when it alone is
/// over the limit, so a report larger than the limit is still encoded once per generation; it
/// goes when the next body is encoded. The lock is never held while encoding.
final class BodyCache: Sendable {
    struct State {
        var generation: UInt64 = 0
        var entries: [String: (body: EncodedBody, use: UInt64)] = [:]
        var bytes = 0
        var clock: UInt64 = 0
        var hits = 0
        var misses = 0
        /// Bodies being encoded, with the requests waiting for them.
        var encoding: [Flight: [DispatchSemaphore]] = [:]
    }

    struct Flight: Hashable {
        let key: String
        let generation: UInt64
    }

    let limitBytes: Int
    private let state = Mutex(State())

    init(limitBytes: Int) { self.limitBytes = max(0, limitBytes) }

    private enum Lookup {
        case held(EncodedBody)
        case wait(DispatchSemaphore)
        case encode
    }

    /// The body for `key` in `generation`, encoded by `make` when not held (or waited for when
    /// another thread is encoding it).
    func body(_ key: String, generation: UInt64, etag: String, make: () -> [UInt8]) -> EncodedBody {
        let flight = Flight(key: key, generation: generation)
        while true {
            let lookup: Lookup = state.withLock { s in
                if s.generation == generation, let e = s.entries[key] {
                    s.clock += 1
                    s.entries[key]?.use = s.clock
                    s.hits += 1
                    return .held(e.body)
                }
                if s.encoding[flight] != nil {
                    let waiter = DispatchSemaphore(value: 0)
                    s.encoding[flight]?.append(waiter)
                    return .wait(waiter)
                }
                s.encoding[flight] = []
                return .encode
            }
            switch lookup {
            case .held(let body): return body
            case .wait(let waiter): waiter.wait()   // then look again: held, or encode it here
            case .encode: return encode(flight, etag: etag, make: make)
            }
        }
    }

    private func encode(_ flight: Flight, etag: String, make: () -> [UInt8]) -> EncodedBody {
        // Encoded outside the lock: other requests are not held up by a large document.
        let body = EncodedBody(bytes: make(), etag: etag)
        let waiters: [DispatchSemaphore] = state.withLock { s in
            let waiters = s.encoding.removeValue(forKey: flight) ?? []
            s.misses += 1
            if s.generation != flight.generation {
                // A body of an earlier generation is not kept (its waiters encode their own).
                guard flight.generation > s.generation else { return waiters }
                s.generation = flight.generation
                s.entries = [:]
                s.bytes = 0
            }
            if let old = s.entries[flight.key] { s.bytes -= old.body.bytes.count }
            s.clock += 1
            s.entries[flight.key] = (body, s.clock)
            s.bytes += body.bytes.count
            while s.bytes > limitBytes, s.entries.count > 1,
                  let oldest = s.entries.min(by: { $0.value.use < $1.value.use }) {
                s.entries[oldest.key] = nil
                s.bytes -= oldest.value.body.bytes.count
            }
            return waiters
        }
        for waiter in waiters { waiter.signal() }
        return body
    }

    /// Whether `key` is held for `generation` (a request for it is answered without encoding).
    func holds(_ key: String, generation: UInt64) -> Bool {
        state.withLock { $0.generation == generation && $0.entries[key] != nil }
    }

    /// Forgets every entry (the results changed).
    func reset(generation: UInt64) {
        state.withLock { s in
            guard generation > s.generation else { return }
            s.generation = generation
            s.entries = [:]
            s.bytes = 0
        }
    }

    var stats: (entries: Int, bytes: Int, hits: Int, misses: Int) {
        state.withLock { ($0.entries.count, $0.bytes, $0.hits, $0.misses) }
    }

    func contains(_ key: String) -> Bool { state.withLock { $0.entries[key] != nil } }
}

/// One complete scan, immutable, held compactly between scans: findings without rule texts
/// (the texts are in one table, `report.rules`), each VM's facts as encoded JSON bytes instead
/// of a tree, and no response bodies (they are encoded on demand; see `ResultStore.body`).
public final class ResultSnapshot: Sendable {
    /// The scan with its facts removed (kept: `management`, which metrics and reports group by).
    public let summaryReport: ScanReport
    /// When the store received it.
    public let publishedAt: Date
    /// The facts, encoded once (for history and the API alike).
    let facts: EncodedFacts
    private let indexByUUID: [String: Int]
    private let indexByName: [String: Int]

    /// - Parameter facts: the report's facts already encoded (for its history row); encoded here
    ///   when nil.
    public init(report: ScanReport, publishedAt: Date, facts: EncodedFacts? = nil) {
        self.publishedAt = publishedAt
        let facts = facts.flatMap { $0.domains.count == report.domains.count ? $0 : nil } ?? EncodedFacts(of: report)
        var kept = report
        kept.host.facts = Self.retained(report.host.facts)
        var uuids: [String: Int] = [:]
        var names: [String: Int] = [:]
        for (i, d) in report.domains.enumerated() {
            kept.domains[i].facts = Self.retained(d.facts)
            uuids[d.uuid.lowercased()] = uuids[d.uuid.lowercased()] ?? i
            names[d.name] = names[d.name] ?? i
        }
        self.facts = facts
        summaryReport = kept
        indexByUUID = uuids
        indexByName = names
    }

    /// What stays of a fact tree in memory: `management` (grouping in metrics and reports).
    static func retained(_ facts: JSONValue) -> JSONValue {
        guard case .object(let o) = facts else { return .object([:]) }
        return .object(o.filter { $0.key == "management" || $0.key.hasPrefix("management.") })
    }

    /// The whole scan, facts included (decoded from their bytes: for the rare full document).
    public var report: ScanReport {
        var r = summaryReport
        r.host.facts = Self.decode(facts.host)
        for i in r.domains.indices { r.domains[i].facts = Self.decode(facts.domains[i]) }
        return r
    }

    static func decode(_ bytes: [UInt8]) -> JSONValue {
        (try? JSONValue(parsing: Data(bytes))) ?? .object([:])
    }

    /// The domain with this UUID (any case) or, failing that, this name.
    public func domainIndex(_ id: String) -> Int? {
        indexByUUID[id.lowercased()] ?? indexByName[id]
    }

    /// Every finding with its target, host first, then domains in report order (built per
    /// request: the store keeps the findings once, in their targets).
    var findings: [(finding: Finding, target: FindingTarget, domain: Int?)] {
        var flat: [(finding: Finding, target: FindingTarget, domain: Int?)] = []
        let hostTarget = FindingTarget.host(summaryReport.host)
        for f in summaryReport.host.findings { flat.append((f, hostTarget, nil)) }
        for (i, d) in summaryReport.domains.enumerated() {
            let target = FindingTarget.domain(d)
            for f in d.findings { flat.append((f, target, i)) }
        }
        return flat
    }

    /// Domain list entries as trees, for filtering and sorting (`DomainQuery`).
    var domainSummaries: [JSONValue] {
        summaryReport.domains.map { (try? JSONValue(parsing: Data(ResultsJSON.domainEntry($0)))) ?? .null }
    }

    static func domainsList(_ items: [JSONValue]) -> JSONValue {
        ["domains": .array(items), "count": .int(items.count)]
    }

    static func findingsList(_ items: [(Finding, FindingTarget)], rules: [String: RuleText]) -> [UInt8] {
        ResultsJSON.findingsList(items.map { (finding: $0.0, target: $0.1) }, rules: rules)
    }
}

/// The latest complete scan and the service's state, shared between the scanner and the request
/// threads. Publishing swaps a prepared snapshot in under a short lock: readers never wait for a
/// scan and always see either the previous or the new complete result.
public final class ResultStore: Sendable {
    private struct State {
        var current: ResultSnapshot?
        /// Counts every change a response body can show (a published scan, the stale flag).
        var generation: UInt64 = 0
        /// A report document and its facts already encoded for history, adopted by the next
        /// publish of that scan.
        var offered: (scanId: String, bytes: [UInt8], facts: EncodedFacts)?
        var stale = false
        var connected = false
        var records: [ScanRecord] = []
        var historyProblem: String?
        var historyPending = 0
    }
    private let state = Mutex(State())
    /// Tells this process's tags apart from an earlier run's (generations restart at 1).
    private let epoch = String(UInt32.random(in: 0...UInt32.max), radix: 36)
    let bodies: BodyCache
    private let recordLimit: Int
    let clock: @Sendable () -> Date

    /// - Parameters:
    ///   - recordLimit: how many scan records are kept (the oldest finished ones are dropped).
    ///   - clock: the time source (tests pass a fixed one).
    ///   - cacheBytes: most bytes of encoded response bodies kept (least recently used dropped).
    public init(recordLimit: Int = 50, cacheBytes: Int = 8 << 20, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.recordLimit = max(1, recordLimit)
        self.bodies = BodyCache(limitBytes: cacheBytes)
        self.clock = clock
    }

    /// Makes `report` the current result. Its `stale` flag becomes the store's; a report that is
    /// not stale also means libvirt was reachable.
    public func publish(_ report: ScanReport) {
        let offer = state.withLock { s in s.offered?.scanId == report.scanId ? s.offered : nil }
        let snapshot = ResultSnapshot(report: report, publishedAt: clock(), facts: offer?.facts)
        let document = offer?.bytes
        let g = state.withLock { s -> UInt64 in
            s.offered = nil
            s.current = snapshot
            s.stale = report.stale
            if !report.stale { s.connected = true }
            s.generation += 1
            return s.generation
        }
        bodies.reset(generation: g)
        // The document history was written from is the default `GET /api/v1/report` body:
        // the same bytes, not a second encoding.
        if let document {
            let route = Route.report(listing: .problems)
            _ = bodies.body(route.key, generation: g, etag: etag(route, generation: g)) { document }
        }
    }

    /// The report document encoded for history (`ResultsJSON.report`, problems listed) of the scan
    /// about to be published, and the facts it was written from: its publish serves these bytes
    /// as the report body and keeps these facts instead of encoding them again.
    public func offerReportDocument(scanId: String, bytes: [UInt8], facts: EncodedFacts) {
        state.withLock { s in s.offered = (scanId, bytes, facts) }
    }

    /// The current result, nil before the first scan completes.
    public var snapshot: ResultSnapshot? { state.withLock { s in s.current } }

    /// Marks the current result as outdated (a scan failed, libvirt went away) or fresh again.
    public func setStale(_ value: Bool) {
        let g: UInt64? = state.withLock { s in
            guard s.stale != value else { return nil }
            s.stale = value
            s.generation += 1
            return s.generation
        }
        if let g { bodies.reset(generation: g) }
    }

    public func setLibvirtConnected(_ value: Bool) { state.withLock { s in s.connected = value } }

    public var isStale: Bool { state.withLock { s in s.stale } }
    public var isLibvirtConnected: Bool { state.withLock { s in s.connected } }

    /// What history says after each write: scans waiting to be written and why (nil: all written).
    public func setHistoryState(pending: Int, problem: String?) {
        state.withLock { s in
            s.historyPending = pending
            s.historyProblem = problem
        }
    }

    /// Scans held in memory because history could not take them, and the reason.
    public var historyState: (pending: Int, problem: String?) { state.withLock { s in (s.historyPending, s.historyProblem) } }

    /// Scans written to history after their record was final: their records say so now.
    public func markPersisted(scanIDs: [String]) {
        guard !scanIDs.isEmpty else { return }
        let ids = Set(scanIDs)
        state.withLock { s in
            for i in s.records.indices where ids.contains(s.records[i].id) {
                s.records[i].persisted = true
                s.records[i].persistError = nil
            }
        }
    }

    // MARK: bodies

    /// What a result body shows: one per route and canonical query.
    public enum Route: Sendable, Hashable {
        case summary
        case report(listing: FindingsListing)
        case host(listing: FindingsListing)
        case domains(query: String)
        case domain(Int, listing: FindingsListing)
        case domainFacts(Int)
        case findings(query: String)

        /// The cache key: route and canonical query.
        var key: String {
            switch self {
            case .summary: return "summary"
            case .report(let l): return "report?findings=\(l.rawValue)"
            case .host(let l): return "host?findings=\(l.rawValue)"
            case .domains(let q): return "domains?" + q
            case .domain(let i, let l): return "domain/\(i)?findings=\(l.rawValue)"
            case .domainFacts(let i): return "domain/\(i)/facts"
            case .findings(let q): return "findings?" + q
            }
        }
    }

    /// The entity tag of a body: derived from the result generation, the route and its query,
    /// without encoding or hashing the body. It changes when the results change and not otherwise.
    public func etag(_ route: Route) -> String? {
        state.withLock { s in s.current == nil ? nil : etag(route, generation: s.generation) }
    }

    private func etag(_ route: Route, generation: UInt64) -> String {
        "\"" + epoch + "-" + String(generation, radix: 36) + "-" + String(Self.fnv1a(route.key), radix: 36) + "\""
    }

    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    /// The body of `route` for the current result, encoded by `make` on first use in this
    /// generation and kept in the bounded cache; nil before the first scan.
    public func body(_ route: Route, make: (ResultSnapshot, _ stale: Bool) -> [UInt8]) -> EncodedBody? {
        guard let (snapshot, g, isStale) = state.withLock({ s in s.current.map { ($0, s.generation, s.stale) } }) else { return nil }
        return bodies.body(route.key, generation: g, etag: etag(route, generation: g)) { make(snapshot, isStale) }
    }

    /// Whether the current result's body for `route` is encoded already (answering it costs no
    /// encoding: it can be sent from the event loop).
    public func holds(_ route: Route) -> Bool {
        guard let g = state.withLock({ s in s.current == nil ? nil : s.generation }) else { return false }
        return bodies.holds(route.key, generation: g)
    }

    /// The encoded `GET /api/v1/summary` body, nil before the first scan.
    public func summary() -> EncodedBody? {
        body(.summary) { snapshot, stale in ResultsJSON.summary(snapshot.summaryReport, stale: stale) }
    }

    // MARK: scan records

    /// Adds a record or replaces the one with the same id.
    public func upsert(_ record: ScanRecord) {
        state.withLock { s in
            if let i = s.records.firstIndex(where: { $0.id == record.id }) {
                s.records[i] = record
            } else {
                s.records.append(record)
                while s.records.count > recordLimit,
                      let oldest = s.records.firstIndex(where: { !$0.isActive }) {
                    s.records.remove(at: oldest)
                }
            }
        }
    }

    public func record(id: String) -> ScanRecord? { state.withLock { s in s.records.first { $0.id == id } } }

    /// The newest records first.
    public func recentRecords(limit: Int = 20) -> [ScanRecord] {
        state.withLock { s in Array(s.records.suffix(max(0, limit)).reversed()) }
    }

    /// The queued or running scan, if any.
    public func activeRecord() -> ScanRecord? { state.withLock { s in s.records.last { $0.isActive } } }
}
