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

/// A rule's long texts. A results document carries them once, under `rules[<rule id>]`, beside
/// the compact findings that refer to them by `rule`.
public struct RuleText: Sendable, Hashable {
    /// The rule id (the key of the `rules` map, not repeated inside its value).
    public var id: String
    public var title: String
    public var layer: Layer
    public var severity: Severity
    public var expected: String
    public var rationale: String
    public var remediation: String
    /// URLs (libvirt and kernel documentation, CVEs).
    public var references: [String]
    /// Kept in memory for the pipeline renderers; not part of the results document.
    public var tags: [String]

    public init(id: String, title: String, layer: Layer, severity: Severity, expected: String = "",
                rationale: String = "", remediation: String = "", references: [String] = [], tags: [String] = []) {
        self.id = id
        self.title = title
        self.layer = layer
        self.severity = severity
        self.expected = expected
        self.rationale = rationale
        self.remediation = remediation
        self.references = references
        self.tags = tags
    }

    /// Texts for a rule known only from a finding (no rule file defines it, or a document lacks
    /// its entry): the rule id stands in for the title.
    public init(finding f: Finding) {
        self.init(id: f.rule, title: f.rule, layer: f.layer, severity: f.severity)
    }

    /// The help text: rationale, remediation and references, as plain text.
    public var helpText: String {
        var parts: [String] = []
        if !rationale.isEmpty { parts.append("Why: " + rationale) }
        if !expected.isEmpty { parts.append("Expected: " + expected) }
        if !remediation.isEmpty { parts.append("Remediation: " + remediation) }
        if !references.isEmpty { parts.append("References:\n" + references.map { "- " + $0 }.joined(separator: "\n")) }
        return parts.isEmpty ? title : parts.joined(separator: "\n\n")
    }

    /// The help text as Markdown.
    public var helpMarkdown: String {
        var parts: [String] = ["**" + title + "**"]
        if !rationale.isEmpty { parts.append("**Why.** " + rationale) }
        if !expected.isEmpty { parts.append("**Expected.** `" + expected.split(separator: "`", omittingEmptySubsequences: false).joined(separator: "'") + "`") }
        if !remediation.isEmpty { parts.append("**Remediation.** " + remediation) }
        if !references.isEmpty { parts.append("**References**\n\n" + references.map { "- <\($0)>" }.joined(separator: "\n")) }
        return parts.joined(separator: "\n\n")
    }
}

/// A rule's verdict on one target (a VM or the host). Compact: the rule's texts (title,
/// expected, remediation) live in the document's `rules`, looked up by `rule`.
public struct Finding: Sendable, Hashable, Decodable {
    /// Stable identity of this finding across scans and restarts (see `FindingID`): the same host,
    /// target, rule and subject give the same id. Set when the report is assembled.
    public var id: String?
    public var rule: String
    public var layer: Layer
    public var severity: Severity
    public var status: FindingStatus
    /// The fact values the rule looked at, by path.
    public var observed: JSONValue
    /// Why the verdict is `unknown` (the unreadable fact's reason), or a waiver's reason.
    public var reason: String?
    /// Points this finding cost the score (0 for pass).
    public var pointsLost: Double
    public var waiver: JSONValue?

    public init(rule: String, layer: Layer, severity: Severity, status: FindingStatus, observed: JSONValue = .object([:]),
                reason: String? = nil, pointsLost: Double = 0, waiver: JSONValue? = nil, id: String? = nil) {
        self.id = id
        self.rule = rule
        self.layer = layer
        self.severity = severity
        self.status = status
        self.observed = observed
        self.reason = reason
        self.pointsLost = pointsLost
        self.waiver = waiver
    }

    /// Whether a `problems` listing shows it: failing, unknown or waived.
    public var isProblem: Bool { status == .fail || status == .unknown || status == .waived }

    enum CodingKeys: String, CodingKey { case id, rule, layer, severity, status, observed, reason, pointsLost, waiver }

    /// Reads format 1 (texts inline, which are ignored here) and format 2 findings.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        rule = try c.decode(String.self, forKey: .rule)
        layer = try c.decode(Layer.self, forKey: .layer)
        severity = try c.decode(Severity.self, forKey: .severity)
        status = try c.decode(FindingStatus.self, forKey: .status)
        observed = try c.decodeIfPresent(JSONValue.self, forKey: .observed) ?? .object([:])
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        pointsLost = try c.decodeIfPresent(Double.self, forKey: .pointsLost) ?? 0
        let w = try c.decodeIfPresent(JSONValue.self, forKey: .waiver)
        waiver = w == .null ? nil : w
    }
}

