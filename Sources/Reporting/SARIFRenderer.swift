import Core

/// SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format) for code-scanning dashboards
/// and CI: one run, every rule in `tool.driver.rules` (help text, default level and
/// `security-severity`), and one result per failed, unknown or waived finding (a waived one
/// carries an accepted `suppression` with the waiver's reason). Passing and not-applicable
/// verdicts are not results. Each result's `partialFingerprints["virtauditFindingId/v1"]` is the
/// finding's stable id, so a dashboard tracks it across scans.
///
/// Locations: what `locate` returns (a file and line, for `virtaudit check`), else the logical
/// location `<hostname>/<vm>` (or `<hostname>/host`) of a live scan.
public enum SARIFRenderer {
    public static let schemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    public static let fingerprintKey = "virtauditFindingId/v1"

    public static func render(report: ScanReport, rules: [RuleText], toolVersion: String = "0.1.0",
                              locate: FindingLocator = { _, _ in nil }) -> String {
        JSONWriter.string(document(report: report, rules: rules, toolVersion: toolVersion, locate: locate), pretty: true) + "\n"
    }

    public static func document(report: ScanReport, rules: [RuleText], toolVersion: String = "0.1.0",
                                locate: FindingLocator = { _, _ in nil }) -> JSONValue {
        // Rules in the given order, then any rule known only from a finding.
        var ordered = rules
        var index: [String: Int] = [:]
        for (i, r) in ordered.enumerated() where index[r.id] == nil { index[r.id] = i }
        let targets: [(DomainReport?, [Finding])] = [(nil, report.host.findings)] + report.domains.map { ($0, $0.findings) }
        for (_, fs) in targets {
            for f in fs where index[f.rule] == nil {
                index[f.rule] = ordered.count
                ordered.append(report.text(for: f))
            }
        }

        var results: [JSONValue] = []
        for (d, fs) in targets {
            for f in fs where f.status == .fail || f.status == .unknown || f.status == .waived {
                results.append(result(f, domain: d, report: report, ruleIndex: index[f.rule]!, rule: ordered[index[f.rule]!], locate: locate))
            }
        }

        var invocation: [String: JSONValue] = [
            "executionSuccessful": .bool(report.errors.isEmpty && !report.stale),
            "startTimeUtc": .string(report.startedAt),
            "endTimeUtc": .string(report.finishedAt),
        ]
        if !report.errors.isEmpty || report.stale {
            var notes = report.errors.map { e -> JSONValue in
                ["level": "error", "message": ["text": .string(e)]]
            }
            if report.stale {
                notes.append(["level": "error", "message": ["text": "libvirt could not be reached: these are the last good results"]])
            }
            invocation["toolExecutionNotifications"] = .array(notes)
        }

        let run: JSONValue = .object([
            "tool": ["driver": .object([
                "name": "virtaudit",
                "version": .string(toolVersion),
                "semanticVersion": .string(toolVersion),
                "rules": .array(ordered.map(descriptor)),
            ])],
            "automationDetails": ["id": .string("virtaudit/\(report.host.hostname)/")],
            "invocations": [.object(invocation)],
            "results": .array(results),
            "properties": .object([
                "hostname": .string(report.host.hostname),
                "hostId": .string(report.hostId ?? "hostname:" + report.host.hostname),
                "scanId": .string(report.scanId),
                "connection": .string(report.connection),
                "root": .string(report.root),
            ]),
        ])
        return .object(["$schema": .string(schemaURI), "version": "2.1.0", "runs": [run]])
    }

    /// GitHub code scanning's bands: critical >= 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9.
    public static func securitySeverity(_ s: Severity) -> String {
        switch s {
        case .critical: return "9.5"
        case .high: return "8.0"
        case .medium: return "5.5"
        case .low: return "3.0"
        case .info: return "0.0"
        }
    }

    public static func level(_ s: Severity) -> String {
        switch s {
        case .critical, .high: return "error"
        case .medium: return "warning"
        case .low, .info: return "note"
        }
    }

