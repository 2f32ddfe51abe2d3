import Core

/// One target (the host or a VM) of a scan, reduced to what a diff compares.
public struct TargetSnapshot: Sendable, Hashable {
    public var name: String
    public var score: Int
    public var grade: String
    /// Non-passing findings only.
    public var findings: [StoredFinding]

    public init(name: String, score: Int, grade: String, findings: [StoredFinding]) {
        self.name = name
        self.score = score
        self.grade = grade
        self.findings = findings
    }

    /// The targets of a report keyed by `host` or the VM's uuid.
    public static func of(_ report: ScanReport) -> [String: TargetSnapshot] {
        var out: [String: TargetSnapshot] = ["host": TargetSnapshot(name: report.host.hostname, score: report.host.score,
                                                                    grade: report.host.grade, findings: stored(report.host.findings, rules: report.rules))]
        for d in report.domains {
            out[d.uuid] = TargetSnapshot(name: d.name, score: d.score, grade: d.grade, findings: stored(d.findings, rules: report.rules))
        }
        return out
    }

    static func stored(_ findings: [Finding], rules: [String: RuleText]) -> [StoredFinding] {
        findings.filter { $0.status != .pass && $0.status != .notApplicable }.map {
            StoredFinding(rule: $0.rule, status: $0.status.rawValue, severity: $0.severity.rawValue,
                          layer: $0.layer.rawValue, title: ScanReport.text(for: $0, in: rules).title)
        }
    }
}

extension ScanDiff {
    /// What changed from scan `a` to scan `b`: findings new, resolved (gone or now passing) and
    /// changed (status or severity), targets added and removed, and score changes.
    public static func between(from: String, at fromAt: String, _ a: [String: TargetSnapshot],
                               to: String, at toAt: String, _ b: [String: TargetSnapshot]) -> ScanDiff {
        var diff = ScanDiff(from: from, to: to, fromAt: fromAt, toAt: toAt)
        for key in Set(a.keys).union(b.keys).sorted() {
            let old = a[key], new = b[key]
            let name = new?.name ?? old?.name ?? key
            if old == nil { diff.addedTargets.append(name) }
            if new == nil { diff.removedTargets.append(name) }
            if let o = old, let n = new, o.score != n.score || o.grade != n.grade {
                diff.scoreChanges.append(.init(target: key, name: name, fromScore: o.score, toScore: n.score,
                                               fromGrade: o.grade, toGrade: n.grade))
            }
            let oldByRule = Dictionary((old?.findings ?? []).map { ($0.rule, $0) }, uniquingKeysWith: { f, _ in f })
            let newByRule = Dictionary((new?.findings ?? []).map { ($0.rule, $0) }, uniquingKeysWith: { f, _ in f })
            for (rule, f) in newByRule.sorted(by: { $0.key < $1.key }) {
                if let o = oldByRule[rule] {
                    if o.status != f.status || o.severity != f.severity {
                        diff.changed.append(.init(target: key, name: name, finding: f, previous: o))
                    }
                } else {
                    diff.new.append(.init(target: key, name: name, finding: f, previous: nil))
                }
            }
            for (rule, o) in oldByRule.sorted(by: { $0.key < $1.key }) where newByRule[rule] == nil {
                diff.resolved.append(.init(target: key, name: name, finding: o, previous: nil))
            }
        }
        return diff
    }
}
