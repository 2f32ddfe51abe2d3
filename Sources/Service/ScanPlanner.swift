import Foundation

/// Decides what the service scans next from what happened: scan requests (API, start-up,
/// schedule, reconnect), libvirt domain events, scans finishing or failing, and libvirt going
/// away and coming back. Pure: no threads, no libvirt, no clock (nothing here reads the time);
/// `ScanCoordinator` feeds it and carries out its decisions.
///
/// Rules:
/// - One scan runs at a time. A request while nothing runs starts a scan at once.
/// - A request while a scan runs gets a scan that starts after it (the running one may have
///   read libvirt before the request); requests and events meanwhile join that queued scan,
///   so a burst of any size costs at most one scan after the current one.
/// - A scan covers the whole host (`full`) when there is no complete listing to refresh yet,
///   after a failure or a libvirt outage, or when a request asked for it; otherwise it re-fetches
///   only the domains named by events since the last scan started (`domains`).
/// - Timer and reconnect scans join a running full scan instead of queueing another.
public struct ScanPlanner: Sendable {
    /// What a scan reads.
    public enum Scope: Sendable, Hashable {
        /// List every domain and the host.
        case full
        /// Re-fetch only these domains (by UUID) and reuse the rest of the last listing.
        case domains(Set<String>)
    }

    /// A scan to run now.
    public struct Scan: Sendable, Hashable {
        public var id: String
        public var trigger: ScanRecord.Trigger
        public var scope: Scope
    }

    /// The answer to one input.
    public struct Decision: Sendable, Hashable {
        /// The scan record that answers a request or event (nil for other inputs).
        public var recordID: String?
        /// `recordID` is a new record (queued, or started by `start`).
        public var recordCreated = false
        /// The trigger of a newly created record.
        public var recordTrigger: ScanRecord.Trigger?
        /// Start this scan now.
        public var start: Scan?
        /// The finished scan's report becomes the current result.
        public var publish = false
        /// Scan records that are final now.
        public var completed: [String] = []
    }

    public enum Input: Sendable, Hashable {
        /// A full scan was asked for (`request`, `startup`, `schedule`, `reconnect`).
        case requested(ScanRecord.Trigger)
        /// libvirt reported a change to this domain.
        case domainChanged(uuid: String)
        /// The periodic scan is due.
        case timerDue
        /// The health owner says a reconnect attempt is due (libvirt down or results stale).
        case reconnectDue
        case scanFinished(id: String)
        case scanFailed(id: String)
        /// The event connection dropped: what was listed may be outdated.
        case libvirtLost
        /// The event connection is back.
        case libvirtBack
    }

    /// Counters for `/metrics`.
    public struct Counters: Sendable, Hashable {
        public var scans = 0
        public var failures = 0
        public var events = 0
    }

    private struct Queued: Sendable, Hashable {
        var id: String
        var trigger: ScanRecord.Trigger
        var full: Bool
    }

    public private(set) var running: Scan?
    private var queued: Queued?
    /// The next scan must list everything (nothing listed yet, a failure, an outage).
    private var needFull = true
    /// Domains changed since the last scan started.
    private var dirty: Set<String> = []
    /// A scan has completed since start (there is a result to refresh).
    private var hasResult = false
    public private(set) var counters = Counters()
    private var sequence = 0
    private let makeID: @Sendable (Int) -> String

    /// - Parameter makeID: names the n-th scan (1-based); the service uses random UUIDs.
    public init(makeID: @escaping @Sendable (Int) -> String = { _ in UUID().uuidString.lowercased() }) {
        self.makeID = makeID
    }

    /// The queued or running scan's record id (nil when idle).
    public var activeID: String? { queued?.id ?? running?.id }
    public var isIdle: Bool { running == nil && queued == nil }

    public mutating func handle(_ input: Input) -> Decision {
        switch input {
        case .requested(let trigger):
            return request(trigger: trigger, joinRunningFull: trigger == .schedule || trigger == .reconnect || trigger == .startup)
        case .timerDue:
            return request(trigger: .schedule, joinRunningFull: true)
        case .reconnectDue:
            // Only when idle: a scan already under way will tell whether libvirt is back.
            guard isIdle else { return Decision() }
            needFull = true
            return request(trigger: .reconnect, joinRunningFull: true)
        case .domainChanged(let uuid):
            counters.events += 1
            dirty.insert(uuid)
            if let q = queued { return Decision(recordID: q.id) }
            if running != nil { return enqueue(trigger: .event, full: false) }
            return startNow(trigger: .event, full: false)
        case .scanFinished(let id):
            guard running?.id == id else { return Decision() }
            running = nil
            hasResult = true
            counters.scans += 1
            var d = startQueued()
            d.publish = true
            d.completed = [id]
            return d
        case .scanFailed(let id):
            guard running?.id == id else { return Decision() }
            running = nil
            needFull = true
            counters.failures += 1
            var d = startQueued()
            d.completed = [id]
            return d
        case .libvirtLost:
            needFull = true
            return Decision()
        case .libvirtBack:
            needFull = true
            // Before the first result the start-up scan (or its retry) covers it.
            guard hasResult else { return Decision() }
            return request(trigger: .reconnect, joinRunningFull: false)
        }
    }

    private mutating func request(trigger: ScanRecord.Trigger, joinRunningFull: Bool) -> Decision {
        if let q = queued {
            queued?.full = true
            return Decision(recordID: q.id)
        }
        if let r = running {
            if joinRunningFull && r.scope == .full { return Decision(recordID: r.id) }
            return enqueue(trigger: trigger, full: true)
        }
        return startNow(trigger: trigger, full: true)
    }

    private mutating func nextID() -> String {
        sequence += 1
        return makeID(sequence)
    }

    private mutating func enqueue(trigger: ScanRecord.Trigger, full: Bool) -> Decision {
        let id = nextID()
        queued = Queued(id: id, trigger: trigger, full: full)
        return Decision(recordID: id, recordCreated: true, recordTrigger: trigger)
    }

    private mutating func startNow(trigger: ScanRecord.Trigger, full: Bool) -> Decision {
        let id = nextID()
        let scan = begin(id: id, trigger: trigger, full: full)
        return Decision(recordID: id, recordCreated: true, recordTrigger: trigger, start: scan)
    }

    private mutating func startQueued() -> Decision {
        guard let q = queued else { return Decision() }
        queued = nil
        return Decision(start: begin(id: q.id, trigger: q.trigger, full: q.full))
    }

    /// The scope is fixed when the scan starts: everything changed up to that moment.
    private mutating func begin(id: String, trigger: ScanRecord.Trigger, full: Bool) -> Scan {
        let scope: Scope = full || needFull ? .full : .domains(dirty)
        needFull = false
        dirty = []
        let scan = Scan(id: id, trigger: trigger, scope: scope)
        running = scan
        return scan
    }
}