/// Which findings a results document lists. Every verdict is counted per layer either way.
public enum FindingsListing: String, Sendable, Hashable, Codable, CaseIterable {
    /// Failing, unknown and waived findings; passes and not-applicable ones are only counted.
    case problems
    /// Every finding.
    case all

    public func lists(_ f: Finding) -> Bool { self == .all || f.isProblem }
}

/// Counts of failing findings per severity, every severity present.
public func failingCounts(_ findings: [Finding]) -> [Severity: Int] {
    var counts: [Severity: Int] = [.critical: 0, .high: 0, .medium: 0, .low: 0, .info: 0]
    for f in findings where f.status == .fail { counts[f.severity, default: 0] += 1 }
    return counts
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

public struct DomainReport: Sendable, Hashable, Decodable {
    public var name: String
    public var uuid: String
    public var state: String
    public var id: Int?
    public var profile: String
    public var facts: JSONValue
    /// Every verdict (passes included) after a scan; what a document listed after decoding one.
    public var findings: [Finding]
    public var score: Int
    public var grade: String
    public var layers: [String: LayerScore]
    /// Scored layers not down, and scored layers (see `Score`); nil in reports written before
    /// these were recorded.
    public var layersStanding: Int?
    public var layersTotal: Int?
    /// Who manages the VM (from the `management.*` facts): kind, pid, daemonPid, container,
    /// kubevirt. Kept apart from the facts so that it survives dropping them.
    public var management: JSONValue?

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
        self.management = Self.management(from: facts)
    }

    /// Failing findings per severity (all five present).
    public var failing: [Severity: Int] { failingCounts(findings) }

    /// The management object from a VM's facts: the connected libvirt, a libvirt daemon in
    /// another mount namespace, or nobody visible. nil when the facts do not say.
    public static func management(from facts: JSONValue) -> JSONValue? {
        guard let kind = facts[path: "management.kind"]?.stringValue else { return nil }
        func value(_ path: String) -> JSONValue { facts[path: path] ?? .null }
        return .object([
            "kind": .string(kind), "pid": value("management.pid"), "daemonPid": value("management.daemon.pid"),
            "container": value("management.container"), "kubevirt": facts[path: "management.kubevirt"] ?? .bool(false),
        ])
    }

    enum CodingKeys: String, CodingKey {
        case name, uuid, state, id, profile, facts, findings, score, grade, layers, layersStanding, layersTotal, management
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        uuid = try c.decode(String.self, forKey: .uuid)
        state = try c.decode(String.self, forKey: .state)
        id = try c.decodeIfPresent(Int.self, forKey: .id)
        profile = try c.decode(String.self, forKey: .profile)
        facts = try c.decodeIfPresent(JSONValue.self, forKey: .facts) ?? .object([:])
        findings = try c.decodeIfPresent([Finding].self, forKey: .findings) ?? []
        score = try c.decode(Int.self, forKey: .score)
        grade = try c.decode(String.self, forKey: .grade)
        layers = try c.decode([String: LayerScore].self, forKey: .layers)
        layersStanding = try c.decodeIfPresent(Int.self, forKey: .layersStanding)
        layersTotal = try c.decodeIfPresent(Int.self, forKey: .layersTotal)
        let m = try c.decodeIfPresent(JSONValue.self, forKey: .management)
        management = (m == nil || m == .null) ? Self.management(from: facts) : m
    }
}

public struct HostReport: Sendable, Hashable, Decodable {
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

    /// Failing findings per severity (all five present).
    public var failing: [Severity: Int] { failingCounts(findings) }

    enum CodingKeys: String, CodingKey { case hostname, facts, findings, score, grade, layers, layersStanding, layersTotal }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hostname = try c.decode(String.self, forKey: .hostname)
        facts = try c.decodeIfPresent(JSONValue.self, forKey: .facts) ?? .object([:])
        findings = try c.decodeIfPresent([Finding].self, forKey: .findings) ?? []
        score = try c.decode(Int.self, forKey: .score)
        grade = try c.decode(String.self, forKey: .grade)
        layers = try c.decode([String: LayerScore].self, forKey: .layers)
        layersStanding = try c.decodeIfPresent(Int.self, forKey: .layersStanding)
        layersTotal = try c.decodeIfPresent(Int.self, forKey: .layersTotal)
    }
}

/// A results document in a format this build cannot read.
public struct ResultsFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    public var format: Int?
    public var detail: String
    public var description: String {
        if let format {
            return "results format \(format) is not supported: this virtaudit reads formats 1 and 2"
        }
        return "not a virtaudit results document: \(detail)"
    }
}

