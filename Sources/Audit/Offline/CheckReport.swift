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
    }

    /// Exit status: 1 when any target fails a rule at or above `failOn`, or scores below
    /// `failUnder`; 0 otherwise.
    public func failing(failOn: Severity?, failUnder: Int?) -> Bool {
        let threshold = failOn ?? .low
        for t in targets {
            if let n = failUnder, t.score < n { return true }
            if t.findings.contains(where: { $0.finding.status == .fail && $0.finding.severity >= threshold }) { return true }
        }
        return false
    }
}