    static func descriptor(_ r: RuleText) -> JSONValue {
        var d: [String: JSONValue] = [
            "id": .string(r.id),
            "name": .string(r.id),
            "shortDescription": ["text": .string(r.title)],
            "fullDescription": ["text": .string(r.rationale.isEmpty ? r.title : r.rationale)],
            "help": ["text": .string(r.helpText), "markdown": .string(r.helpMarkdown)],
            "defaultConfiguration": ["level": .string(level(r.severity))],
            "properties": .object([
                "security-severity": .string(securitySeverity(r.severity)),
                "severity": .string(r.severity.rawValue),
                "layer": .string(r.layer.rawValue),
                "tags": .array((["security", r.layer.rawValue] + r.tags).uniqued.map { .string($0) }),
            ]),
        ]
        if let u = r.references.first(where: { $0.hasPrefix("https://") || $0.hasPrefix("http://") }) {
            d["helpUri"] = .string(u)
        }
        return .object(d)
    }

    static func result(_ f: Finding, domain d: DomainReport?, report: ScanReport, ruleIndex: Int, rule: RuleText,
                       locate: FindingLocator) -> JSONValue {
        let target = d.map { "VM \($0.name)" } ?? "host \(report.host.hostname)"
        var text: String
        switch f.status {
        case .unknown: text = "\(rule.title): unknown on \(target)" + (f.reason.map { " (\($0))" } ?? "")
        case .waived: text = "\(rule.title): fails on \(target), waived"
        default: text = "\(rule.title): fails on \(target)"
        }
        if !rule.expected.isEmpty { text += ". Expected: \(rule.expected)" }
        if case .object(let o) = f.observed, !o.isEmpty { text += ". Observed: " + JSONWriter.string(f.observed) }
        text += "."
        if !rule.remediation.isEmpty && f.status != .waived { text += " " + rule.remediation }

        let logicalName = report.host.hostname + "/" + (d?.name ?? "host")
        var logical: [String: JSONValue] = ["fullyQualifiedName": .string(logicalName), "name": .string(d?.name ?? "host"),
                                            "kind": .string(d == nil ? "host" : "vm")]
        if let d { logical["decoratedName"] = .string(d.uuid) }
        var location: [String: JSONValue] = ["logicalLocations": [.object(logical)]]
        if let l = locate(d, f) {
            var physical: [String: JSONValue] = ["artifactLocation": ["uri": .string(l.uri)]]
            if let line = l.line, line >= 1 { physical["region"] = ["startLine": .int(line)] }
            location["physicalLocation"] = .object(physical)
        }

        var props: [String: JSONValue] = [
            "status": .string(f.status.rawValue),
            "severity": .string(f.severity.rawValue),
            "layer": .string(f.layer.rawValue),
            "observed": f.observed,
            "findingId": .string(SeverityGate.id(f, domain: d, report: report)),
        ]
        if let d { props["vm"] = .string(d.name); props["uuid"] = .string(d.uuid) }
        if let r = f.reason { props["reason"] = .string(r) }

        var r: [String: JSONValue] = [
            "ruleId": .string(f.rule),
            "ruleIndex": .int(ruleIndex),
            "kind": "fail",
            "level": .string(level(f.severity)),
            "message": ["text": .string(text)],
            "locations": [.object(location)],
            "partialFingerprints": .object([fingerprintKey: .string(SeverityGate.id(f, domain: d, report: report))]),
            "properties": .object(props),
        ]
        if f.status == .waived {
            var s: [String: JSONValue] = ["kind": "external", "status": "accepted",
                                          "justification": .string(f.reason ?? "waived")]
            if let source = f.waiver?["source"]?.stringValue { s["location"] = ["physicalLocation": ["artifactLocation": ["uri": .string(source.fileOnly)]]] }
            r["suppressions"] = [.object(s)]
        }
        return .object(r)
    }
}

extension Array where Element: Hashable {
    var uniqued: [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}

extension String {
    /// `waivers.yaml:12` -> `waivers.yaml`.
    var fileOnly: String {
        guard let c = lastIndex(of: ":"), Int(self[index(after: c)...]) != nil else { return self }
        return String(self[..<c])
    }
}
