import Core

/// What `virtaudit check` prints as JSON: every input file with its kind and ignored lines, and
/// every VM (target) found in them, judged by the same policies as a live scan. Version 2: the
/// findings are compact (results format 2) and `rules` holds the texts of those listed.
public struct CheckReport: Sendable, Hashable {
    public static let formatVersion = 2
    public var version = CheckReport.formatVersion
    public var checkedAt: String
    public var inputs: [Input]
    public var targets: [Target]
    /// Partly recognised files, assembled from `inputs[].ignoredLines`.
    public var warnings: [String]
    /// Groups and devices of the IOMMU listings and node device XML given in the call; null without any.
    public var iommu: JSONValue?
    /// The texts of the judging rules, by rule id.
    public var rules: [String: RuleText] = [:]

    public init(checkedAt: String, inputs: [Input], targets: [Target], warnings: [String], rules: [String: RuleText],
                iommu: JSONValue?) {
        self.checkedAt = checkedAt
        self.inputs = inputs
        self.targets = targets
        self.warnings = warnings
        self.rules = rules
        self.iommu = iommu
    }

    public struct Input: Sendable, Hashable, Codable {
        public var file: String
        public var kind: ArtifactKind
        public var format: String
        /// Names of the targets this file contributed to.
        public var targets: [String]
        public var ignoredLines: [IgnoredLine]
    }

    /// Where a finding's evidence is: the file and the line of the XML element (or command-line
    /// option, or sample line) the rule judged.
    public struct Location: Sendable, Hashable, Codable {
        public var file: String
        public var line: Int
        /// The XML element path below `<domain>` (`devices/graphics`), when the file is XML.
        public var element: String?
    }

    public struct CheckFinding: Sendable, Hashable {
        public var finding: Finding
        /// The finding's status, or `not-applicable-offline` for a rule that needs what the input
        /// cannot hold (a running qemu process, the host) — never a pass.
        public var status: String
        public var location: Location?
    }

    public struct Target: Sendable, Hashable {
        public var name: String
        public var uuid: String
        /// `running` (live or status XML, process samples), `shutoff` (inactive config), `unknown`.
        public var state: String
        public var profile: String
        /// Score over the rules the input decides (not-applicable-offline rules excluded).
        public var score: Int
        public var grade: String
        public var layers: [String: LayerScore]
        public var counts: [String: Int]
        /// Every file and line that described this VM.
        public var sources: [Location]
        public var facts: JSONValue
        public var findings: [CheckFinding]
        /// What the qemu command line given for this VM asks for (binary, environment, `-device`
        /// drivers, assigned host functions, displays, `-overcommit`, memory backends); null
        /// without one.
        public var commandLine: JSONValue?
    }

    /// The check as a scan report, for the renderers and gates shared with `scan` and `report`:
    /// one domain per target; a not-applicable-offline finding becomes not-applicable (it is no
    /// result and no failure, and keeps its `offline:` reason), never a pass.
    public func scanReport() -> ScanReport {
        let domains = targets.map { t in
            DomainReport(name: t.name, uuid: t.uuid, state: t.state, id: nil, profile: t.profile, facts: t.facts,
                         findings: t.findings.map { c in
                             var f = c.finding
                             if c.status == "not-applicable-offline" { f.status = .notApplicable }
                             return f
                         },
                         score: Score(score: t.score, grade: t.grade, layers: t.layers))
        }
        let host = HostReport(hostname: "offline", facts: .object([:]), findings: [], score: Score(score: 100, grade: "A", layers: [:]))
        var report = ScanReport(scanId: "check", startedAt: checkedAt, finishedAt: checkedAt, durationMs: 0,
                                connection: "check:" + inputs.map(\.file).joined(separator: ","), root: "-", rules: rules,
                                host: host, domains: domains)
        report.hostId = OfflineCheck.hostId
        return report
    }

    /// The JSON `virtaudit check --format json` prints: every target's findings are listed
    /// (a check shows each rule's outcome), `rules` holds their texts.
    public func json(pretty: Bool = false) -> [UInt8] {
        var s = JSONStream(pretty: pretty)
        s.beginObject()
        s.field("version", version)
        s.field("checkedAt", checkedAt)
        s.key("inputs"); s.value((try? JSONValue(encoding: inputs)) ?? .array([]))
        s.key("targets")
        s.beginArray()
        for t in targets {
            s.element()
            s.beginObject()
            s.field("name", t.name)
            s.field("uuid", t.uuid)
            s.field("state", t.state)
            s.field("profile", t.profile)
            s.field("score", t.score)
            s.field("grade", t.grade)
            s.key("layers"); ResultsJSON.writeLayers(t.layers, into: &s)
            s.key("counts"); s.value(.object(t.counts.mapValues(JSONValue.int)))
            s.key("sources"); s.value((try? JSONValue(encoding: t.sources)) ?? .array([]))
            s.key("facts"); s.value(t.facts)
            s.key("findings")
            s.beginArray()
            for c in t.findings {
                s.element()
                s.beginObject()
                s.key("finding"); ResultsJSON.writeFinding(c.finding, into: &s)
                s.field("status", c.status)
                s.key("location"); s.value(c.location.flatMap { try? JSONValue(encoding: $0) })
                s.endObject()
            }
            s.endArray()
            s.key("commandLine"); s.value(t.commandLine)
            s.endObject()
        }
        s.endArray()
        s.key("warnings"); s.strings(warnings)
        s.key("iommu"); s.value(iommu)
        s.key("rules")
        ResultsJSON.writeRules(referencedBy: targets.map { $0.findings.map(\.finding) }, listing: .all, from: rules, into: &s)
        s.endObject()
        return s.bytes
    }

    /// The file and line of a finding (by VM uuid and rule), for pipeline formats.
    public func location(vm uuid: String, rule: String) -> Location? {
        targets.first { $0.uuid == uuid }?.findings.first { $0.finding.rule == rule }?.location
    }
}
