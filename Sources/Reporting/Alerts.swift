import Core
import Foundation
import History

/// When to alert. Every condition can be switched off (nil / empty).
public struct AlertPolicy: Sendable, Hashable, Codable {
    /// A finding of one of these severities that is failing now and was not in the previous scan.
    public var newFindingSeverities: [Severity]
    /// A VM whose grade falls below this one (e.g. "C": alerts on D and F) when it was not before.
    public var gradeBelow: String?
    /// The host score dropped by at least this many points since the previous scan.
    public var hostScoreDrop: Int?
    /// libvirt has been unreachable for longer than this many seconds.
    public var libvirtUnreachableSeconds: Double?

    public init(newFindingSeverities: [Severity] = [.critical, .high], gradeBelow: String? = "C",
                hostScoreDrop: Int? = 10, libvirtUnreachableSeconds: Double? = 300) {
        self.newFindingSeverities = newFindingSeverities
        self.gradeBelow = gradeBelow
        self.hostScoreDrop = hostScoreDrop
        self.libvirtUnreachableSeconds = libvirtUnreachableSeconds
    }
}

/// One alert: what happened, to which target, and a key that de-duplicates it.
public struct Alert: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable {
        case newFinding = "new-finding"
        case gradeDrop = "grade-drop"
        case hostScoreDrop = "host-score-drop"
        case libvirtUnreachable = "libvirt-unreachable"
        case historyWriteFailed = "history-write-failed"
        case admissionDenied = "admission-denied"
        case admissionFailure = "admission-failure"
    }
    public var kind: Kind
    public var key: String
    public var severity: Severity
    public var summary: String
    public var target: JSONValue
    public var details: JSONValue
    public var scanId: String?
    public var at: String

    public var payload: JSONValue {
        ["source": "virtaudit", "kind": .string(kind.rawValue), "key": .string(key), "severity": .string(severity.rawValue),
         "summary": .string(summary), "target": target, "details": details, "scanId": .from(scanId), "at": .string(at)]
    }
}

public enum AlertEngine {
    static let gradeOrder = ["A", "B", "C", "D", "E", "F"]

    /// Alerts for the transition from `previous` to `current` (previous nil: the first scan, where
    /// every matching failing finding is new).
    public static func evaluate(previous: ScanReport?, current: ScanReport, policy: AlertPolicy, now: Date = Date()) -> [Alert] {
        var alerts: [Alert] = []
        let at = Timestamp.format(now)
        let before = Dictionary((previous?.domains ?? []).map { ($0.uuid, $0) }, uniquingKeysWith: { a, _ in a })
        func failing(_ findings: [Finding]) -> [String: Finding] {
            Dictionary(findings.filter { $0.status == .fail }.map { ($0.rule, $0) }, uniquingKeysWith: { a, _ in a })
        }
        let targets: [(JSONValue, String, [Finding], [Finding]?)] =
            [(["kind": "host", "name": .string(current.host.hostname)], "host", current.host.findings, previous?.host.findings)]
            + current.domains.map { d in
                (["kind": "domain", "name": .string(d.name), "uuid": .string(d.uuid)], d.uuid, d.findings, before[d.uuid]?.findings)
            }
        for (target, id, findings, old) in targets {
            let oldFailing = old.map(failing) ?? [:]
            for (rule, f) in failing(findings).sorted(by: { $0.key < $1.key })
            where policy.newFindingSeverities.contains(f.severity) && oldFailing[rule] == nil {
                let name = target["name"]?.stringValue ?? id
                let text = current.text(for: f)
                alerts.append(Alert(kind: .newFinding, key: "finding:\(id):\(rule)", severity: f.severity,
                                    summary: "\(f.severity.rawValue) finding on \(name): \(text.title)", target: target,
                                    details: ["rule": .string(rule), "layer": .string(f.layer.rawValue), "observed": f.observed,
                                              "expected": .string(text.expected), "remediation": .string(text.remediation)],
                                    scanId: current.scanId, at: at))
            }
        }
        if let threshold = policy.gradeBelow, let limit = gradeOrder.firstIndex(of: threshold) {
            for d in current.domains {
                guard let g = gradeOrder.firstIndex(of: d.grade), g > limit else { continue }
                if let old = before[d.uuid], let og = gradeOrder.firstIndex(of: old.grade), og > limit { continue }
                alerts.append(Alert(kind: .gradeDrop, key: "grade:\(d.uuid):\(d.grade)", severity: .high,
                                    summary: "\(d.name) is graded \(d.grade) (score \(d.score)), below \(threshold)",
                                    target: ["kind": "domain", "name": .string(d.name), "uuid": .string(d.uuid)],
                                    details: ["grade": .string(d.grade), "score": .int(d.score),
                                              "previousGrade": .from(before[d.uuid]?.grade)],
                                    scanId: current.scanId, at: at))
            }
        }
        if let drop = policy.hostScoreDrop, let prev = previous, prev.host.score - current.host.score >= drop {
            alerts.append(Alert(kind: .hostScoreDrop, key: "host-score:\(current.scanId)", severity: .high,
                                summary: "host score dropped from \(prev.host.score) to \(current.host.score)",
                                target: ["kind": "host", "name": .string(current.host.hostname)],
                                details: ["from": .int(prev.host.score), "to": .int(current.host.score)],
                                scanId: current.scanId, at: at))
        }
        return alerts
    }

    /// An alert when libvirt has been unreachable since `since` for longer than the policy allows.
    public static func libvirtUnreachable(since: Date, uri: String, policy: AlertPolicy, now: Date = Date()) -> Alert? {
        guard let limit = policy.libvirtUnreachableSeconds, now.timeIntervalSince(since) > limit else { return nil }
        let s = Timestamp.format(since)
        return Alert(kind: .libvirtUnreachable, key: "libvirt-down:\(s)", severity: .high,
                     summary: "libvirt (\(uri)) unreachable since \(s); results are stale",
                     target: ["kind": "host"], details: ["since": .string(s), "uri": .string(uri),
                                                         "seconds": .int(Int(now.timeIntervalSince(since)))],
                     scanId: nil, at: Timestamp.format(now))
    }

    /// An alert when a scan could not be written to history (disk full, I/O error). Raised once
    /// per outage (keyed by its first unwritten scan); the scans wait in memory meanwhile.
    public static func historyWriteFailed(scanId: String, error: String, pending: Int, now: Date = Date()) -> Alert {
        Alert(kind: .historyWriteFailed, key: "history-write:\(scanId)", severity: .high,
              summary: "scan history cannot be written (\(pending) scan\(pending == 1 ? "" : "s") waiting in memory): \(error)",
              target: ["kind": "host"], details: ["error": .string(error), "pendingScans": .int(pending)],
              scanId: scanId, at: Timestamp.format(now))
    }
}
