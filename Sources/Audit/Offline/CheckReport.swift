import Core

/// What `virtaudit check` prints as JSON: every input file with its kind and ignored lines, and
/// every VM (target) found in them, judged by the same policies as a live scan.
public struct CheckReport: Sendable, Hashable, Codable {
    public static let formatVersion = 1
    public var version = CheckReport.formatVersion
    public var checkedAt: String
    public var inputs: [Input]
    public var targets: [Target]
    /// Partly recognised files, assembled from `inputs[].ignoredLines`.
    public var warnings: [String]
    /// Groups and devices of the IOMMU listings and node device XML given in the call; null without any.
    public var iommu: JSONValue?

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

    public struct CheckFinding: Sendable, Hashable, Codable {
        public var finding: Finding
        /// The finding's status, or `not-applicable-offline` for a rule that needs what the input
        /// cannot hold (a running qemu process, the host) — never a pass.
        public var status: String
        public var location: Location?
    }

    public struct Target: Sendable, Hashable, Codable {
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
                                connection: "check:" + inputs.map(\.file).joined(separator: ","), root: "-",
                                host: host, domains: domains)
        report.hostId = OfflineCheck.hostId
        return report
    }

    /// The file and line of a finding (by VM uuid and rule), for pipeline formats.
    public func location(vm uuid: String, rule: String) -> Location? {
        targets.first { $0.uuid == uuid }?.findings.first { $0.finding.rule == rule }?.location
    }
}