/// One complete scan: what `virtaudit scan --format json` prints and what the API serves.
/// Encoded only by `ResultsJSON` (results format 2); decodes formats 1 and 2.
public struct ScanReport: Sendable, Hashable, Decodable {
    /// The results format this build writes (`format` in the JSON; `version` carries the same number).
    public static let formatVersion = 2
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
    /// The texts of the rules the findings refer to, by rule id (a scan keeps every loaded
    /// rule's; a document carries those of the findings it lists).
    public var rules: [String: RuleText]
    /// Which findings the `findings` arrays hold: `.all` after a scan, what the document listed
    /// after decoding one. A serializer never lists more than this.
    public var findingsListed: FindingsListing
    public var host: HostReport
    public var domains: [DomainReport]
    /// Where the scan spent its time, and how many files it read.
    public var stats: ScanStats?

    public init(scanId: String, startedAt: String, finishedAt: String, durationMs: Double, connection: String,
                root: String, stale: Bool = false, errors: [String] = [], rules: [String: RuleText] = [:],
                findingsListed: FindingsListing = .all, host: HostReport, domains: [DomainReport],
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
        self.rules = rules
        self.findingsListed = findingsListed
        self.host = host
        self.domains = domains
    }

    /// The texts of a finding's rule: from `rules`, else the rule id as its title.
    public func text(for f: Finding) -> RuleText { rules[f.rule] ?? RuleText(finding: f) }

    /// The texts of a finding's rule (`rules[rule]`, else the rule id as title).
    public static func text(for f: Finding, in rules: [String: RuleText]) -> RuleText { rules[f.rule] ?? RuleText(finding: f) }

    enum CodingKeys: String, CodingKey {
        case format, version, scanId, startedAt, finishedAt, durationMs, connection, root, hostId, stale, errors,
             rules, findingsListed, host, domains, stats
    }

    /// A rule's entry in the `rules` map (its id is the key).
    private struct RuleBody: Decodable {
        var title: String
        var layer: Layer
        var severity: Severity
        var expected: String?
        var rationale: String?
        var remediation: String?
        var references: [String]?
    }

    /// A format-1 finding's inline texts.
    private struct InlineTexts: Decodable {
        var rule: String
        var layer: Layer
        var severity: Severity
        var title: String?
        var expected: String?
        var remediation: String?
    }

    private struct InlineTarget: Decodable { var findings: [InlineTexts]? }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let format: Int
        if let f = try c.decodeIfPresent(Int.self, forKey: .format) {
            format = f
        } else if let v = try c.decodeIfPresent(Int.self, forKey: .version) {
            format = v == 1 ? 1 : v
        } else {
            throw ResultsFormatError(format: nil, detail: "neither `format` nor `version` is present")
        }
        guard format == 1 || format == 2 else { throw ResultsFormatError(format: format, detail: "") }
        scanId = try c.decode(String.self, forKey: .scanId)
        startedAt = try c.decode(String.self, forKey: .startedAt)
        finishedAt = try c.decode(String.self, forKey: .finishedAt)
        durationMs = try c.decode(Double.self, forKey: .durationMs)
        connection = try c.decode(String.self, forKey: .connection)
        root = try c.decode(String.self, forKey: .root)
        hostId = try c.decodeIfPresent(String.self, forKey: .hostId)
        stale = try c.decodeIfPresent(Bool.self, forKey: .stale) ?? false
        errors = try c.decodeIfPresent([String].self, forKey: .errors) ?? []
        host = try c.decode(HostReport.self, forKey: .host)
        domains = try c.decode([DomainReport].self, forKey: .domains)
        stats = try c.decodeIfPresent(ScanStats.self, forKey: .stats)
        var rules: [String: RuleText] = [:]
        if format == 2 {
            findingsListed = try c.decode(FindingsListing.self, forKey: .findingsListed)
            for (id, b) in try c.decodeIfPresent([String: RuleBody].self, forKey: .rules) ?? [:] {
                rules[id] = RuleText(id: id, title: b.title, layer: b.layer, severity: b.severity, expected: b.expected ?? "",
                                     rationale: b.rationale ?? "", remediation: b.remediation ?? "",
                                     references: b.references ?? [])
            }
        } else {
            // Format 1 carried title, expected and remediation in every finding (remediation
            // emptied on passes): the first non-empty text of each rule is kept.
            findingsListed = .all
            let targets = [try c.decode(InlineTarget.self, forKey: .host)] + (try c.decode([InlineTarget].self, forKey: .domains))
            for t in targets {
                for f in t.findings ?? [] {
                    var r = rules[f.rule] ?? RuleText(id: f.rule, title: f.title ?? f.rule, layer: f.layer, severity: f.severity)
                    if r.expected.isEmpty, let e = f.expected { r.expected = e }
                    if r.remediation.isEmpty, let m = f.remediation { r.remediation = m }
                    rules[f.rule] = r
                }
            }
        }
        self.rules = rules
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
