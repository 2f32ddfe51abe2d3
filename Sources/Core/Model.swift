/// The layers of the layered defense. A guest that breaks into qemu must still get through each.
public enum Layer: String, Sendable, Hashable, Codable, CaseIterable {
    case qemuSandbox = "qemu-sandbox"
    case dac
    case namespaces
    case mac
    case seccomp
    case deviceIsolation = "device-isolation"
    case deviceSurface = "device-surface"
    case resources
    case confidential
    case host

    public var title: String {
        switch self {
        case .qemuSandbox: return "qemu sandbox"
        case .dac: return "DAC (user, capabilities)"
        case .namespaces: return "Namespaces"
        case .mac: return "MAC (SELinux/AppArmor)"
        case .seccomp: return "seccomp"
        case .deviceIsolation: return "Device isolation (IOMMU)"
        case .deviceSurface: return "Device-model surface"
        case .resources: return "Resource containment"
        case .confidential: return "Confidential computing"
        case .host: return "Host"
        }
    }
}

public enum Severity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case critical, high, medium, low, info

    public var rank: Int {
        switch self {
        case .critical: return 4
        case .high: return 3
        case .medium: return 2
        case .low: return 1
        case .info: return 0
        }
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

public enum FindingStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case pass, fail, unknown, waived
    /// The rule's `when` condition excluded this target (e.g. no assigned devices).
    case notApplicable = "not-applicable"
}

/// A rule's verdict on one target (a VM or the host).
public struct Finding: Sendable, Hashable, Codable {
    /// Stable identity of this finding across scans and restarts (see `FindingID`): the same host,
    /// target, rule and subject give the same id. Set when the report is assembled.
    public var id: String?
    public var rule: String
    public var layer: Layer
    public var severity: Severity
    public var status: FindingStatus
    public var title: String
    /// The fact values the rule looked at, by path.
    public var observed: JSONValue
    public var expected: String
    public var remediation: String
    /// Why the verdict is `unknown` (the unreadable fact's reason), or a waiver's reason.
    public var reason: String?
    /// Points this finding cost the score (0 for pass).
    public var pointsLost: Double
    public var waiver: JSONValue?

    public init(rule: String, layer: Layer, severity: Severity, status: FindingStatus, title: String,
                observed: JSONValue, expected: String, remediation: String, reason: String? = nil,
                pointsLost: Double = 0, waiver: JSONValue? = nil) {
        self.rule = rule
        self.layer = layer
        self.severity = severity
        self.status = status
        self.title = title
        self.observed = observed
        self.expected = expected
        self.remediation = remediation
        self.reason = reason
        self.pointsLost = pointsLost
        self.waiver = waiver
    }
}

/// One layer's sub-score and the counts of its verdicts.
public struct LayerScore: Sendable, Hashable, Codable {
    /// 0-100, or nil when no rule of the layer was decided (nothing applied, all waived): such a
    /// layer shows "-" and JSON null, never a perfect score for nothing checked.
    public var score: Int?
    public var pass: Int
    public var fail: Int
    public var unknown: Int
    public var waived: Int
    /// True when the layer counts as down: a `breaks_layer` rule of it failed or is unknown, or
    /// none of its weighted rules passed. A down layer's sub-score is 0.
    public var down: Bool

    public init(score: Int?, pass: Int = 0, fail: Int = 0, unknown: Int = 0, waived: Int = 0, down: Bool = false) {
        self.score = score
        self.pass = pass
        self.fail = fail
        self.unknown = unknown
        self.waived = waived
        self.down = down
    }

    enum CodingKeys: String, CodingKey { case score, pass, fail, unknown, waived, down }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        score = try c.decodeIfPresent(Int.self, forKey: .score)
        pass = try c.decode(Int.self, forKey: .pass)
        fail = try c.decode(Int.self, forKey: .fail)
        unknown = try c.decode(Int.self, forKey: .unknown)
        waived = try c.decode(Int.self, forKey: .waived)
        down = try c.decodeIfPresent(Bool.self, forKey: .down) ?? (score == 0)
    }

    /// Writes `score` as null (not absent) when no rule was decided.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let score { try c.encode(score, forKey: .score) } else { try c.encodeNil(forKey: .score) }
        try c.encode(pass, forKey: .pass)
        try c.encode(fail, forKey: .fail)
        try c.encode(unknown, forKey: .unknown)
        try c.encode(waived, forKey: .waived)
        try c.encode(down, forKey: .down)
    }
}

