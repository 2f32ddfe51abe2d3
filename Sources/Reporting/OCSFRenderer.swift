import Core
import Foundation

/// OCSF 1.x Compliance Finding events (class_uid 2003, category 2 "Findings"), one JSON object
/// per line, one event per failing or unknown finding (passing, waived and not-applicable
/// findings are not findings to a SIEM). Docs/siem.md has the field mapping.
///
/// - `finding_info.uid` is the stable finding id (`FindingID`), so the same problem on two scans
///   is one finding; `first_seen_time`/`last_seen_time` come from history when known.
/// - `severity_id`: info 1, low 2, medium 3, high 4, critical 5.
/// - `compliance.status_id`: fail 3 (Fail), unknown 0 (Unknown: the auditor could not tell,
///   which is never a pass).
/// - `resources[0]` is the VM (type `libvirt_domain`, uid its UUID), or the host for host rules.
public enum OCSFRenderer {
    public static let schemaVersion = "1.5.0"
    public static let classUID = 2003
    public static let categoryUID = 2

    /// First-seen and last-seen times (`Timestamp` strings) of a finding id.
    public typealias SeenTimes = (String) -> (first: String, last: String)?

    public static func events(report: ScanReport, rules: [RuleText], toolVersion: String = "0.1.0",
                              seen: SeenTimes = { _ in nil }) -> [JSONValue] {
        let texts = Dictionary(rules.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [JSONValue] = []
        let time = millis(report.finishedAt) ?? millis(report.startedAt) ?? 0
        for (d, f) in SeverityGate.findings(in: report, atOrAbove: .info) {
            out.append(event(f, domain: d, report: report, rule: texts[f.rule] ?? report.text(for: f),
                             time: time, toolVersion: toolVersion, seen: seen))
        }
        return out
    }

    /// The events as JSON lines (each line one event, newline-terminated).
    public static func render(report: ScanReport, rules: [RuleText], toolVersion: String = "0.1.0",
                              seen: SeenTimes = { _ in nil }) -> String {
        events(report: report, rules: rules, toolVersion: toolVersion, seen: seen)
            .map { JSONWriter.string($0) + "\n" }.joined()
    }

    static func severityID(_ s: Severity) -> Int {
        switch s {
        case .info: return 1
        case .low: return 2
        case .medium: return 3
        case .high: return 4
        case .critical: return 5
        }
    }

    static func millis(_ timestamp: String) -> Int? {
        Timestamp.parse(timestamp).map { Int(($0 * 1000).rounded()) }
    }

    static func event(_ f: Finding, domain d: DomainReport?, report: ScanReport, rule: RuleText, time: Int,
                      toolVersion: String, seen: SeenTimes) -> JSONValue {
        let id = SeverityGate.id(f, domain: d, report: report)
        let hostId = report.hostId ?? "hostname:" + report.host.hostname
        let failing = f.status == .fail
        var info: [String: JSONValue] = [
            "uid": .string(id), "title": .string(rule.title), "desc": .string(rule.rationale.isEmpty ? rule.expected : rule.rationale),
            "types": [.string("virtaudit/" + f.layer.rawValue)], "created_time": .int(time),
            "analytic": ["uid": .string(f.rule), "name": .string(f.rule), "type_id": 1, "type": "Rule"],
        ]
        if let t = seen(id) {
            if let first = millis(t.first) { info["first_seen_time"] = .int(first) }
            if let last = millis(t.last) { info["last_seen_time"] = .int(last) }
        }
        var resource: [String: JSONValue]
        if let d {
            resource = ["type": "libvirt_domain", "uid": .string(d.uuid), "name": .string(d.name),
                        "data": ["host": .string(report.host.hostname), "host_id": .string(hostId),
                                 "state": .string(d.state), "profile": .string(d.profile)]]
        } else {
            resource = ["type": "hypervisor_host", "uid": .string(hostId), "name": .string(report.host.hostname)]
        }
        resource["labels"] = [.string("layer:" + f.layer.rawValue)]
        var remediation: [String: JSONValue] = ["desc": .string(rule.remediation)]
        if !rule.references.isEmpty { remediation["references"] = .array(rule.references.map { .string($0) }) }
        var unmapped: [String: JSONValue] = ["rule": .string(f.rule), "layer": .string(f.layer.rawValue),
                                             "status": .string(f.status.rawValue), "observed": f.observed,
                                             "expected": .string(rule.expected), "scan_id": .string(report.scanId)]
        if let reason = f.reason { unmapped["reason"] = .string(reason) }
        return [
            "class_uid": .int(classUID), "class_name": "Compliance Finding",
            "category_uid": .int(categoryUID), "category_name": "Findings",
            "activity_id": 1, "activity_name": "Create", "type_uid": .int(classUID * 100 + 1),
            "type_name": "Compliance Finding: Create",
            "time": .int(time),
            "severity_id": .int(severityID(f.severity)), "severity": .string(f.severity.rawValue.capitalized),
            "status_id": 1, "status": "New",
            "message": .string("\(d?.name ?? report.host.hostname): \(rule.title)"),
            "metadata": ["version": .string(schemaVersion), "uid": .string(report.scanId + "/" + id),
                         "log_name": "virtaudit-findings",
                         "product": ["name": "virtaudit", "vendor_name": "virtaudit", "version": .string(toolVersion)]],
            "finding_info": .object(info),
            "compliance": ["control": .string(f.rule), "standards": ["virtaudit layered defense"],
                           "status_id": .int(failing ? 3 : 0), "status": .string(failing ? "Fail" : "Unknown"),
                           "desc": .string(rule.expected)],
            "resources": [.object(resource)],
            "remediation": .object(remediation),
            "unmapped": .object(unmapped),
        ]
    }
}
