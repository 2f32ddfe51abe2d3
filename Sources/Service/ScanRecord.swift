import Core

/// One requested scan, as `GET /api/v1/scans/{id}` shows it.
/// Encoded only by `json` (every key present, null when absent).
public struct ScanRecord: Sendable, Hashable {
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        case queued, running, done, failed
    }

    /// How a scan came about.
    public enum Trigger: String, Sendable, Hashable, Codable, CaseIterable {
        /// `POST /api/v1/scans`.
        case request
        /// The periodic timer.
        case schedule
        /// The scan run when the service starts.
        case startup
        /// A libvirt domain event (only the affected domains are re-read from libvirt).
        case event
        /// libvirt came back after being unreachable: a full resync.
        case reconnect
    }

    /// Counts from the scan's report, once done.
    public struct ResultSummary: Sendable, Hashable {
        public var scanId: String
        public var domains: Int
        public var hostScore: Int
        public var hostGrade: String
        public var failing: Int
        public var stale: Bool
        public var errors: [String]

        public init(report: ScanReport) {
            scanId = report.scanId
            domains = report.domains.count
            hostScore = report.host.score
            hostGrade = report.host.grade
            failing = report.host.failing.values.reduce(0, +) + report.domains.reduce(0) { $0 + $1.failing.values.reduce(0, +) }
            stale = report.stale
            errors = report.errors
        }
    }

    public var id: String
    public var state: State
    public var trigger: Trigger
    public var requestedAt: String
    public var startedAt: String?
    public var finishedAt: String?
    public var error: String?
    public var result: ResultSummary?
    /// Whether the scan is in the history database: nil until the scan is done (and for failed
    /// scans), false while the write failed and the scan waits in memory to be written again,
    /// true once written (also when that happened later).
    public var persisted: Bool?
    /// Why the scan is not in history yet (disk full, I/O error), while `persisted` is false.
    public var persistError: String?

    public init(id: String, state: State, trigger: Trigger, requestedAt: String, startedAt: String? = nil,
                finishedAt: String? = nil, error: String? = nil, result: ResultSummary? = nil) {
        self.id = id
        self.state = state
        self.trigger = trigger
        self.requestedAt = requestedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.error = error
        self.result = result
    }

    public var isActive: Bool { state == .queued || state == .running }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(id),
            "state": .string(state.rawValue),
            "trigger": .string(trigger.rawValue),
            "requestedAt": .string(requestedAt),
            "startedAt": .from(startedAt),
            "finishedAt": .from(finishedAt),
            "error": .from(error),
            "persisted": persisted.map(JSONValue.bool) ?? .null,
            "persistError": .from(persistError),
            "links": ["self": .string("/api/v1/scans/\(id)")],
        ]
        if let result {
            object["result"] = [
                "scanId": .string(result.scanId),
                "domains": .int(result.domains),
                "hostScore": .int(result.hostScore),
                "hostGrade": .string(result.hostGrade),
                "failing": .int(result.failing),
                "stale": .bool(result.stale),
                "errors": .array(result.errors.map(JSONValue.string)),
            ]
        } else {
            object["result"] = .null
        }
        return .object(object)
    }
}

/// Starts scans on request. `requestScan` must return at once: the scan runs elsewhere. When a
/// scan is already queued or running, it returns that one instead of starting another.
public protocol ScanTrigger: Sendable {
    func requestScan() -> ScanRecord
}
