import Core
import Foundation

enum Sample {
    static func finding(_ rule: String, _ status: FindingStatus, _ severity: Severity = .high, layer: Layer = .dac) -> Finding {
        Finding(rule: rule, layer: layer, severity: severity, status: status,
                observed: ["process.uid": 0])
    }

    static func domain(_ name: String, score: Int, grade: String, _ findings: [Finding]) -> DomainReport {
        DomainReport(name: name, uuid: "uuid-\(name)", state: "running", id: 1, profile: "baseline", facts: [:],
                     findings: findings, score: Score(score: score, grade: grade, layers: ["dac": LayerScore(score: score)]))
    }

    /// The texts every sample rule has: "title of <rule>", expected "not 0", remediation "fix <rule>".
    static func text(_ f: Finding) -> RuleText {
        RuleText(id: f.rule, title: "title of \(f.rule)", layer: f.layer, severity: f.severity, expected: "not 0",
                 remediation: "fix \(f.rule)")
    }

    static func report(_ id: String, host: Int = 90, _ domains: [DomainReport]) -> ScanReport {
        let ts = Timestamp.format(Date())
        var rules: [String: RuleText] = ["host.selinux": text(finding("host.selinux", .fail, .medium, layer: .host))]
        for d in domains { for f in d.findings { rules[f.rule] = text(f) } }
        return ScanReport(scanId: id, startedAt: ts, finishedAt: ts, durationMs: 12.5, connection: "qemu:///system", root: "/",
                          rules: rules,
                          host: HostReport(hostname: "hv1", facts: [:], findings: [finding("host.selinux", .fail, .medium, layer: .host)],
                                           score: Score(score: host, grade: "A", layers: [:])),
                          domains: domains)
    }

    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    static func tempDir() -> String {
        let d = NSTemporaryDirectory() + "virtaudit-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }
}