/// Scores of one target: 0-100, a letter grade, a sub-score per layer, and how many of the
/// scored layers still stand.
public struct Score: Sendable, Hashable, Codable {
    public var score: Int
    public var grade: String
    public var layers: [String: LayerScore]
    /// Scored layers (at least one weighted rule decided) that are not down.
    public var layersStanding: Int
    /// Scored layers: those with at least one weighted rule decided (pass, fail or unknown).
    public var layersTotal: Int
    public init(score: Int, grade: String, layers: [String: LayerScore], layersStanding: Int? = nil, layersTotal: Int? = nil) {
        self.score = score
        self.grade = grade
        self.layers = layers
        self.layersTotal = layersTotal ?? layers.values.filter { $0.score != nil && $0.pass + $0.fail + $0.unknown > 0 }.count
        self.layersStanding = layersStanding ?? (self.layersTotal - layers.values.filter { $0.score != nil && $0.down }.count)
    }
}

public struct DomainReport: Sendable, Hashable, Codable {
    public var name: String
    public var uuid: String
    public var state: String
    public var id: Int?
    public var profile: String
    public var facts: JSONValue
    public var findings: [Finding]
    public var score: Int
    public var grade: String
    public var layers: [String: LayerScore]
    /// Scored layers not down, and scored layers (see `Score`); nil in reports written before
    /// these were recorded.
    public var layersStanding: Int?
    public var layersTotal: Int?

    public init(name: String, uuid: String, state: String, id: Int?, profile: String, facts: JSONValue,
                findings: [Finding], score: Score) {
        self.name = name
        self.uuid = uuid
        self.state = state
        self.id = id
        self.profile = profile
        self.facts = facts
        self.findings = findings
        self.score = score.score
        self.grade = score.grade
        self.layers = score.layers
        self.layersStanding = score.layersStanding
        self.layersTotal = score.layersTotal
    }
}

public struct HostReport: Sendable, Hashable, Codable {
    public var hostname: String
    public var facts: JSONValue
    public var findings: [Finding]
    public var score: Int
    public var grade: String
    public var layers: [String: LayerScore]
    /// Scored host layers not down, and scored host layers (see `Score`).
    public var layersStanding: Int?
    public var layersTotal: Int?

    public init(hostname: String, facts: JSONValue, findings: [Finding], score: Score) {
        self.hostname = hostname
        self.facts = facts
        self.findings = findings
        self.score = score.score
        self.grade = score.grade
        self.layers = score.layers
        self.layersStanding = score.layersStanding
        self.layersTotal = score.layersTotal
    }
}

/// One complete scan: what `virtaudit scan --format json` prints and what the API serves.
public struct ScanReport: Sendable, Hashable, Codable {
    public static let formatVersion = 1
    public var version: Int = ScanReport.formatVersion
    public var scanId: String
    public var startedAt: String
    public var finishedAt: String
    public var durationMs: Double
    public var connection: String
    public var root: String
    /// The host's stable identity (`FindingID.hostID`): /etc/machine-id under the root, else the hostname.
    public var hostId: String?
    /// True when libvirt could not be reached and these are the last good results.
    public var stale: Bool
    public var errors: [String]
    public var host: HostReport
    public var domains: [DomainReport]
    /// Where the scan spent its time, and how many files it read.
    public var stats: ScanStats?

    public init(scanId: String, startedAt: String, finishedAt: String, durationMs: Double, connection: String,
                root: String, stale: Bool = false, errors: [String] = [], host: HostReport, domains: [DomainReport],
                stats: ScanStats? = nil) {
        self.stats = stats
        self.scanId = scanId
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.durationMs = durationMs
        self.connection = connection
        self.root = root
        self.stale = stale
        self.errors = errors
        self.host = host
        self.domains = domains
    }
}

/// Costs of one scan, for benchmarks and `/metrics`.
public struct ScanStats: Sendable, Hashable, Codable {
    /// Milliseconds per stage: `libvirt` (list + XML fetch), `xmlParse`, `hostProbes`,
    /// `devices`, `processProbes`, `policy`.
    public var stagesMs: [String: Double]
    /// Files and links read under the host root.
    public var filesRead: Int
    public var domains: Int
    public var runningDomains: Int

    public init(stagesMs: [String: Double], filesRead: Int, domains: Int, runningDomains: Int) {
        self.stagesMs = stagesMs
        self.filesRead = filesRead
        self.domains = domains
        self.runningDomains = runningDomains
    }
}
